// Fuzz target for the settings loader: any config file gives settings or a ConfigError
// naming every problem, never a crash or another exception.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path =
        (std::filesystem::temp_directory_path() /
         ("connector-config-fuzz-" + std::to_string(::getpid()) + ".conf"))
            .string();
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    char* environment[] = {nullptr};
    try {
        const config::Settings settings = config::Settings::load(path, environment);
        for (const auto& [key, value] : settings.effective()) {
            if (key.empty()) {
                std::fprintf(stderr, "an empty key was accepted\n");
                std::abort();
            }
        }
    } catch (const config::ConfigError& error) {
        if (std::string(error.what()).empty()) {
            std::fprintf(stderr, "a ConfigError without a message\n");
            std::abort();
        }
    }
    return 0;
}
