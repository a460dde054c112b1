#include "connector/crash_point.hpp"

#include "connector/logging.hpp"

#include <signal.h>
#include <unistd.h>

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

std::function<void(const char*)>& hook() {
    static std::function<void(const char*)> installed;
    return installed;
}
std::atomic<bool> hook_set{false};

}  // namespace

void set_crash_point_hook(std::function<void(const char* name)> new_hook) {
    hook_set = false;
    hook() = std::move(new_hook);
    hook_set = static_cast<bool>(hook());
}

void crash_point(const char* name) {
    if (hook_set)
        hook()(name);
    static std::atomic<long> reached{0};
    const Target& wanted = target();
    if (wanted.name.empty() || wanted.name != name)
        return;
    if (++reached == wanted.count) {
        // Said first, so that a crash test can tell its point fired from a kill of its own.
        // The log's channels write each line through before returning.
        logging::daemon.error("CRASH_POINT_REACHED", {{"point", wanted.name}});
        raise(SIGKILL);
    }
}

}  // namespace connector
