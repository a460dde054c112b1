// Peak memory of one operation, measured in a fresh process: the benchmark re-executes
// itself (/proc/self/exe) with `--peak-memory NAME FILE`, the child loads FILE, runs the
// operation NAME once, and prints how much its peak RSS grew (input buffer included).
// A forked child would inherit the parent's resident pages and hide the growth.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>

namespace bench {

inline long max_rss_bytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss * 1024L;
}

using Operation = std::function<void(const std::string&)>;

// In the child: when argv asks for a measurement, runs it, prints the growth and returns
// true (main then exits). `warm_up` runs first so that libraries and caches are loaded.
inline bool run_peak_memory_child(int argc, char** argv,
                                  const std::map<std::string, Operation>& operations,
                                  const std::function<void()>& warm_up) {
    if (argc != 4 || std::strcmp(argv[1], "--peak-memory") != 0)
        return false;
    warm_up();
    const long before = max_rss_bytes();
    {
        // Read into a buffer of the exact size: a growing stream would add its own peaks.
        std::ifstream file(argv[3], std::ios::binary | std::ios::ate);
        std::string bytes(static_cast<std::size_t>(file.tellg()), '\0');
        file.seekg(0);
        file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        operations.at(argv[2])(bytes);
    }
    std::printf("%ld\n", max_rss_bytes() - before);
    return true;
}

// In the parent: the growth of peak memory for `operation` on `input`, or -1.
inline long measure_peak_memory(const std::string& operation, const std::string& input) {
    const std::string path = "/tmp/bench-peak-" + std::to_string(::getpid()) + ".xml";
    std::ofstream(path, std::ios::binary) << input;
    char self[4096] = {};
    if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
        return -1;
    const std::string command = std::string(self) + " --peak-memory " + operation + " " + path;
    FILE* child = ::popen(command.c_str(), "r");
    long growth = -1;
    if (child) {
        if (std::fscanf(child, "%ld", &growth) != 1)
            growth = -1;
        ::pclose(child);
    }
    std::remove(path.c_str());
    return growth;
}

}  // namespace bench
