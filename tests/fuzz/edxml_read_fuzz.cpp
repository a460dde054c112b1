// Fuzz target for the edXML reader, validator, writer and task profile reader.
// Built against replay_main.cpp by default (CI replays the corpus: samples/packages and
// tests/data); with -DCONNECTOR_FUZZ=ON and clang it is a libFuzzer program.
//
// Oracle beyond "no crash, no sanitizer finding": whatever the reader accepts without
// errors, the writer writes, and reading that back gives the same model.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "edxml/reader.hpp"
#include "edxml/task_profile.hpp"
#include "edxml/validate.hpp"
#include "edxml/writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    edxml::ReadOptions options;
    options.limits.max_input_bytes = 4u * 1024u * 1024u;

    const edxml::ReadResult result = edxml::validate_package(bytes, options);
    if (result.package && result.errors.empty()) {
        edxml::Package accepted = *result.package;
        std::visit([](auto& package) { package.signature.reset(); }, accepted);
        const edxml::ReadResult again = edxml::read_package(edxml::write_package(accepted), options);
        if (!again.package || !(*again.package == accepted)) {
            std::fprintf(stderr, "round trip changed an accepted package\n");
            std::abort();
        }
    }
    edxml::read_task_profile(bytes, options.limits);
    return 0;
}
