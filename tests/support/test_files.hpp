// Paths to the repository's data files, and small file helpers for tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace test_files {

inline std::filesystem::path source_dir() {
    return CONNECTOR_SOURCE_DIR;
}
inline std::filesystem::path samples_dir() {
    return source_dir() / "samples" / "packages";
}
inline std::filesystem::path data_dir() {
    return source_dir() / "tests" / "data";
}

inline std::string read(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw std::runtime_error("cannot open " + path.string());
    std::ostringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
}

inline std::string sample(const std::string& name) {
    return read(samples_dir() / name);
}

// Every sample package, sorted, so that failures name the file.
inline std::vector<std::filesystem::path> all_samples() {
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(samples_dir())) {
        if (entry.is_regular_file())
            paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

}  // namespace test_files
