#include "edxml/dates.hpp"

#include <cctype>
#include <cstdio>

namespace edxml {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

// Reads exactly `width` digits at `pos`.
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
    if (pos + width > text.size())
        return false;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i])))
            return false;
        value = value * 10 + (text[i] - '0');
    }
    out = value;
    return true;
}

// Parses the date part (10 characters) of any accepted format.
std::optional<ParsedDate<Date>> parse_date_part(std::string_view text) {
    if (text.size() != 10)
        return std::nullopt;
    Date date;
    DateFormat format;
    if (text[4] == '/' && text[7] == '/') {
        format = DateFormat::canonical;
        if (!read_digits(text, 0, 4, date.year) || !read_digits(text, 5, 2, date.month) ||
            !read_digits(text, 8, 2, date.day)) {
            return std::nullopt;
        }
    } else if (text[4] == '-' && text[7] == '-') {
        format = DateFormat::iso;
        if (!read_digits(text, 0, 4, date.year) || !read_digits(text, 5, 2, date.month) ||
            !read_digits(text, 8, 2, date.day)) {
            return std::nullopt;
        }
    } else if (text[2] == '/' && text[5] == '/') {
        format = DateFormat::day_first;
        if (!read_digits(text, 0, 2, date.day) || !read_digits(text, 3, 2, date.month) ||
            !read_digits(text, 6, 4, date.year)) {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    if (!is_valid_calendar_date(date.year, date.month, date.day))
        return std::nullopt;
    return ParsedDate<Date>{date, format};
}

// Parses "HH:mm:ss".
bool parse_time_part(std::string_view text, DateTime& moment) {
    if (text.size() != 8 || text[2] != ':' || text[5] != ':')
        return false;
    if (!read_digits(text, 0, 2, moment.hour) || !read_digits(text, 3, 2, moment.minute) ||
        !read_digits(text, 6, 2, moment.second)) {
        return false;
    }
    return moment.hour < 24 && moment.minute < 60 && moment.second < 60;
}

}  // namespace

bool is_valid_calendar_date(int year, int month, int day) {
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    static const int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int days = month == 2 && leap ? 29 : kDaysInMonth[month - 1];
    return day <= days;
}

std::optional<ParsedDate<DateTime>> parse_date_time(std::string_view text) {
    text = trim(text);
    if (text.size() < 10)
        return std::nullopt;
    auto date = parse_date_part(text.substr(0, 10));
    if (!date)
        return std::nullopt;
    ParsedDate<DateTime> result{DateTime{date->value, 0, 0, 0}, date->format};
    if (text.size() == 10)
        return result;
    const char separator = text[10];
    const bool separator_ok =
        separator == ' ' || (separator == 'T' && date->format == DateFormat::iso);
    if (!separator_ok || !parse_time_part(text.substr(11), result.value))
        return std::nullopt;
    return result;
}

std::optional<ParsedDate<Date>> parse_date(std::string_view text) {
    auto moment = parse_date_time(text);
    if (!moment)
        return std::nullopt;
    return ParsedDate<Date>{moment->value.date, moment->format};
}

std::string format_date(const Date& date) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d/%02d/%02d", date.year, date.month, date.day);
    return buffer;
}

std::string format_date_time(const DateTime& moment) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d/%02d/%02d %02d:%02d:%02d", moment.date.year,
                  moment.date.month, moment.date.day, moment.hour, moment.minute, moment.second);
    return buffer;
}

const char* to_string(DateFormat format) {
    switch (format) {
        case DateFormat::canonical:
            return "yyyy/MM/dd";
        case DateFormat::day_first:
            return "dd/MM/yyyy";
        case DateFormat::iso:
            return "yyyy-MM-dd";
    }
    return "?";
}

}  // namespace edxml
