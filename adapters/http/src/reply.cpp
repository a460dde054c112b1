// The replies and refusals of reply.hpp, and the strict parsing of a request body.
#include "reply.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <set>

namespace http_api {

using Poco::JSON::Object;

namespace {

// Poco's parser keeps the last of two equal keys; a body that says two things about one
// field is refused instead (which one a proxy or a log read would differ).
class DistinctKeysHandler final : public Poco::JSON::ParseHandler {
  public:
    DistinctKeysHandler() : Poco::JSON::ParseHandler(true) {}
    void startObject() override {
        keys_.emplace_back();
        ParseHandler::startObject();
    }
    void endObject() override {
        keys_.pop_back();
        ParseHandler::endObject();
    }
    void key(const std::string& name) override {
        if (!keys_.empty() && !keys_.back().insert(name).second)
            throw Poco::SyntaxException("the key '" + name + "' appears twice in one object");
        ParseHandler::key(name);
    }

  private:
    std::vector<std::set<std::string>> keys_;
};

}  // namespace

bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = c < 0x80         ? 1
                             : (c >> 5) == 6  ? 2
                             : (c >> 4) == 14 ? 3
                             : (c >> 3) == 30 ? 4
                                              : 0;
        if (length == 0 || (length == 2 && c < 0xc2) || i + length > text.size())
            return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80)
                return false;
        const auto second = length > 1 ? static_cast<unsigned char>(text[i + 1]) : 0;
        if ((c == 0xe0 && second < 0xa0) || (c == 0xed && second >= 0xa0) ||
            (c == 0xf0 && second < 0x90) || c > 0xf4 || (c == 0xf4 && second >= 0x90))
            return false;
        i += length;
    }
    return true;
}

std::string valid_utf8_text(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = 1;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            length = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
            if (length == 0 || i + length > text.size() || !valid_utf8(text.substr(i, length))) {
                out += "\xEF\xBF\xBD";
                ++i;
                continue;
            }
        }
        out.append(text, i, length);
        i += length;
    }
    return out;
}

Reply package_download(std::string bytes, std::int64_t sequence) {
    Reply reply{200, {}, std::move(bytes), "application/xml", {}};
    reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"goi-tin-" +
                                                          std::to_string(sequence) + ".xml\"");
    reply.headers.emplace_back("Content-Security-Policy", "sandbox; default-src 'none'");
    return reply;
}

std::int64_t message_sequence(const std::string& field, const std::string& text) {
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        refuse_fields({{field, "not a message sequence (a whole number)"}});
    return std::stoll(text);
}

Reply error_reply(int status, const std::string& message) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("error", valid_utf8_text(message));
    return {status, body, {}, {}, {}};
}

[[noreturn]] void refuse(int status, const std::string& message) {
    throw Refusal{error_reply(status, message)};
}

void refuse_unknown_query(const std::vector<std::pair<std::string, std::string>>& query) {
    if (query.empty())
        return;
    std::vector<Problem> problems;
    for (const auto& [name, value] : query)
        problems.push_back({name, "unknown query parameter"});
    refuse_fields(problems);
}

[[noreturn]] void refuse_fields(const std::vector<Problem>& problems) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("error",
              valid_utf8_text(problems.size() == 1
                                  ? problems.front().field + ": " + problems.front().reason
                                  : std::to_string(problems.size()) + " fields are wrong"));
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& problem : problems) {
        Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("field", valid_utf8_text(problem.field));
        entry->set("reason", valid_utf8_text(problem.reason));
        list->add(entry);
    }
    body->set("problems", list);
    throw Refusal{Reply{400, body, {}, {}, {}}};
}

void check(FieldReader& reader) {
    if (!reader.problems.empty())
        refuse_fields(reader.problems);
}

Poco::Dynamic::Var parse_body(JsonBody& body, FieldReader& reader) {
    const std::string& text = body.skeleton;
    if (text.empty())
        refuse_fields({{"(body)", "a JSON object is required"}});
    if (text.rfind("\xEF\xBB\xBF", 0) == 0)
        refuse_fields({{"(body)", "starts with a byte-order mark; send the JSON without it"}});
    if (!valid_utf8(text))
        refuse_fields({{"(body)", "is not valid UTF-8"}});
    reader.long_strings = &body.long_strings;
    Poco::JSON::Parser parser(new DistinctKeysHandler);
    parser.setDepth(16);  // the deepest body nests 4 levels; the parser recurses per level
    try {
        return parser.parse(text);
    } catch (const Poco::Exception& error) {
        refuse_fields({{"(body)", "is not JSON: " + error.message()}});
    }
}

}  // namespace http_api
