// Reading a JSON request body field by field, collecting every problem with its path
// ("tasks[2].lead.organId") instead of stopping at the first: a 400 lists them all.
// Fields the API does not know are problems too, so a misspelt optional field is not
// silently ignored.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "json_body.hpp"

namespace http_api {

// Characters (Unicode code points) of UTF-8 text, as JSON Schema's maxLength counts them:
// every byte but the continuation bytes (10xxxxxx) starts one.
inline std::size_t characters(const std::string& text) {
    std::size_t count = 0;
    for (const unsigned char byte : text)
        count += (byte & 0xC0) != 0x80 ? 1 : 0;
    return count;
}

struct Problem {
    std::string field;
    std::string reason;
};

class FieldReader {
  public:
    std::vector<Problem> problems;
    // The body's long strings (json_body.hpp): a field holding a stand-in reads as the
    // string it stands for.
    LongStrings* long_strings = nullptr;

    // Fields (by name) where null means "none" (an amendment's dueDate); anywhere else a
    // null is refused, as the spec marks no other field nullable.
    std::set<std::string> nullable;

    void problem(const std::string& field, const std::string& reason) {
        problems.push_back({field, reason});
    }

    // Whether `name` is to be read as absent: not there, or null where null is allowed (a
    // null elsewhere is a problem, and read as absent too).
    bool absent(const Poco::JSON::Object::Ptr& object, const std::string& path,
                const std::string& name) {
        if (!object || !object->has(name))
            return true;
        if (!object->isNull(name))
            return false;
        if (nullable.count(name) == 0)
            problem(join(path, name), "is null: leave the field out instead");
        return true;
    }

    // The object at `path`, with unknown fields reported; null when it is not an object.
    Poco::JSON::Object::Ptr object(const Poco::Dynamic::Var& value, const std::string& path,
                                   std::initializer_list<const char*> known) {
        if (value.isEmpty() || value.type() != typeid(Poco::JSON::Object::Ptr)) {
            problem(path.empty() ? "(body)" : path, "must be a JSON object");
            return nullptr;
        }
        auto object = value.extract<Poco::JSON::Object::Ptr>();
        const std::set<std::string> allowed(known.begin(), known.end());
        for (const auto& name : object->getNames())
            if (allowed.count(name) == 0)
                problem(join(path, name), "unknown field");
        return object;
    }

    // A string field; required ones must be present and not blank.
    std::string text(const Poco::JSON::Object::Ptr& object, const std::string& path,
                     const std::string& name, bool required, std::size_t max_length) {
        const std::string field = join(path, name);
        const bool was_null = object && object->has(name) && object->isNull(name);
        if (absent(object, path, name)) {
            if (required && !was_null)
                problem(field, "is required");
            return {};
        }
        const Poco::Dynamic::Var value = object->get(name);
        if (!value.isString()) {
            problem(field, "must be a string");
            return {};
        }
        std::string text = value.extract<std::string>();
        if (long_strings)
            if (std::string* long_text = long_strings->find(text))
                text = std::move(*long_text);  // each is read once: moved, not copied
        if (required && text.find_first_not_of(" \t\r\n") == std::string::npos)
            problem(field, "must not be blank");
        else if (characters(text) > max_length)
            problem(field, "is longer than " + std::to_string(max_length) + " characters");
        else if (has_control_character(text))
            problem(field, "holds a control character");
        return text;
    }

    std::optional<int> integer(const Poco::JSON::Object::Ptr& object, const std::string& path,
                               const std::string& name, int low, int high) {
        const std::string field = join(path, name);
        if (absent(object, path, name))
            return std::nullopt;
        const Poco::Dynamic::Var value = object->get(name);
        if (!value.isInteger() || value.isBoolean()) {  // Poco counts true as an integer
            problem(field, "must be an integer");
            return std::nullopt;
        }
        long long number = 0;
        try {
            number = value.convert<long long>();
        } catch (const Poco::Exception&) {
            number = value.isSigned() ? low - 1LL : high + 1LL;  // beyond 64 bits
        }
        if (number < low || number > high) {
            problem(field, "must be " + std::to_string(low) + ".." + std::to_string(high));
            return std::nullopt;
        }
        return static_cast<int>(number);
    }

    // The array at `name` (absent: empty), each element handed to `each` with its path.
    template <typename Each>
    std::size_t array(const Poco::JSON::Object::Ptr& object, const std::string& path,
                      const std::string& name, std::size_t min, std::size_t max, Each each) {
        const std::string field = join(path, name);
        const bool was_null = object && object->has(name) && object->isNull(name);
        if (absent(object, path, name)) {
            if (min > 0 && !was_null)
                problem(field, "is required");
            return 0;
        }
        const Poco::Dynamic::Var value = object->get(name);
        if (value.type() != typeid(Poco::JSON::Array::Ptr)) {
            problem(field, "must be an array");
            return 0;
        }
        const auto array = value.extract<Poco::JSON::Array::Ptr>();
        if (array->size() < min || array->size() > max) {
            problem(field, "must have " + std::to_string(min) + ".." + std::to_string(max) +
                               " entries, not " + std::to_string(array->size()));
            return 0;
        }
        for (std::size_t i = 0; i < array->size(); ++i)
            each(array->get(static_cast<unsigned>(i)), field + "[" + std::to_string(i) + "]");
        return array->size();
    }

    static std::string join(const std::string& path, const std::string& name) {
        return path.empty() ? name : path + "." + name;
    }

  private:
    static bool has_control_character(const std::string& text) {
        for (const unsigned char c : text)
            if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
                return true;
        return false;
    }
};

}  // namespace http_api
