#include "model.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace axis_sim {
namespace {

constexpr Millis kVietnamOffset = 7 * 3600 * 1000;

}  // namespace

Millis now_millis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string format_axis_time(Millis when) {
    const std::time_t seconds = static_cast<std::time_t>((when + kVietnamOffset) / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[80];
    std::snprintf(text, sizeof text, "%02d/%02d/%04d %02d:%02d:%02d", parts.tm_mday,
                  parts.tm_mon + 1, parts.tm_year + 1900, parts.tm_hour, parts.tm_min,
                  parts.tm_sec);
    return text;
}

bool parse_axis_time(const std::string& text, Millis& when) {
    if (text.size() != 19)
        return false;
    std::tm parts{};
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%2d/%2d/%4d %2d:%2d:%2d%n", &parts.tm_mday, &parts.tm_mon,
                    &parts.tm_year, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed) != 6 ||
        consumed != 19)
        return false;
    parts.tm_mon -= 1;
    parts.tm_year -= 1900;
    const Millis local = static_cast<Millis>(timegm(&parts)) * 1000;
    // timegm normalises 31/02 into March: a value that does not round-trip is not a date.
    if (format_axis_time(local - kVietnamOffset) != text)
        return false;
    when = local - kVietnamOffset;
    return true;
}

}  // namespace axis_sim
