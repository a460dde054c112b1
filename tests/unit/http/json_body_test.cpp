// The streaming body reader (adapters/http/src/json_body.cpp): long strings taken out
// whatever the chunking, escapes undone as JSON defines them, the digest over every byte.
#include <boost/test/unit_test.hpp>

#include "edxml/attachments.hpp"
#include "json_body.hpp"

namespace {

http_api::JsonBody read_in_chunks(const std::string& text, std::size_t chunk,
                                  std::size_t long_string_bytes) {
    http_api::JsonBodyReader reader("POST\n/p\n", text.size(), long_string_bytes);
    for (std::size_t at = 0; at < text.size(); at += chunk)
        reader.feed(text.data() + at, std::min(chunk, text.size() - at));
    return reader.finish();
}

std::string unescaped(std::string text) {
    http_api::unescape_json_string(text, 0);
    return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_body)

BOOST_AUTO_TEST_CASE(long_strings_are_taken_out_whatever_the_chunks) {
    const std::string long_one(100, 'Q');
    const std::string text = R"({"a": "short \" quote", "b": [")" + long_one +
                             R"(\/", "x"], "c\\": ")" + long_one + R"("})";
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, text.size()}) {
        auto body = read_in_chunks(text, chunk, 64);
        BOOST_TEST_CONTEXT("chunk " << chunk) {
            BOOST_TEST(body.size == text.size());
            BOOST_TEST(body.sha256_hex == edxml::sha256_hex("POST\n/p\n" + text));
            BOOST_TEST(body.long_strings.count() == 2u);
            BOOST_TEST(body.skeleton == R"({"a": "short \" quote", "b": [")" +
                                            body.long_strings.stand_in(0) + R"(", "x"], "c\\": ")" +
                                            body.long_strings.stand_in(1) + R"("})");
            std::string* first = body.long_strings.find(body.long_strings.stand_in(0));
            BOOST_REQUIRE(first);
            BOOST_TEST(*first == long_one + "/");
            BOOST_TEST(!body.long_strings.find("long-string:0"));
            BOOST_TEST(!body.long_strings.find(body.long_strings.stand_in(2)));
        }
    }
}

BOOST_AUTO_TEST_CASE(each_body_has_its_own_stand_ins) {
    const std::string text = "[\"" + std::string(80, 'z') + "\"]";
    auto one = read_in_chunks(text, 5, 64);
    auto two = read_in_chunks(text, 5, 64);
    BOOST_TEST(one.skeleton != two.skeleton);
    BOOST_TEST(!one.long_strings.find(two.long_strings.stand_in(0)));
}

BOOST_AUTO_TEST_CASE(escapes_are_undone_as_json_defines_them) {
    BOOST_TEST(unescaped(R"(a\"b\\c\/d\b\f\n\r\t)") == "a\"b\\c/d\b\f\n\r\t");
    BOOST_TEST(unescaped(R"(\u0041\u00e1\u1ea1)") == "A\xc3\xa1\xe1\xba\xa1");  // A á ạ
    BOOST_TEST(unescaped(R"(\ud83d\ude00)") == "\xf0\x9f\x98\x80");             // 😀
    const auto refused = [](const std::string& text, const std::string& what) {
        try {
            unescaped(text);
        } catch (const http_api::JsonBodyError& error) {
            return std::string(error.what()).find(what) != std::string::npos;
        }
        return false;
    };
    BOOST_TEST(refused(R"(ab\x)", "'\\x' is not a JSON escape at byte 2"));
    BOOST_TEST(refused(R"(\u12)", "four hex digits at byte 0"));
    BOOST_TEST(refused(R"(\u12g4)", "four hex digits"));
    BOOST_TEST(refused(R"(\ud83d)", "high surrogate without its low half"));
    BOOST_TEST(refused(R"(\ud83d\u0041)", "high surrogate without its low half"));
    BOOST_TEST(refused(R"(\ude00)", "lone low surrogate"));
    BOOST_TEST(refused("a\tb", "raw control character at byte 1"));
    BOOST_TEST(refused("ab\\", "ends in a backslash"));
}

BOOST_AUTO_TEST_CASE(broken_long_strings_are_named_with_their_place) {
    const auto message = [](const std::string& text) {
        try {
            read_in_chunks(text, 3, 16);
        } catch (const http_api::JsonBodyError& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    BOOST_TEST(message("{\"k\": \"" + std::string(40, 'a')) == "a string is not closed at byte 6");
    BOOST_TEST(message("[\"" + std::string(20, 'a') + "\\q\"]") ==
               "'\\q' is not a JSON escape at byte 22");
    // Short strings are left to the JSON parser, which names its own errors.
    BOOST_TEST(message("[\"\\q\"]") == "accepted");
}

BOOST_AUTO_TEST_SUITE_END()
