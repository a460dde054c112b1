#include <boost/test/unit_test.hpp>

#include <Poco/Zip/Compress.h>

#include <sstream>

#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"

using namespace edxml;

namespace {

// A zip archive with the given entries, made with Poco::Zip (the reader's own library
// is only used to read).
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::ostringstream out;
    Poco::Zip::Compress compress(out, true);
    for (const auto& [name, bytes] : entries) {
        std::istringstream input(bytes);
        compress.addFile(input, Poco::DateTime(), Poco::Path(name, Poco::Path::PATH_UNIX));
    }
    compress.close();
    return out.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(attachments)

BOOST_AUTO_TEST_CASE(base64_rfc4648_vectors) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        BOOST_TEST(encode_base64(plain, 0) == encoded);
        BOOST_TEST(decode_base64(encoded) == plain);
        BOOST_TEST(check_base64(encoded).decoded_size == std::string(plain).size());
    }
}

BOOST_AUTO_TEST_CASE(base64_round_trips_binary_and_wraps_lines) {
    std::string bytes(1000, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(i * 31 % 256);
    const std::string wrapped = encode_base64(bytes, 76);
    BOOST_TEST(wrapped.find('\n') == 76u);
    BOOST_TEST(decode_base64(wrapped) == bytes);
    BOOST_TEST(decode_base64(" Zm9v\r\n YmFy\t") == "foobar");
}

// decode_base64 takes a quad-at-a-time path for text without whitespace and the
// character walk otherwise: the two must agree on every text, good or bad.
BOOST_AUTO_TEST_CASE(base64_fast_and_careful_decoders_agree) {
    const auto decoded = [](const std::string& text) -> std::string {
        try {
            return "ok:" + decode_base64(text);
        } catch (const Error&) {
            return "refused";
        }
    };
    for (std::size_t length = 0; length < 40; ++length) {
        std::string bytes(length, '\0');
        for (std::size_t i = 0; i < length; ++i)
            bytes[i] = static_cast<char>((i * 97 + length * 13) % 256);
        const std::string plain = encode_base64(bytes, 0);
        BOOST_TEST(decoded(plain) == "ok:" + bytes);
        for (std::size_t at = 0; at < plain.size(); ++at) {
            for (const char odd : {'=', '!', '\xC3', '-', '_'}) {
                std::string changed = plain;
                changed[at] = odd;
                // A space in front sends the same text down the character walk.
                BOOST_TEST(decoded(changed) == decoded(" " + changed), changed);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_base64_is_refused_with_its_offset) {
    const std::pair<const char*, const char*> cases[] = {
        {"Zm9v!mFy", "invalid base64 character at offset 4"},
        {"Zm9vY", "truncated"},
        {"Zm=v", "after padding"},
        {"Z===", "misplaced base64 padding"},
        {"Zg==Zm9v", "after padding"},
        {"Zm9v\xC3\xA9", "invalid base64 character"},
    };
    for (const auto& [text, problem] : cases) {
        const Base64Check check = check_base64(text);
        BOOST_TEST(!check.ok, text);
        BOOST_TEST(check.problem.find(problem) != std::string::npos, text << ": " << check.problem);
        BOOST_CHECK_THROW(decode_base64(text), Error);
    }
}

BOOST_AUTO_TEST_CASE(sha256_known_vectors) {
    BOOST_TEST(sha256_hex("") ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(sha256_hex("abc") ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(zip_wrapped_sample_attachment_unwraps_to_its_file) {
    const ReadResult result = read_package(test_files::sample("document-with-attachments.edxml"));
    const DocumentPackage& doc = test_packages::document(result);
    const Attachment& wrapped = doc.attachments.at(1);
    BOOST_REQUIRE(is_zip_wrapped(wrapped));
    const auto entries = extract_zip(decode_attachment(wrapped));
    BOOST_REQUIRE_EQUAL(entries.size(), 1u);
    BOOST_TEST(entries[0].name == "phu-luc.txt");
    BOOST_TEST(entries[0].bytes.rfind("PHỤ LỤC I", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(zip_wrapping_rule) {
    Attachment attachment;
    attachment.content_type = "application/zip";
    attachment.attachment_name = "bang-tong-hop.xls";
    BOOST_TEST(is_zip_wrapped(attachment));
    attachment.attachment_name = "ho-so.ZIP";
    BOOST_TEST(!is_zip_wrapped(attachment));
    attachment.content_type = "application/pdf";
    attachment.attachment_name = "cong-van.pdf";
    BOOST_TEST(!is_zip_wrapped(attachment));
}

BOOST_AUTO_TEST_CASE(zip_bomb_is_stopped_at_the_limit) {
    const std::string zeros(4 * 1024 * 1024, '\0');
    const std::string zip = make_zip({{"zeros.bin", zeros}});
    BOOST_TEST(zip.size() < 64u * 1024u);  // highly compressible: the bomb shape
    BOOST_CHECK_EXCEPTION(extract_zip(zip, 1024 * 1024), Error, [](const Error& e) {
        return e.code() == ErrorCode::attachment_too_large;
    });
    BOOST_TEST(extract_zip(zip, 8 * 1024 * 1024).at(0).bytes.size() == zeros.size());
}

BOOST_AUTO_TEST_CASE(unsafe_zip_entry_names_are_refused) {
    // Poco will not write such a name, so the archive is made with a harmless name of the
    // same length, patched in the local header and the central directory.
    std::string zip = make_zip({{"xx/xx/etc/cron.d/evil", "x"}});
    for (auto at = zip.find("xx/xx/"); at != std::string::npos; at = zip.find("xx/xx/", at)) {
        zip.replace(at, 6, "../../");
    }
    BOOST_CHECK_EXCEPTION(extract_zip(zip), Error,
                          [](const Error& e) { return e.code() == ErrorCode::invalid_value; });
}

BOOST_AUTO_TEST_CASE(garbage_is_not_a_zip) {
    BOOST_CHECK_EXCEPTION(extract_zip("PK\x03\x04 this is not really a zip"), Error,
                          [](const Error& e) { return e.code() == ErrorCode::invalid_value; });
}

BOOST_AUTO_TEST_CASE(content_ids_are_normalised) {
    BOOST_TEST(normalize_content_id("cid:abc") == "abc");
    BOOST_TEST(normalize_content_id(" CID:abc ") == "abc");
    BOOST_TEST(normalize_content_id("<abc>") == "abc");
    BOOST_TEST(normalize_content_id("abc") == "abc");
}

BOOST_AUTO_TEST_CASE(file_names_cannot_escape_the_output_folder) {
    BOOST_TEST(safe_file_name("../../etc/passwd", "x") == "passwd");
    BOOST_TEST(safe_file_name("C:\\Windows\\evil.dll", "x") == "evil.dll");
    BOOST_TEST(safe_file_name("..", "fallback.bin") == "fallback.bin");
    BOOST_TEST(safe_file_name("", "fallback.bin") == "fallback.bin");
    BOOST_TEST(safe_file_name(".bashrc", "x") == "_.bashrc");
    BOOST_TEST(safe_file_name("a\nb\x01.txt", "x") == "a_b_.txt");
    BOOST_TEST(safe_file_name("Công văn số 1.pdf", "x") == "Công văn số 1.pdf");
    // The fallback comes from the same package (its ContentId): it is cleaned too.
    BOOST_TEST(safe_file_name("", "/tmp/pwn.bin") == "pwn.bin");
    BOOST_TEST(safe_file_name("x/", "../../etc/cron.d/job") == "job");
    BOOST_TEST(safe_file_name("", "") == "attachment.bin");
    // Long names are cut on a character boundary, under every file system's limit.
    std::string long_name;
    for (int i = 0; i < 150; ++i)
        long_name += "ệ";  // 3 bytes each
    const std::string cut = safe_file_name(long_name + ".pdf", "x");
    BOOST_TEST(cut.size() <= 200u);
    BOOST_TEST(cut.size() % 3 == 0u);
}

BOOST_AUTO_TEST_CASE(decoding_honours_the_size_limit) {
    const Attachment attachment =
        make_attachment("a", "a.bin", std::string(2000, 'x'), "application/octet-stream", "");
    BOOST_TEST(decode_attachment(attachment, 2000).size() == 2000u);
    BOOST_CHECK_EXCEPTION(decode_attachment(attachment, 1999), Error, [](const Error& e) {
        return e.code() == ErrorCode::attachment_too_large;
    });
}

BOOST_AUTO_TEST_SUITE_END()
