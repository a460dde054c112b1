#include "connector/clock.hpp"

#include <cstdio>
#include <ctime>

namespace connector {

std::string utc_text(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() %
        1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<int>(millis));
    return buffer;
}

std::optional<std::chrono::system_clock::time_point> parse_utc_text(const std::string& text) {
    std::tm parts{};
    int millis = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &parts.tm_year, &parts.tm_mon,
                    &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &millis) < 6)
        return std::nullopt;
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(timegm(&parts)) +
           std::chrono::milliseconds(millis);
}

std::string vietnam_time_text(const std::string& utc) {
    const auto when = parse_utc_text(utc);
    return when ? edxml::format_date_time(vietnam_time(*when)) : utc;
}

std::optional<std::string> utc_range_bound(const std::string& text, bool end) {
    if (text.size() == 10) {
        const auto parsed =
            text[4] == '-' && text[7] == '-' ? edxml::parse_date(text) : std::nullopt;
        if (!parsed)
            return std::nullopt;
        std::tm parts{};
        parts.tm_year = parsed->value.year - 1900;
        parts.tm_mon = parsed->value.month - 1;
        parts.tm_mday = parsed->value.day + (end ? 1 : 0);
        // Midnight in Vietnam is 17:00 UTC the day before.
        return utc_text(std::chrono::system_clock::from_time_t(timegm(&parts)) -
                        std::chrono::hours(7));
    }
    const auto when = parse_utc_text(text);
    if (!when || text.size() > 24 || utc_text(*when).compare(0, 19, text, 0, 19) != 0)
        return std::nullopt;
    return utc_text(*when);
}

}  // namespace connector
