#include "vdxp/xroad_headers.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace vdxp {
namespace {

void json_string(std::string& out, std::string_view value) {
    out += '"';
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (byte < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
                    out += escaped;
                } else {
                    out += c;  // UTF-8 as is
                }
        }
    }
    out += '"';
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Verification refuse(Verification result, std::string reason) {
    result.ok = false;
    result.reason = std::move(reason);
    return result;
}

}  // namespace

std::string format_timestamp(std::chrono::system_clock::time_point when,
                             std::chrono::minutes zone_offset) {
    const auto local = when + zone_offset;
    const std::time_t seconds = std::chrono::system_clock::to_time_t(local);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(local.time_since_epoch()).count() %
        1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%02d%02d%04dT%02d%02d%02d+%04d", parts.tm_mday,
                  parts.tm_mon + 1, parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec,
                  static_cast<int>(millis));
    return buffer;
}

std::string sign_header_json(const Headers& signed_values) {
    std::string json = "{";
    for (const auto& [key, value] : signed_values) {
        if (json.size() > 1)
            json += ',';
        json_string(json, kHeaderPrefix + key);
        json += ':';
        json_string(json, value);
    }
    json += '}';
    return json;
}

Headers sign_request(const std::string& systemid, const std::string& secret,
                     const std::string& content_type, const Headers& parameters,
                     const std::string& timestamp) {
    Headers signed_values{
        {"timestamp", timestamp}, {"systemid", systemid}, {"Content-Type", content_type}};
    signed_values.insert(signed_values.end(), parameters.begin(), parameters.end());
    Headers headers{{"Content-Type", content_type}};
    std::string keys;
    for (const auto& [key, value] : signed_values) {
        headers.emplace_back(kHeaderPrefix + key, value);
        keys += (keys.empty() ? "" : ";") + key;
    }
    const std::string json = sign_header_json(signed_values);
    headers.emplace_back(std::string(kHeaderPrefix) + "sign-header-key", keys);
    headers.emplace_back(std::string(kHeaderPrefix) + "sign-header", json);
    headers.emplace_back(std::string(kHeaderPrefix) + "hash-header", hmac_sha256_hex(secret, json));
    headers.emplace_back(std::string(kHeaderPrefix) + "version", kApiVersion);
    headers.emplace_back("User-Agent", kUserAgent);
    return headers;
}

Verification verify_request(
    const std::function<std::optional<std::string>(std::string_view)>& header,
    const std::function<std::optional<std::string>(const std::string&)>& secret_for) {
    Verification result;
    const std::string prefix = kHeaderPrefix;
    const auto systemid = header(prefix + "systemid");
    if (!systemid || systemid->empty())
        return refuse(result, "missing header " + prefix + "systemid");
    result.systemid = *systemid;
    const auto secret = secret_for(*systemid);
    if (!secret)
        return refuse(result, "unknown systemid '" + *systemid + "'");
    const auto json = header(prefix + "sign-header");
    const auto hash = header(prefix + "hash-header");
    if (!json || !hash)
        return refuse(result, "missing header " + prefix + (json ? "hash-header" : "sign-header"));
    // Over the JSON exactly as received: re-serialising it would change the bytes.
    const std::string expected = hmac_sha256_hex(*secret, *json);
    const std::string received = lower(*hash);
    if (expected.size() != received.size() ||
        CRYPTO_memcmp(expected.data(), received.data(), expected.size()) != 0)
        return refuse(
            result,
            prefix + "hash-header does not match: wrong secret, or the signed headers changed");

    Poco::JSON::Object::Ptr object;
    try {
        // Keys are kept in the order they were signed in.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        parser.setDepth(2);  // an object of strings; the recursion never goes deeper
        object = parser.parse(*json).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        return refuse(result, prefix + "sign-header is not a JSON object");
    }
    std::vector<std::string> json_keys;
    for (const std::string& name : object->getNames()) {
        const Poco::Dynamic::Var value = object->get(name);
        if (!value.isString())
            return refuse(result, "signed value of '" + name + "' is not a string");
        if (lower(name).rfind(lower(prefix), 0) != 0)
            return refuse(result, "signed header '" + name + "' lacks the " + prefix + " prefix");
        const std::string key = name.substr(prefix.size());
        const std::string signed_value = value.convert<std::string>();
        const auto actual = header(name);
        if (!actual)
            return refuse(result, "signed header " + name + " is missing from the request");
        if (*actual != signed_value)
            return refuse(result, "header " + name + " differs from its signed value");
        json_keys.push_back(lower(key));
        result.parameters.emplace_back(key, signed_value);
    }
    if (const auto key_list = header(prefix + "sign-header-key")) {
        std::vector<std::string> listed;
        std::string current;
        for (const char c : *key_list + ";") {
            if (c == ';') {
                if (!current.empty())
                    listed.push_back(lower(current));
                current.clear();
            } else {
                current += c;
            }
        }
        std::sort(listed.begin(), listed.end());
        std::sort(json_keys.begin(), json_keys.end());
        if (listed != json_keys)
            return refuse(result, prefix + "sign-header-key does not list the signed headers");
    }
    result.ok = true;
    return result;
}

}  // namespace vdxp
