#include "json_body.hpp"

#include <openssl/rand.h>

namespace http_api {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

[[noreturn]] void bad_string(const std::string& what, std::size_t at) {
    throw JsonBodyError(what + " at byte " + std::to_string(at));
}

// The code unit of "\uXXXX" starting at text[at] (the backslash).
unsigned code_unit(const std::string& text, std::size_t at, std::size_t base) {
    if (at + 6 > text.size() || text[at + 1] != 'u')
        bad_string("a \\u escape needs four hex digits", base + at);
    unsigned unit = 0;
    for (std::size_t k = at + 2; k < at + 6; ++k) {
        const int digit = hex_value(text[k]);
        if (digit < 0)
            bad_string("a \\u escape needs four hex digits", base + at);
        unit = unit * 16 + static_cast<unsigned>(digit);
    }
    return unit;
}

std::size_t put_utf8(std::string& text, std::size_t to, unsigned point) {
    if (point < 0x80) {
        text[to++] = static_cast<char>(point);
    } else if (point < 0x800) {
        text[to++] = static_cast<char>(0xc0 | (point >> 6));
        text[to++] = static_cast<char>(0x80 | (point & 0x3f));
    } else if (point < 0x10000) {
        text[to++] = static_cast<char>(0xe0 | (point >> 12));
        text[to++] = static_cast<char>(0x80 | ((point >> 6) & 0x3f));
        text[to++] = static_cast<char>(0x80 | (point & 0x3f));
    } else {
        text[to++] = static_cast<char>(0xf0 | (point >> 18));
        text[to++] = static_cast<char>(0x80 | ((point >> 12) & 0x3f));
        text[to++] = static_cast<char>(0x80 | ((point >> 6) & 0x3f));
        text[to++] = static_cast<char>(0x80 | (point & 0x3f));
    }
    return to;
}

}  // namespace

LongStrings::LongStrings() {
    unsigned char nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        throw std::runtime_error("OpenSSL could not draw a random nonce");
    marker_ = "long-string:" + edxml::lower_hex(nonce, sizeof nonce) + ":";
}

std::string LongStrings::stand_in(std::size_t index) const {
    return marker_ + std::to_string(index);
}

std::string* LongStrings::find(const std::string& value) {
    if (value.size() <= marker_.size() || value.compare(0, marker_.size(), marker_) != 0)
        return nullptr;
    const std::string number = value.substr(marker_.size());
    if (number.find_first_not_of("0123456789") != std::string::npos || number.size() > 9)
        return nullptr;
    const auto index = static_cast<std::size_t>(std::stoul(number));
    return index < texts_.size() ? &texts_[index] : nullptr;
}

std::size_t LongStrings::add(std::string text) {
    texts_.push_back(std::move(text));
    return texts_.size() - 1;
}

void unescape_json_string(std::string& text, std::size_t base) {
    std::size_t to = 0;
    std::size_t from = 0;
    while (from < text.size()) {
        const char c = text[from];
        if (static_cast<unsigned char>(c) < 0x20)
            bad_string("a string holds a raw control character", base + from);
        if (c != '\\') {
            text[to++] = c;
            ++from;
            continue;
        }
        if (from + 1 >= text.size())
            bad_string("a string ends in a backslash", base + from);
        const char kind = text[from + 1];
        const char simple = kind == '"'    ? '"'
                            : kind == '\\' ? '\\'
                            : kind == '/'  ? '/'
                            : kind == 'b'  ? '\b'
                            : kind == 'f'  ? '\f'
                            : kind == 'n'  ? '\n'
                            : kind == 'r'  ? '\r'
                            : kind == 't'  ? '\t'
                                           : '\0';
        if (simple != '\0') {
            text[to++] = simple;
            from += 2;
            continue;
        }
        if (kind != 'u')
            bad_string(std::string("'\\") + kind + "' is not a JSON escape", base + from);
        unsigned point = code_unit(text, from, base);
        std::size_t length = 6;
        if (point >= 0xdc00 && point <= 0xdfff)
            bad_string("a lone low surrogate", base + from);
        if (point >= 0xd800 && point <= 0xdbff) {
            if (from + 12 > text.size() || text[from + 6] != '\\')
                bad_string("a high surrogate without its low half", base + from);
            const unsigned low = code_unit(text, from + 6, base);
            if (low < 0xdc00 || low > 0xdfff)
                bad_string("a high surrogate without its low half", base + from);
            point = 0x10000 + ((point - 0xd800) << 10) + (low - 0xdc00);
            length = 12;
        }
        // An escape is never shorter than what it stands for: writing stays behind reading.
        to = put_utf8(text, to, point);
        from += length;
    }
    text.resize(to);
}

JsonBodyReader::JsonBodyReader(std::string_view hash_prefix, std::size_t expected_size,
                               std::size_t long_string_bytes)
    : expected_size_(expected_size), long_string_bytes_(long_string_bytes) {
    digest_.update(hash_prefix);
    if (expected_size_ < long_string_bytes_)
        body_.skeleton.reserve(expected_size_);
}

void JsonBodyReader::feed(const char* data, std::size_t size) {
    digest_.update(std::string_view(data, size));
    std::size_t run_start = 0;  // the bytes since here go where the state says, at once
    for (std::size_t i = 0; i < size; ++i) {
        const char c = data[i];
        if (!in_string_) {
            if (c == '"') {
                body_.skeleton.append(data + run_start, i - run_start);
                in_string_ = true;
                string_started_at_ = body_.size + i;
                current_.clear();
                run_start = i + 1;
            }
            continue;
        }
        if (after_backslash_) {
            after_backslash_ = false;
        } else if (c == '\\') {
            after_backslash_ = true;
        } else if (c == '"') {
            current_.append(data + run_start, i - run_start);
            end_string();
            in_string_ = false;
            run_start = i + 1;
        }
    }
    if (in_string_) {
        const std::size_t before = current_.size();
        const std::size_t added = size - run_start;
        if (before <= long_string_bytes_ && before + added > long_string_bytes_ &&
            expected_size_ > body_.size)
            // About to become a long string: the rest of the body bounds it.
            current_.reserve(before + (expected_size_ - body_.size - run_start));
        current_.append(data + run_start, added);
    } else {
        body_.skeleton.append(data + run_start, size - run_start);
    }
    body_.size += size;
}

void JsonBodyReader::end_string() {
    if (current_.size() <= long_string_bytes_) {
        body_.skeleton += '"';
        body_.skeleton += current_;
        body_.skeleton += '"';
        return;
    }
    unescape_json_string(current_, string_started_at_ + 1);
    const std::size_t index = body_.long_strings.add(std::move(current_));
    current_ = std::string();
    body_.skeleton += '"';
    body_.skeleton += body_.long_strings.stand_in(index);
    body_.skeleton += '"';
}

JsonBody JsonBodyReader::finish() {
    if (in_string_)
        bad_string("a string is not closed", string_started_at_);
    body_.sha256_hex = digest_.hex();
    return std::move(body_);
}

}  // namespace http_api
