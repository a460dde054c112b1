// Calendar dates and timestamps as edXML carries them: local time of the producer
// (UTC+7 in practice), no zone. Parsing accepts the variants seen in the wild
// (protocol.md §1.10); formatting always emits the canonical QCVN 102 forms.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace edxml {

struct Date {
    int year = 0;
    int month = 0;
    int day = 0;

    auto operator<=>(const Date&) const = default;
};

struct DateTime {
    Date date;
    int hour = 0;
    int minute = 0;
    int second = 0;

    auto operator<=>(const DateTime&) const = default;
};

// Which of the accepted spellings a parsed value used.
enum class DateFormat {
    canonical,  // yyyy/MM/dd [HH:mm:ss]
    day_first,  // dd/MM/yyyy [HH:mm:ss]
    iso,        // yyyy-MM-dd [HH:mm:ss or THH:mm:ss]
};

template <typename T>
struct ParsedDate {
    T value;
    DateFormat format = DateFormat::canonical;
};

// Parses a date in any accepted format; surrounding whitespace is ignored. A time part,
// if present, is accepted and dropped. Returns nothing for malformed or impossible dates
// (2025/02/30).
std::optional<ParsedDate<Date>> parse_date(std::string_view text);

// Parses a timestamp in any accepted format; a missing time part means 00:00:00.
std::optional<ParsedDate<DateTime>> parse_date_time(std::string_view text);

bool is_valid_calendar_date(int year, int month, int day);

std::string format_date(const Date& date);             // yyyy/MM/dd
std::string format_date_time(const DateTime& moment);  // yyyy/MM/dd HH:mm:ss

const char* to_string(DateFormat format);

}  // namespace edxml
