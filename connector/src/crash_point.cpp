#include "connector/crash_point.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

namespace connector {
namespace {

struct Target {
    std::string name;
    long count = 1;
};

const Target& target() {
    static const Target parsed = [] {
        Target result;
        const char* text = std::getenv("CONNECTOR_CRASH_AT");
        if (!text)
            return result;
        result.name = text;
        if (const auto colon = result.name.find(':'); colon != std::string::npos) {
            result.count = std::max(1L, std::strtol(result.name.c_str() + colon + 1, nullptr, 10));
            result.name.resize(colon);
        }
        return result;
    }();
    return parsed;
}

}  // namespace

void crash_point(const char* name) {
    static std::atomic<long> reached{0};
    const Target& wanted = target();
    if (wanted.name.empty() || wanted.name != name)
        return;
    if (++reached == wanted.count)
        raise(SIGKILL);
}

}  // namespace connector
