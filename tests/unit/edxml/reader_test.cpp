#include <boost/test/unit_test.hpp>

#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"

using namespace edxml;
using namespace test_packages;

namespace {

ReadResult read_sample(const std::string& name) {
    return read_package(test_files::sample(name));
}

constexpr const char* kMinimalDocument = R"(<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
  <edXMLEnvelope><edXMLHeader><MessageHeader>
    <From><OrganId>000.00.00.G22</OrganId></From>
    <To><OrganId>000.00.00.H20</OrganId></To>
    <DocumentId>000.00.00.G22,2025/04/10,1/VPCP</DocumentId>
    <Code><CodeNumber>1</CodeNumber><CodeNotation>VPCP</CodeNotation></Code>
    <PromulgationInfo><Place>Hà Nội</Place><PromulgationDate>2025/04/10</PromulgationDate></PromulgationInfo>
    <Subject>Thử nghiệm</Subject>
  </MessageHeader></edXMLHeader></edXMLEnvelope>
</edXML>)";

}  // namespace

BOOST_AUTO_TEST_SUITE(reader)

BOOST_AUTO_TEST_CASE(every_sample_reads_without_errors) {
    for (const auto& path : test_files::all_samples()) {
        const ReadResult result = read_package_file(path.string());
        BOOST_TEST(result.ok(), path.filename() << ": " << first_error(result));
        // Canonical samples need no repair; only the variants may warn.
        if (path.filename().string().rfind("variant-", 0) != 0) {
            BOOST_TEST(result.warnings.empty(), path.filename()
                                                    << " warned: " << first_warning(result));
        }
    }
}

BOOST_AUTO_TEST_CASE(document_with_attachments_fills_the_model) {
    const ReadResult result = read_sample("document-with-attachments.edxml");
    const DocumentPackage& doc = document(result);
    const MessageHeader& h = doc.header;
    BOOST_TEST(h.from.organ_id == "000.00.00.G22");
    BOOST_TEST(h.from.organ_name == "Văn phòng Chính phủ");
    BOOST_REQUIRE_EQUAL(h.to.size(), 2u);
    BOOST_TEST(h.to[0].organ_id == "000.00.00.H20");
    BOOST_TEST(h.to[1].organ_id == "000.00.00.G14");
    BOOST_TEST(h.document_id == "000.00.00.G22,2025/04/10,3021/VPCP-KSTT");
    BOOST_TEST(h.code.number == "3021");
    BOOST_TEST(h.code.notation == "VPCP-KSTT");
    BOOST_TEST((h.promulgation.date == Date{2025, 4, 10}));
    BOOST_TEST(h.document_type.type_name == "Công văn");
    BOOST_TEST((h.due_date == Date{2025, 5, 15}));
    BOOST_REQUIRE(h.other_info.has_value());
    BOOST_TEST(h.other_info->appendixes.size() == 2u);
    BOOST_TEST(h.to_places.size() == 2u);
    BOOST_TEST(doc.has_manifest);
    BOOST_REQUIRE_EQUAL(doc.manifest.size(), 2u);
    BOOST_REQUIRE_EQUAL(doc.attachments.size(), 2u);
    BOOST_TEST(doc.manifest[0].content_id == "vpcp-3021-congvan");  // cid: stripped
    BOOST_TEST(doc.attachments[0].attachment_name == "cong-van.pdf");
    BOOST_TEST(doc.attachments[0].decoded_size == decode_attachment(doc.attachments[0]).size());
    BOOST_TEST(decode_attachment(doc.attachments[0]).rfind("%PDF", 0) == 0u);
    BOOST_TEST(!is_zip_wrapped(doc.attachments[0]));
    BOOST_TEST(is_zip_wrapped(doc.attachments[1]));
    BOOST_REQUIRE(doc.trace.has_value());
    BOOST_REQUIRE(doc.trace->business.has_value());
    BOOST_TEST(doc.business_type() == BusinessDocType::new_document);
    BOOST_TEST(!doc.signature.has_value());
}

