// The Clock port: "now" for timestamps, timeliness and backoff, so tests can pin time.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "edxml/dates.hpp"

namespace connector {

class Clock {
  public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock final : public Clock {
  public:
    std::chrono::system_clock::time_point now() const override {
        return std::chrono::system_clock::now();
    }
};

// The date and time in Vietnam (UTC+7, no daylight saving): what documents, deadlines
// and timeliness are written in.
edxml::DateTime vietnam_time(std::chrono::system_clock::time_point when);
inline edxml::Date vietnam_date(std::chrono::system_clock::time_point when) {
    return vietnam_time(when).date;
}

// The store's timestamps: UTC, ISO 8601 with milliseconds ("2026-12-02T01:50:15.042Z").
std::string utc_text(std::chrono::system_clock::time_point when);
// The inverse (milliseconds optional); nothing when `text` is not of that form.
std::optional<std::chrono::system_clock::time_point> parse_utc_text(const std::string& text);

// A store timestamp as people read it: "yyyy/MM/dd HH:mm:ss" in Vietnam time; `utc` itself
// when it does not read as one.
std::string vietnam_time_text(const std::string& utc);

// A bound of a time range as a person gives it, in the store's form: a Vietnam date
// (yyyy-MM-dd: that day's first moment, or as an `end`, the next day's, so that the day
// is included) or a UTC time as the store writes it. Nothing when it is neither.
std::optional<std::string> utc_range_bound(const std::string& text, bool end);

}  // namespace connector
