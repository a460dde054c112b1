// The XroadVnpt request authentication. Expected values are computed here independently
// (the JSON written by hand, the HMAC with OpenSSL's HMAC directly).
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <map>

#include "independent_hmac.hpp"
#include "vdxp/xroad_headers.hpp"

using namespace vdxp;

namespace {

std::string value_of(const Headers& headers, const std::string& name) {
    for (const auto& [key, value] : headers) {
        if (key == name)
            return value;
    }
    BOOST_FAIL("no header " << name);
    return {};
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// A received request as the server sees it: names case-insensitive.
struct Received {
    std::map<std::string, std::string> headers;
    explicit Received(const Headers& sent) {
        for (const auto& [key, value] : sent)
            headers[lower(key)] = value;
    }
    Verification verify(const std::map<std::string, std::string>& secrets) const {
        return verify_request(
            [&](std::string_view name) -> std::optional<std::string> {
                const auto found = headers.find(lower(std::string(name)));
                return found == headers.end() ? std::nullopt
                                              : std::optional<std::string>(found->second);
            },
            [&](const std::string& systemid) -> std::optional<std::string> {
                const auto found = secrets.find(systemid);
                return found == secrets.end() ? std::nullopt
                                              : std::optional<std::string>(found->second);
            });
    }
};

const std::map<std::string, std::string> kSecrets{{"00.20.W00", "bí-mật-của-Đồng-Tháp"},
                                                  {"00.53.W00", "other"}};

Headers sample_request() {
    return sign_request("00.20.W00", "bí-mật-của-Đồng-Tháp", "application/json",
                        {{"servicetype", "eDoc"}, {"messagetype", "edoc"}}, "26112026T190000+0123");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(xroad_headers)

BOOST_AUTO_TEST_CASE(hmac_matches_rfc4231) {
    BOOST_TEST(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(headers_are_built_as_the_sdk_builds_them) {
    const Headers headers = sample_request();
    const std::string expected_json =
        "{\"XroadVnpt-timestamp\":\"26112026T190000+0123\",\"XroadVnpt-systemid\":\"00.20.W00\","
        "\"XroadVnpt-Content-Type\":\"application/json\",\"XroadVnpt-servicetype\":\"eDoc\","
        "\"XroadVnpt-messagetype\":\"edoc\"}";
    BOOST_TEST(value_of(headers, "XroadVnpt-sign-header") == expected_json);
    BOOST_TEST(value_of(headers, "XroadVnpt-hash-header") ==
               independent_hmac_hex("bí-mật-của-Đồng-Tháp", expected_json));
    BOOST_TEST(value_of(headers, "XroadVnpt-sign-header-key") ==
               "timestamp;systemid;Content-Type;servicetype;messagetype");
    BOOST_TEST(value_of(headers, "XroadVnpt-servicetype") == "eDoc");
    BOOST_TEST(value_of(headers, "XroadVnpt-Content-Type") == "application/json");
    BOOST_TEST(value_of(headers, "Content-Type") == "application/json");
    BOOST_TEST(value_of(headers, "XroadVnpt-version") == "3.0.201608");
    BOOST_TEST(value_of(headers, "User-Agent") == "JAVASDKAgent/1.0.0 XRoad/VPCP");
    for (const auto& [name, value] : headers)
        BOOST_TEST(value.find("bí-mật") == std::string::npos, name);
}

BOOST_AUTO_TEST_CASE(timestamp_has_the_sdk_form) {
    // 2026-11-26T12:00:00.045Z is 19:00:00 in Vietnam; the 4 digits are milliseconds.
    const auto when =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(1795694400045LL));
    BOOST_TEST(format_timestamp(when) == "26112026T190000+0045");
    BOOST_TEST(format_timestamp(when, std::chrono::minutes(0)) == "26112026T120000+0045");
}

BOOST_AUTO_TEST_CASE(a_signed_request_verifies_with_names_in_any_case) {
    const Verification result = Received(sample_request()).verify(kSecrets);
    BOOST_TEST(result.ok, result.reason);
    BOOST_TEST(result.systemid == "00.20.W00");
    BOOST_REQUIRE_EQUAL(result.parameters.size(), 5u);
    BOOST_TEST(result.parameters[3].first == "servicetype");
}

BOOST_AUTO_TEST_CASE(values_with_quotes_and_vietnamese_round_trip) {
    const Headers headers =
        sign_request("00.20.W00", "bí-mật-của-Đồng-Tháp", "application/octet-stream",
                     {{"from", "000.00.00.H20"}, {"to", "[\"000.00.00.G22\",\"a\\\\b\"]"}},
                     "26112026T190000+0000");
    const Verification result = Received(headers).verify(kSecrets);
    BOOST_TEST(result.ok, result.reason);
    BOOST_TEST(result.parameters.back().second == "[\"000.00.00.G22\",\"a\\\\b\"]");
}

BOOST_AUTO_TEST_CASE(refusals_name_what_is_wrong) {
    auto refused_because = [](Received received, const std::string& text) {
        const Verification result = received.verify(kSecrets);
        BOOST_TEST(!result.ok);
        BOOST_TEST(result.reason.find(text) != std::string::npos, result.reason);
    };
    // The wrong secret.
    refused_because(Received(sign_request("00.20.W00", "wrong", "application/json",
                                          {{"servicetype", "eDoc"}}, "26112026T190000+0000")),
                    "hash-header does not match");
    // A signed header changed on the way.
    Received changed(sample_request());
    changed.headers["xroadvnpt-messagetype"] = "status";
    refused_because(changed, "header XroadVnpt-messagetype differs from its signed value");
    // A signed header missing.
    Received missing(sample_request());
    missing.headers.erase("xroadvnpt-servicetype");
    refused_because(missing, "XroadVnpt-servicetype is missing");
    // The signed JSON changed: the HMAC no longer matches.
    Received json_changed(sample_request());
    json_changed.headers["xroadvnpt-sign-header"].replace(
        json_changed.headers["xroadvnpt-sign-header"].find("edoc"), 4, "evil");
    refused_because(json_changed, "hash-header does not match");
    // Unknown system, missing pieces.
    Received unknown(sample_request());
    unknown.headers["xroadvnpt-systemid"] = "99.99.W99";
    refused_because(unknown, "unknown systemid '99.99.W99'");
    Received no_hash(sample_request());
    no_hash.headers.erase("xroadvnpt-hash-header");
    refused_because(no_hash, "missing header XroadVnpt-hash-header");
    Received no_system(sample_request());
    no_system.headers.erase("xroadvnpt-systemid");
    refused_because(no_system, "missing header XroadVnpt-systemid");
    // A key list that does not match the JSON.
    Received keys(sample_request());
    keys.headers["xroadvnpt-sign-header-key"] = "timestamp;systemid";
    refused_because(keys, "sign-header-key does not list the signed headers");
}

BOOST_AUTO_TEST_CASE(a_validly_signed_json_of_the_wrong_shape_is_refused) {
    const std::string secret = "other";
    for (const std::string& json : {std::string("[1,2]"), std::string("{\"XroadVnpt-systemid\":7}"),
                                    std::string("{\"systemid\":\"00.53.W00\"}")}) {
        Received received(Headers{});
        received.headers["xroadvnpt-systemid"] = "00.53.W00";
        received.headers["xroadvnpt-sign-header"] = json;
        received.headers["xroadvnpt-hash-header"] = independent_hmac_hex(secret, json);
        const Verification result = received.verify(kSecrets);
        BOOST_TEST(!result.ok, json);
    }
}

BOOST_AUTO_TEST_SUITE_END()