BOOST_AUTO_TEST_CASE(status_samples_carry_their_codes) {
    const std::pair<const char*, StatusKind> cases[] = {
        {"status-01.edxml", StatusKind::received},
        {"status-02.edxml", StatusKind::rejected},
        {"status-03.edxml", StatusKind::accepted},
        {"status-04.edxml", StatusKind::assigned},
        {"status-05.edxml", StatusKind::processing},
        {"status-06.edxml", StatusKind::completed},
        {"status-13.edxml", StatusKind::take_back_request},
        {"status-15.edxml", StatusKind::change_accepted},
        {"status-16.edxml", StatusKind::change_rejected},
    };
    for (const auto& [file, kind] : cases) {
        const ReadResult result = read_sample(file);
        const StatusPackage& s = status(result);
        BOOST_TEST((s.status.kind() == kind), file);
        BOOST_TEST(s.status.wire_text() == canonical_code(kind), file);
        BOOST_TEST(s.response_for.document_id == "000.00.00.G22,2025/04/10,3021/VPCP-KSTT", file);
        BOOST_TEST(s.timestamp.has_value(), file);
    }
}

BOOST_AUTO_TEST_CASE(business_variants_are_typed) {
    BOOST_TEST(document(read_sample("business-revoke.edxml")).business_type() ==
               BusinessDocType::revoke);
    const ReadResult update = read_sample("business-update.edxml");
    const DocumentPackage& updated = document(update);
    BOOST_TEST(updated.business_type() == BusinessDocType::update);
    BOOST_REQUIRE_EQUAL(updated.trace->business->document_infos.size(), 1u);
    BOOST_TEST(updated.trace->business->document_infos[0].receivers.size() == 2u);
    const ReadResult replace = read_sample("business-replace.edxml");
    const DocumentPackage& replacing = document(replace);
    BOOST_TEST(replacing.business_type() == BusinessDocType::replace);
    BOOST_REQUIRE_EQUAL(replacing.trace->business->replacements.size(), 1u);
    BOOST_TEST(replacing.trace->business->replacements[0].organ_ids.size() == 2u);
}

BOOST_AUTO_TEST_CASE(business_spelling_is_accepted_with_a_warning) {
    const ReadResult result = read_sample("variant-business-spelling.edxml");
    const DocumentPackage& doc = document(result);
    BOOST_REQUIRE(doc.trace && doc.trace->business);
    BOOST_TEST(doc.trace->business->doc_type.value_or(-1) == 0);
    BOOST_TEST(!doc.trace->business->reason.empty());
    BOOST_TEST(mentions(result.warnings, "'Business' read as 'Bussiness'"));
    BOOST_TEST(mentions(result.warnings, "'BusinessDocType' read as 'BussinessDocType'"));
}

BOOST_AUTO_TEST_CASE(manifest_alias_is_accepted_with_a_warning) {
    const ReadResult result = read_sample("variant-manifest-alias.edxml");
    const DocumentPackage& doc = document(result);
    BOOST_TEST(doc.has_manifest);
    BOOST_TEST(doc.manifest.size() == 1u);
    BOOST_TEST(mentions(result.warnings, "'Manifest' read as 'edXMLManifest'"));
}

BOOST_AUTO_TEST_CASE(status_container_is_read_as_message_header) {
    const ReadResult result = read_sample("variant-status-container.edxml");
    const StatusPackage& s = status(result);
    BOOST_TEST((s.status.kind() == StatusKind::accepted));
    BOOST_TEST(!s.from.organ_id.empty());
    BOOST_TEST(mentions(result.warnings, "'Status' container read as 'MessageHeader'"));
}

BOOST_AUTO_TEST_CASE(empty_elements_mean_absent) {
    const ReadResult result = read_sample("variant-empty-elements.edxml");
    const DocumentPackage& doc = document(result);
    BOOST_TEST(!doc.header.due_date.has_value());
    BOOST_TEST(doc.header.signer.full_name.empty());
    BOOST_TEST(doc.header.from.email.empty());
    BOOST_TEST(result.errors.empty());
}

BOOST_AUTO_TEST_CASE(day_first_and_iso_dates_are_read_and_reported) {
    for (const char* file : {"variant-dates-ddmmyyyy.edxml", "variant-dates-iso.edxml"}) {
        const ReadResult result = read_sample(file);
        const DocumentPackage& doc = document(result);
        BOOST_TEST((doc.header.promulgation.date == Date{2025, 4, 15}), file);
        BOOST_TEST((doc.header.due_date == Date{2025, 6, 30}), file);
        BOOST_REQUIRE(doc.trace && !doc.trace->trace_headers.empty());
        BOOST_TEST((doc.trace->trace_headers[0].timestamp == DateTime{{2025, 4, 15}, 8, 30, 0}),
                   file);
        BOOST_TEST(result.warnings.size() >= 3u, file);
        BOOST_TEST(mentions(result.warnings, "read as 2025/04/15"), file);
    }
}

