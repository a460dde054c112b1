#include <boost/test/unit_test.hpp>

#include "edxml/validate.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"

using namespace edxml;
using namespace test_packages;

BOOST_AUTO_TEST_SUITE(validate)

BOOST_AUTO_TEST_CASE(every_sample_is_valid) {
    for (const auto& path : test_files::all_samples()) {
        const ReadResult result = validate_package_file(path.string());
        BOOST_TEST(result.ok(), path.filename() << ": " << first_error(result));
    }
}

BOOST_AUTO_TEST_CASE(unknown_element_is_a_schema_violation_with_its_path) {
    const std::string text = replaced(test_files::sample("status-03.edxml"), "<edXML:Description>",
                                      "<edXML:Comment>?</edXML:Comment><edXML:Description>");
    BOOST_TEST(read_package(text).ok());  // the reader only warns
    const ReadResult result = validate_package(text);
    BOOST_TEST(!result.ok());
    BOOST_REQUIRE(has_code(result.errors, ErrorCode::schema_violation));
    bool located = false;
    for (const auto& error : result.errors) {
        located =
            located || (error.path == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Comment" &&
                        error.line > 0);
    }
    BOOST_TEST(located, first_error(result));
}

BOOST_AUTO_TEST_CASE(malformed_date_shape_is_a_schema_violation) {
    const std::string text =
        replaced(test_files::sample("document-with-attachments.edxml"),
                 "<edXML:DueDate>2025/05/15</edXML:DueDate>", "<edXML:DueDate>mai</edXML:DueDate>");
    const ReadResult result = validate_package(text);
    BOOST_TEST(has_code(result.errors, ErrorCode::schema_violation));
    BOOST_TEST(has_code(result.errors, ErrorCode::invalid_value));
}

BOOST_AUTO_TEST_CASE(report_must_contain_the_tasks_it_names) {
    const std::string text =
        replaced(test_files::sample("task-report.edxml"), "125/KH-UBND#III.2</edXML:TaskCode>",
                 "125/KH-UBND#IX.9</edXML:TaskCode>");
    const ReadResult result = validate_package(text);
    BOOST_TEST(has_code(result.errors, ErrorCode::inconsistent));
    BOOST_TEST(mentions(result.errors, "#IX.9"));
}

BOOST_AUTO_TEST_CASE(broken_task_profile_makes_the_package_invalid) {
    // Swap the nhiemvu.xml payload for a well-formed XML that is not a task profile.
    const std::string sample = test_files::sample("task-assignment.edxml");
    const auto start = sample.find("<edXML:ContentTransferEncoded>");
    const auto end = sample.find("</edXML:ContentTransferEncoded>");
    BOOST_REQUIRE(start != std::string::npos && end != std::string::npos);
    std::string text = sample;
    text.replace(start, end - start, "<edXML:ContentTransferEncoded>PGEvPg==");  // "<a/>"
    const ReadResult result = validate_package(text);
    BOOST_TEST(has_code(result.errors, ErrorCode::wrong_root));
    BOOST_TEST(mentions(result.errors, "nhiemvu.xml"));
}

BOOST_AUTO_TEST_SUITE_END()
