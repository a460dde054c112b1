// What a request handler answers and how it refuses: the reply, the JSON error bodies, the
// UTF-8 checks, and the parsing of a request body.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "field_reader.hpp"
#include "json_body.hpp"

namespace http_api {

// What a handler answers.
struct Reply {
    int status = 200;
    Poco::Dynamic::Var json;  // the body, unless `text` is set
    std::string text;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
};

// A request the handler refuses; carries the reply.
struct Refusal {
    Reply reply;
};

bool valid_utf8(const std::string& text);
// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD: error
// messages quote what the client sent, and must stay valid JSON text.
std::string valid_utf8_text(const std::string& text);

Reply error_reply(int status, const std::string& message);
// A logged package's bytes as a download ("goi-tin-SEQ.xml"), never shown in the pages'
// origin: an attachment with a sandbox policy.
Reply package_download(std::string bytes, std::int64_t sequence);
// A message sequence given as `field`: a whole number, 400 otherwise.
std::int64_t message_sequence(const std::string& field, const std::string& text);
[[noreturn]] void refuse(int status, const std::string& message);
[[noreturn]] void refuse_fields(const std::vector<Problem>& problems);
// For a route that takes no query parameter: 400 naming each one given, with the
// problems array every other 400 has ("reason": "unknown query parameter").
void refuse_unknown_query(const std::vector<std::pair<std::string, std::string>>& query);
// Refuses the request (400) when `reader` found problems.
void check(FieldReader& reader);

// The parsed skeleton of `body`; `reader` resolves its long strings.
Poco::Dynamic::Var parse_body(JsonBody& body, FieldReader& reader);

}  // namespace http_api