BOOST_AUTO_TEST_CASE(mixed_prefixes_and_order_give_the_same_fields) {
    const ReadResult result = read_sample("variant-mixed-prefixes.edxml");
    const DocumentPackage& doc = document(result);
    BOOST_TEST(!doc.header.document_id.empty());
    BOOST_TEST(!doc.header.to_places.empty());
    BOOST_REQUIRE(doc.header.other_info.has_value());
    BOOST_REQUIRE(doc.trace && doc.trace->business);
    BOOST_TEST(!doc.trace->trace_headers.empty());
    BOOST_TEST(result.warnings.empty());
}

BOOST_AUTO_TEST_CASE(attachment_children_in_default_namespace_and_bare_content_ids) {
    const ReadResult result = read_sample("variant-unprefixed-attachment-children.edxml");
    const DocumentPackage& doc = document(result);
    BOOST_REQUIRE_EQUAL(doc.attachments.size(), 1u);
    BOOST_REQUIRE_EQUAL(doc.manifest.size(), 1u);
    BOOST_TEST(doc.attachments[0].content_id == doc.manifest[0].content_id);
    BOOST_TEST(!doc.attachments[0].field_name.empty());
    BOOST_TEST(!doc.attachments[0].mime_type.empty());
    BOOST_TEST(result.ok());
}

BOOST_AUTO_TEST_CASE(undeclared_prefixes_are_repaired_never_silently) {
    const ReadResult result = read_sample("variant-undeclared-prefix.edxml");
    const DocumentPackage& doc = document(result);
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_REQUIRE_EQUAL(doc.attachments.size(), 1u);  // AttachmentEncoded was out of scope
    BOOST_TEST(doc.attachments[0].decoded_size > 0u);
    BOOST_TEST(
        mentions(result.warnings, "Namespace prefix edXML on AttachmentEncoded is not defined"));
    BOOST_TEST(mentions(result.warnings, "Namespace prefix xlink for href on Reference"));
    for (const auto& warning : result.warnings)
        BOOST_TEST(warning.line > 0);
}

BOOST_AUTO_TEST_CASE(soap_leftovers_are_ignored) {
    const ReadResult result = read_sample("variant-soap-leftovers.edxml");
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(document(result).trace.has_value());
}

BOOST_AUTO_TEST_CASE(nonstandard_signature_is_recorded_and_flagged) {
    const ReadResult result = read_sample("variant-nonstandard-signature.edxml");
    const DocumentPackage& doc = document(result);
    BOOST_REQUIRE(doc.signature.has_value());
    BOOST_TEST(doc.signature->namespace_uri == kEdxmlNamespace);
    BOOST_TEST(mentions(result.warnings, "not in the XML-DSig namespace"));
}

BOOST_AUTO_TEST_CASE(status_code_14_reads_as_15_keeping_its_text) {
    const ReadResult result = read_sample("variant-status-code-14.edxml");
    const StatusPackage& s = status(result);
    BOOST_TEST((s.status.kind() == StatusKind::change_accepted));
    BOOST_TEST(s.status.wire_text() == "14");
    BOOST_TEST(mentions(result.warnings, "'14' read as 15"));
}

BOOST_AUTO_TEST_CASE(unknown_status_code_is_kept_verbatim) {
    const ReadResult result = read_sample("variant-unknown-status-code.edxml");
    const StatusPackage& s = status(result);
    BOOST_TEST((s.status.kind() == StatusKind::unknown));
    BOOST_TEST(s.status.wire_text() == "09");
    BOOST_TEST(result.ok());
    BOOST_TEST(mentions(result.warnings, "unknown status code '09' kept verbatim"));
}

