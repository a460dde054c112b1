// Small text helpers shared by the simulator's parts.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

#include "sample_support/hex.hpp"

namespace idesk_sim {

inline bool is_digits(std::string_view text) {
    if (text.empty())
        return false;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

// What HTTP header values and Idempotency-Keys may hold: 0x20..0x7E.
inline bool is_printable_ascii(std::string_view text) {
    for (const char c : text) {
        if (c < 0x20 || c > 0x7E)
            return false;
    }
    return true;
}

inline std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

using sample_support::hex;

// Percent-encodes everything but RFC 3986's unreserved characters, so that a task code's
// ',', '/' and '#' stay inside one path segment.
inline std::string percent_encode(std::string_view text) {
    static const char kDigits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kDigits[byte >> 4];
            out += kDigits[byte & 15];
        }
    }
    return out;
}

// At most about `limit` bytes of `text` for a message, marked when cut, never inside a
// UTF-8 sequence (the messages end up in JSON).
inline std::string shortened(const std::string& text, std::size_t limit = 300) {
    if (text.size() <= limit)
        return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return text.substr(0, end) + "…";
}

}  // namespace idesk_sim
