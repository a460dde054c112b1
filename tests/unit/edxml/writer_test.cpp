#include <boost/test/unit_test.hpp>

#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "edxml/validate.hpp"
#include "edxml/writer.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"

using namespace edxml;
using namespace test_packages;

namespace {

// The writer does not re-emit signatures (a re-serialised package needs a new one), so
// models are compared without them.
Package without_signature(Package package) {
    std::visit([](auto& p) { p.signature.reset(); }, package);
    return package;
}

StatusPackage status_with_code(const std::string& code) {
    StatusPackage status;
    status.from.organ_id = "000.00.00.H20";
    status.response_for = {"000.00.00.G22", "3021/VPCP-KSTT",
                           "000.00.00.G22,2025/04/10,3021/VPCP-KSTT", Date{2025, 4, 10}};
    status.status = StatusCode::from_wire(code);
    status.description = "Mã trạng thái thử nghiệm";
    status.timestamp = DateTime{{2025, 4, 11}, 9, 0, 0};
    return status;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(writer)

BOOST_AUTO_TEST_CASE(every_sample_round_trips_to_an_equal_model) {
    for (const auto& path : test_files::all_samples()) {
        const ReadResult first = read_package_file(path.string());
        BOOST_REQUIRE_MESSAGE(first.ok(), path.filename() << ": " << first_error(first));
        const std::string written = write_package(*first.package);
        const ReadResult second = read_package(written);
        BOOST_REQUIRE_MESSAGE(second.ok(), path.filename()
                                               << " rewritten: " << first_error(second));
        BOOST_TEST((without_signature(*first.package) == *second.package), path.filename());
        // The written form is canonical: nothing left to repair (a status code that is
        // unknown or a variant is kept verbatim, so it is reported again), and it writes
        // identically.
        for (const auto& warning : second.warnings) {
            BOOST_TEST(warning.message.find("status code") != std::string::npos,
                       path.filename() << ": " << warning.to_string());
        }
        BOOST_TEST(write_package(*second.package) == written, path.filename());
    }
}

BOOST_AUTO_TEST_CASE(written_samples_pass_full_validation) {
    for (const auto& path : test_files::all_samples()) {
        const ReadResult first = read_package_file(path.string());
        BOOST_REQUIRE(first.package);
        const ReadResult validated = validate_package(write_package(*first.package));
        BOOST_TEST(validated.ok(), path.filename() << ": " << first_error(validated));
    }
}

BOOST_AUTO_TEST_CASE(canonical_form_uses_prefix_and_slash_dates) {
    const ReadResult result = read_package(test_files::sample("variant-dates-ddmmyyyy.edxml"));
    const std::string written = write_package(*result.package);
    BOOST_TEST(written.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edXML xmlns=", 0) == 0u);
    BOOST_TEST(written.find("<edXML:PromulgationDate>2025/04/15</edXML:PromulgationDate>") !=
               std::string::npos);
    BOOST_TEST(written.find("<edXML:Timestamp>2025/04/15 08:30:00</edXML:Timestamp>") !=
               std::string::npos);
    BOOST_TEST(written.find("15/04/2025") == std::string::npos);
    // MessageHeader children in the library order: From before To before DocumentId.
    BOOST_TEST(written.find("<edXML:From>") < written.find("<edXML:To>"));
    BOOST_TEST(written.find("<edXML:To>") < written.find("<edXML:DocumentId>"));
    BOOST_TEST(written.find("<edXML:Bussiness>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_and_variant_status_codes_survive_a_round_trip) {
    for (const std::string code : {"09", "14", "7", "99"}) {
        const StatusPackage original = status_with_code(code);
        const std::string written = write_status(original);
        BOOST_TEST(written.find("<edXML:StatusCode>" + code + "</edXML:StatusCode>") !=
                   std::string::npos);
        const ReadResult result = read_package(written);
        BOOST_TEST((status(result) == original), code);
        BOOST_TEST(status(result).status.wire_text() == code);
    }
}

BOOST_AUTO_TEST_CASE(markup_characters_in_values_are_escaped) {
    StatusPackage original = status_with_code("05");
    original.description = "a < b && c > \"d\" 'e' ]]> <!-- x --> \r\n dòng mới\ttab";
    original.from.organ_name = "Sở <Khoa học> & \"Công nghệ\"";
    const ReadResult result = read_package(write_status(original));
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(status(result).description == original.description);
    BOOST_TEST(status(result).from.organ_name == original.from.organ_name);
}

BOOST_AUTO_TEST_CASE(characters_xml_cannot_carry_are_refused) {
    for (const std::string& bad :
         {std::string("bell\x07"), std::string("bad \xC3\x28 utf-8"),
          std::string("truncated \xE1\xBB"), std::string("overlong \xC0\xAF"),
          std::string("noncharacter \xEF\xBF\xBE"), std::string("surrogate \xED\xA0\x80")}) {
        StatusPackage original = status_with_code("05");
        original.description = bad;
        BOOST_CHECK_EXCEPTION(write_status(original), Error,
                              [](const Error& e) { return e.code() == ErrorCode::invalid_value; });
    }
}

BOOST_AUTO_TEST_CASE(every_character_xml_allows_round_trips) {
    StatusPackage original = status_with_code("05");
    // DEL is legal XML (found by the fuzzer: the writer used to refuse it); plus 2-, 3-
    // and 4-byte UTF-8.
    original.description = "del \x7F, ế, \xE2\x82\xAB, \xF0\x9F\x93\x84";
    const ReadResult result = read_package(write_status(original));
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(status(result).description == original.description);
}

BOOST_AUTO_TEST_CASE(built_document_with_attachment_round_trips) {
    DocumentPackage doc;
    doc.header.from = {"000.00.00.H20", "", "Ủy ban nhân dân tỉnh Đồng Tháp", "", "", "", "", ""};
    doc.header.to.push_back({"000.00.00.G22", "", "Văn phòng Chính phủ", "", "", "", "", ""});
    doc.header.document_id = "000.00.00.H20,2025/05/02,130/BC-UBND";
    doc.header.code = {"130", "BC-UBND"};
    doc.header.promulgation = {"Đồng Tháp", Date{2025, 5, 2}};
    doc.header.subject = "Báo cáo";
    doc.header.steering_type = 0;
    doc.header.response_for_task = {"T-1", "T-2"};
    std::string payload(100000, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<char>(i * 7 % 256);
    doc.attachments.push_back(make_attachment("cid:bao-cao", "bao-cao.bin", payload,
                                              "application/octet-stream", "Báo cáo"));
    doc.manifest.push_back(manifest_reference_for(doc.attachments[0]));
    doc.has_manifest = true;

    const ReadResult result = read_package(write_document(doc));
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST((document(result) == doc));
    BOOST_TEST(decode_attachment(document(result).attachments[0]) == payload);
}

BOOST_AUTO_TEST_SUITE_END()