BOOST_AUTO_TEST_CASE(elements_without_namespace_are_read_with_a_warning) {
    std::string text = replaced(
        kMinimalDocument, "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">", "<edXML>");
    const ReadResult result = read_package(text);
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(document(result).header.subject == "Thử nghiệm");
    BOOST_TEST(mentions(result.warnings, "root edXML has no namespace"));
}

BOOST_AUTO_TEST_CASE(undeclared_prefix_on_every_element_including_the_root) {
    std::string text = kMinimalDocument;
    text = replaced(text, "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">",
                    "<edXML:edXML>");
    text = replaced(text, "</edXML>", "</edXML:edXML>");
    text =
        replaced(replaced(text, "<Subject>", "<edXML:Subject>"), "</Subject>", "</edXML:Subject>");
    const ReadResult result = read_package(text);
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(document(result).header.subject == "Thử nghiệm");
    BOOST_TEST(mentions(result.warnings, "Namespace prefix edXML on edXML is not defined"));
    BOOST_TEST(mentions(result.warnings, "Namespace prefix edXML on Subject is not defined"));
}

BOOST_AUTO_TEST_CASE(byte_order_mark_and_utf16_are_read) {
    const std::string bom = "\xEF\xBB\xBF" + std::string(kMinimalDocument);
    BOOST_TEST(read_package(bom).ok(), first_error(read_package(bom)));
    // UTF-16LE with its BOM, as some Windows producers save files.
    std::string utf16 = "\xFF\xFE";
    const std::string ascii_declared =
        replaced(kMinimalDocument, "encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    const std::string source = replaced(ascii_declared, "Thử nghiệm", "Thu nghiem");
    for (char c : source) {
        utf16.push_back(c);
        utf16.push_back('\0');
    }
    const ReadResult result = read_package(utf16);
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(document(result).header.subject == "Thu nghiem");
}

BOOST_AUTO_TEST_CASE(quiet_losses_are_reported) {
    const ReadResult timed =
        read_package(replaced(kMinimalDocument, "2025/04/10</PromulgationDate>",
                              "2025/04/10 08:00:00</PromulgationDate>"));
    BOOST_TEST(timed.ok());
    BOOST_TEST(mentions(timed.warnings, "time part of '2025/04/10 08:00:00' ignored"));

    const ReadResult nested =
        read_package(replaced(kMinimalDocument, "<Subject>Thử nghiệm</Subject>",
                              "<Subject>Thử nghiệm<b>đậm</b></Subject>"));
    BOOST_TEST(mentions(nested.warnings, "child elements of 'Subject' ignored"));

    const std::string status_with_body =
        replaced(test_files::sample("status-01.edxml"), "</edXML:edXMLEnvelope>",
                 "<edXML:edXMLBody/></edXML:edXMLEnvelope>");
    BOOST_TEST(mentions(read_package(status_with_body).warnings,
                        "'edXMLBody' ignored: a status package does not carry it"));
}

BOOST_AUTO_TEST_CASE(root_declaring_an_empty_default_namespace_is_repaired) {
    const std::string text =
        replaced(kMinimalDocument, "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">",
                 "<edXML xmlns=\"\">");
    const ReadResult result = read_package(text);
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(document(result).header.document_id == "000.00.00.G22,2025/04/10,1/VPCP");
}

BOOST_AUTO_TEST_CASE(minimal_document_reads) {
    const ReadResult result = read_package(kMinimalDocument);
    BOOST_TEST(result.ok(), first_error(result));
    BOOST_TEST(result.warnings.empty());
}

BOOST_AUTO_TEST_CASE(missing_required_elements_are_named_with_their_path) {
    const ReadResult result = read_package(
        replaced(kMinimalDocument, "<DocumentId>000.00.00.G22,2025/04/10,1/VPCP</DocumentId>", ""));
    BOOST_TEST(!result.ok());
    BOOST_REQUIRE(!result.errors.empty());
    BOOST_TEST((result.errors[0].code == ErrorCode::missing_element));
    BOOST_TEST(result.errors[0].message == "DocumentId is missing");
    BOOST_TEST(result.errors[0].path == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader");
    BOOST_TEST(result.errors[0].line == 3);
    BOOST_TEST(result.package.has_value());  // what arrived can still be shown
}

BOOST_AUTO_TEST_CASE(missing_recipient_is_an_error) {
    const ReadResult result =
        read_package(replaced(kMinimalDocument, "<To><OrganId>000.00.00.H20</OrganId></To>", ""));
    BOOST_TEST(has_code(result.errors, ErrorCode::missing_element));
    BOOST_TEST(mentions(result.errors, "no To element"));
}

BOOST_AUTO_TEST_CASE(invalid_date_is_an_error_with_path_and_line) {
    const ReadResult result = read_package(replaced(
        kMinimalDocument, "2025/04/10</PromulgationDate>", "2025/02/30</PromulgationDate>"));
    BOOST_REQUIRE(!result.errors.empty());
    BOOST_TEST((result.errors[0].code == ErrorCode::invalid_value));
    BOOST_TEST(result.errors[0].path ==
               "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate");
    BOOST_TEST(result.errors[0].line == 8);
    BOOST_TEST(mentions(result.errors, "'2025/02/30' is not a valid date"));
}

BOOST_AUTO_TEST_CASE(invalid_integer_and_business_type_are_errors) {
    const ReadResult result = read_package(
        replaced(kMinimalDocument, "</MessageHeader>",
                 "<SteeringType>một</SteeringType></MessageHeader><TraceHeaderList><Bussiness>"
                 "<BussinessDocType>7</BussinessDocType></Bussiness></TraceHeaderList>"));
    BOOST_TEST(mentions(result.errors, "'một' is not an integer"));
    BOOST_TEST(mentions(result.errors, "BussinessDocType 7 is not one of"));
}

BOOST_AUTO_TEST_CASE(manifest_reference_without_attachment_is_inconsistent) {
    const ReadResult result =
        read_package(replaced(kMinimalDocument, "</edXMLHeader>",
                              "</edXMLHeader><edXMLBody><edXMLManifest "
                              "version=\"1.0\"><Reference><ContentId>cid:x</ContentId>"
                              "</Reference></edXMLManifest></edXMLBody>"));
    BOOST_TEST(has_code(result.errors, ErrorCode::inconsistent));
    BOOST_TEST(mentions(result.errors, "manifest Reference 'x' has no matching Attachment"));
}

BOOST_AUTO_TEST_CASE(duplicate_content_ids_are_refused) {
    const std::string attachment =
        "<Attachment><ContentId>cid:a</ContentId><ContentTransferEncoded>QQ==</"
        "ContentTransferEncoded></Attachment>";
    const ReadResult result = read_package(replaced(
        kMinimalDocument, "</edXMLEnvelope>",
        "</edXMLEnvelope><AttachmentEncoded>" + attachment + attachment + "</AttachmentEncoded>"));
    BOOST_TEST(has_code(result.errors, ErrorCode::duplicate));
}

BOOST_AUTO_TEST_CASE(unknown_elements_are_reported) {
    const ReadResult result =
        read_package(replaced(kMinimalDocument, "<Subject>", "<Subjet>typo</Subjet><Subject>"));
    BOOST_TEST(result.ok());
    BOOST_TEST(mentions(result.warnings, "unknown element 'Subjet' ignored"));
}

BOOST_AUTO_TEST_CASE(foreign_roots_and_legacy_packages_are_refused) {
    const ReadResult foreign = read_package("<edXML xmlns=\"urn:other\"/>");
    BOOST_TEST(has_code(foreign.errors, ErrorCode::wrong_root));
    BOOST_TEST(!foreign.package.has_value());
    const ReadResult legacy = read_package("<edXML xmlns=\"http://www.inetcloud.vn/ns/edxml\"/>");
    BOOST_TEST(has_code(legacy.errors, ErrorCode::legacy_format));
    const ReadResult html = read_package("<html><body/></html>");
    BOOST_TEST(has_code(html.errors, ErrorCode::wrong_root));
}

BOOST_AUTO_TEST_CASE(suspicious_agency_codes_are_warned_about) {
    const ReadResult result = read_package(replaced(
        kMinimalDocument, "<OrganId>000.00.00.H20</OrganId>", "<OrganId>H20-DONGTHAP</OrganId>"));
    BOOST_TEST(result.ok());
    BOOST_TEST(mentions(result.warnings, "'H20-DONGTHAP' is not an agency code"));
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_io_error) {
    const ReadResult result = read_package_file("/nonexistent/package.edxml");
    BOOST_TEST(has_code(result.errors, ErrorCode::io));
    BOOST_TEST(mentions(result.errors, "/nonexistent/package.edxml"));
}

BOOST_AUTO_TEST_SUITE_END()
