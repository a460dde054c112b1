// A JSON request body read as it arrives, with its long strings taken out (issue 13).
//
// An assignment's attachments travel as base64 strings of many megabytes. Read whole and
// handed to the JSON parser, one 15 MB body was held four or five times over (the body,
// the parser's token buffer, the parsed value, the field's copy, a decoded check). The
// reader below scans the bytes chunk by chunk; a string longer than `long_string_bytes`
// goes, unescaped, into a buffer of its own, and the text the JSON parser sees (the
// skeleton) holds a short stand-in for it. Each long string is then held once, and moved,
// not copied, into the attachment it becomes.
//
// Stand-ins hold a random nonce drawn for each body, so a client cannot forge one.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "edxml/attachments.hpp"

namespace http_api {

// The long strings of one body, found by their stand-ins.
class LongStrings {
  public:
    LongStrings();
    // The stand-in for string `index`, as the parsed skeleton holds it.
    std::string stand_in(std::size_t index) const;
    // The string `value` stands for (moved out: each is read once), or null when `value`
    // is an ordinary string.
    std::string* find(const std::string& value);
    std::size_t add(std::string text);
    std::size_t count() const { return texts_.size(); }

  private:
    std::string marker_;  // "long-string:" + nonce + ":"
    std::vector<std::string> texts_;
};

struct JsonBody {
    std::string skeleton;  // the body with every long string replaced by its stand-in
    LongStrings long_strings;
    std::string sha256_hex;  // of the hash prefix and every byte of the body as sent
    std::size_t size = 0;    // bytes received
};

// Thrown by the reader: the body's strings are not JSON (what and at which byte).
class JsonBodyError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class JsonBodyReader {
  public:
    // `hash_prefix` goes into the digest before the body (the Idempotency-Key hash covers
    // method and path). `expected_size` (the Content-Length, 0 when unknown) sizes the
    // long string's buffer once.
    explicit JsonBodyReader(std::string_view hash_prefix, std::size_t expected_size = 0,
                            std::size_t long_string_bytes = kLongStringBytes);

    void feed(const char* data, std::size_t size);  // throws JsonBodyError
    JsonBody finish();                              // throws JsonBodyError

    // Above every text field's limit (100 000 bytes, 600 000 when each is written as
    // \uXXXX): a string this long can only be an attachment's base64.
    static constexpr std::size_t kLongStringBytes = 1024 * 1024;

  private:
    void end_string();

    JsonBody body_;
    edxml::Sha256Stream digest_;
    std::size_t expected_size_;
    std::size_t long_string_bytes_;
    bool in_string_ = false;
    bool after_backslash_ = false;
    std::size_t string_started_at_ = 0;  // byte offset of the opening quote
    std::string current_;                // the string being read, still escaped
};

// Replaces the JSON escapes of `text` (a string's content without its quotes) by what
// they stand for, in place; throws JsonBodyError naming the first bad one (offsets from
// `base`). Refuses raw control characters and lone surrogates, as JSON does.
void unescape_json_string(std::string& text, std::size_t base);

}  // namespace http_api
