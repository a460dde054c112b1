// The Clock port: "now" for timestamps, timeliness and backoff, so tests can pin time.
#pragma once

#include <chrono>

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

}  // namespace connector
