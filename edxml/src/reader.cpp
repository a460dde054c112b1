#include "edxml/reader.hpp"

#include <sys/stat.h>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>

#include "edxml/agency_code.hpp"
#include "edxml/attachments.hpp"
#include "schema_validation.hpp"
#include "staff_info_xml.hpp"
#include "xml_document.hpp"

namespace edxml {
namespace {

using detail::children;
using detail::diagnostic_at;
using detail::first_element_child;
using detail::is_edxml_element;
using detail::is_named;
using detail::local_name;
using detail::next_element_sibling;
using detail::trimmed_text;

constexpr const char* kLegacy2803Namespace = "http://www.inetcloud.vn/ns/edxml";
constexpr std::size_t kMaxWarnings = 100;

// Elements that may appear once in their parent; a second one is refused (unknown
// elements may repeat: they are only reported).
const std::set<std::string_view> kMessageHeaderSingletons = {"From",
                                                             "DocumentId",
                                                             "Code",
                                                             "PromulgationInfo",
                                                             "DocumentType",
                                                             "Subject",
                                                             "Content",
                                                             "SignerInfo",
                                                             "DueDate",
                                                             "OtherInfo",
                                                             "SteeringType",
                                                             "ResponseForTask",
                                                             "ApplicationType",
                                                             "ToPlaces"};
const std::set<std::string_view> kStatusSingletons = {"From",       "ResponseFor", "StaffInfo",
                                                      "StatusCode", "Description", "Timestamp"};
const std::set<std::string_view> kAttachmentSingletons = {
    "ContentId", "AttachmentName", "Description", "FieldName",
    "MimeType",  "ContentType",    "Format",      "ContentTransferEncoded"};

// The local name of an element in the QCVN namespace, "" for any other element: elements
// of foreign namespaces never match an edXML name and are reported as unknown.
std::string_view edxml_name(const xmlNode* node) {
    return std::string_view(detail::namespace_of(node)) == kEdxmlNamespace ? local_name(node) : "";
}

// One reading pass over a parsed, repaired document.
class PackageReader {
  public:
    PackageReader(const ReadOptions& options, ReadResult& result)
        : options_(options), result_(result) {}

    void read(xmlDoc* doc);

  private:
    // Warnings are capped: a hostile package could otherwise make millions of them.
    void warn(const xmlNode* node, std::string message) {
        if (result_.warnings.size() < kMaxWarnings) {
            result_.warnings.push_back(diagnostic_at(node, ErrorCode::none, std::move(message)));
        } else if (result_.warnings.size() == kMaxWarnings) {
            result_.warnings.push_back({ErrorCode::none, "further warnings not listed", "", 0});
        }
    }
    void fail(const xmlNode* node, ErrorCode code, std::string message) {
        result_.errors.push_back(diagnostic_at(node, code, std::move(message)));
    }
    void unknown_child(const xmlNode* child) {
        const std::string ns = detail::namespace_of(child);
        if (ns == kEdxmlNamespace) {
            warn(child, std::string("unknown element '") + local_name(child) + "' ignored");
        } else {
            warn(child, std::string("element '") + local_name(child) + "' in namespace '" + ns +
                            "' ignored");
        }
    }
    // Keeps the first of a structural element and refuses a second one.
    void take_once(xmlNode*& slot, xmlNode* child) {
        if (slot) {
            fail(child, ErrorCode::duplicate,
                 std::string("more than one '") + local_name(child) + "' element");
            return;
        }
        slot = child;
    }
    // Fails on the second occurrence of an element that may appear once: two DocumentIds
    // or two payloads make a package ambiguous, and the reader must not pick one.
    bool first_occurrence(std::set<std::string>& seen, const xmlNode* child) {
        if (seen.insert(local_name(child)).second)
            return true;
        fail(child, ErrorCode::duplicate,
             std::string("more than one '") + local_name(child) + "' element");
        return false;
    }

    // Leaf values.
    std::string text(const xmlNode* node) {
        if (first_element_child(const_cast<xmlNode*>(node))) {
            warn(node, std::string("child elements of '") + local_name(node) +
                           "' ignored: only its text is read");
        }
        return trimmed_text(node);
    }
    std::optional<int> integer(const xmlNode* node);
    std::optional<bool> boolean(const xmlNode* node);
    std::optional<Date> date(const xmlNode* node);
    std::optional<DateTime> date_time(const xmlNode* node);
    void agency_code(const xmlNode* node, const std::string& code);

    // Blocks.
    Organization organization(xmlNode* node);
    DocumentCode document_code(xmlNode* node);
    PromulgationInfo promulgation(xmlNode* node);
    DocumentType document_type(xmlNode* node);
    SignerInfo signer(xmlNode* node);
    OtherInfo other_info(xmlNode* node);
    ResponseFor response_for(xmlNode* node);
    StaffInfo staff_info(xmlNode* node);
    TraceHeaderList trace_header_list(xmlNode* node);
    Business business(xmlNode* node);
    BusinessDocumentInfo business_document_info(xmlNode* node);
    ReplacementInfo replacement_info(xmlNode* node);
    std::vector<std::string> texts_of(xmlNode* node, std::string_view child_name);
    MessageHeader message_header(xmlNode* node);
    StatusPackage status_header(xmlNode* node);
    void body(xmlNode* node, DocumentPackage& package);
    void attachments(xmlNode* node, DocumentPackage& package);
    SignatureInfo signature(xmlNode* node);

    void check_document(const xmlNode* header_node, DocumentPackage& package);
    void check_status(const xmlNode* header_node, const StatusPackage& package);

    const ReadOptions& options_;
    ReadResult& result_;
};

std::optional<int> PackageReader::integer(const xmlNode* node) {
    const std::string value = text(node);
    if (value.empty())
        return std::nullopt;
    const char* first = value.data() + (value[0] == '+' ? 1 : 0);
    const char* last = value.data() + value.size();
    int number = 0;
    const auto [end, error] = std::from_chars(first, last, number);
    if (error == std::errc::result_out_of_range) {
        fail(node, ErrorCode::invalid_value, "'" + value + "' is out of the integer range");
        return std::nullopt;
    }
    if (error != std::errc() || end != last || first == last) {
        fail(node, ErrorCode::invalid_value, "'" + value + "' is not an integer");
        return std::nullopt;
    }
    return number;
}

std::optional<bool> PackageReader::boolean(const xmlNode* node) {
    std::string value = text(node);
    for (char& c : value)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (value.empty())
        return std::nullopt;
    if (value == "true" || value == "1")
        return true;
    if (value == "false" || value == "0")
        return false;
    fail(node, ErrorCode::invalid_value, "'" + value + "' is not a boolean (true/false)");
    return std::nullopt;
}

std::optional<Date> PackageReader::date(const xmlNode* node) {
    const std::string value = text(node);
    if (value.empty())
        return std::nullopt;
    const auto parsed = parse_date(value);
    if (!parsed) {
        fail(node, ErrorCode::invalid_value,
             "'" + value + "' is not a valid date (yyyy/MM/dd, dd/MM/yyyy or yyyy-MM-dd)");
        return std::nullopt;
    }
    if (parsed->format != DateFormat::canonical) {
        warn(node, "date '" + value + "' in " + to_string(parsed->format) + " form read as " +
                       format_date(parsed->value));
    }
    if (value.size() > 10)
        warn(node, "time part of '" + value + "' ignored: the element holds a date");
    return parsed->value;
}

std::optional<DateTime> PackageReader::date_time(const xmlNode* node) {
    const std::string value = text(node);
    if (value.empty())
        return std::nullopt;
    const auto parsed = parse_date_time(value);
    if (!parsed) {
        fail(node, ErrorCode::invalid_value,
             "'" + value + "' is not a valid timestamp (yyyy/MM/dd HH:mm:ss)");
        return std::nullopt;
    }
    if (parsed->format != DateFormat::canonical) {
        warn(node, "timestamp '" + value + "' in " + to_string(parsed->format) + " form read as " +
                       format_date_time(parsed->value));
    }
    return parsed->value;
}

void PackageReader::agency_code(const xmlNode* node, const std::string& code) {
    if (code.empty())
        return;
    const AgencyCodeCheck check = check_agency_code(code);
    if (!check.ok())
        warn(node, "agency code: " + check.problem);
}

Organization PackageReader::organization(xmlNode* node) {
    Organization org;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "OrganId")) {
            org.organ_id = text(child);
            agency_code(child, org.organ_id);
        } else if (is_edxml_element(child, "OrganizationInCharge")) {
            org.organization_in_charge = text(child);
        } else if (is_edxml_element(child, "OrganName")) {
            org.organ_name = text(child);
        } else if (is_edxml_element(child, "OrganAdd")) {
            org.organ_add = text(child);
        } else if (is_edxml_element(child, "Email")) {
            org.email = text(child);
        } else if (is_edxml_element(child, "Telephone")) {
            org.telephone = text(child);
        } else if (is_edxml_element(child, "Fax")) {
            org.fax = text(child);
        } else if (is_edxml_element(child, "Website")) {
            org.website = text(child);
        } else {
            unknown_child(child);
        }
    }
    return org;
}

DocumentCode PackageReader::document_code(xmlNode* node) {
    DocumentCode code;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "CodeNumber")) {
            code.number = text(child);
        } else if (is_edxml_element(child, "CodeNotation")) {
            code.notation = text(child);
        } else {
            unknown_child(child);
        }
    }
    return code;
}

PromulgationInfo PackageReader::promulgation(xmlNode* node) {
    PromulgationInfo info;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "Place")) {
            info.place = text(child);
        } else if (is_edxml_element(child, "PromulgationDate")) {
            info.date = date(child);
        } else {
            unknown_child(child);
        }
    }
    return info;
}

DocumentType PackageReader::document_type(xmlNode* node) {
    DocumentType type;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "Type")) {
            type.type = integer(child);
        } else if (is_edxml_element(child, "TypeDetail")) {
            type.type_detail = integer(child);
        } else if (is_edxml_element(child, "TypeName")) {
            type.type_name = text(child);
        } else {
            unknown_child(child);
        }
    }
    return type;
}

SignerInfo PackageReader::signer(xmlNode* node) {
    SignerInfo info;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "Competence")) {
            info.competence = text(child);
        } else if (is_edxml_element(child, "Position")) {
            info.position = text(child);
        } else if (is_edxml_element(child, "FullName")) {
            info.full_name = text(child);
        } else {
            unknown_child(child);
        }
    }
    return info;
}

std::vector<std::string> PackageReader::texts_of(xmlNode* node, std::string_view child_name) {
    std::vector<std::string> values;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, child_name)) {
            std::string value = text(child);
            if (!value.empty())
                values.push_back(std::move(value));
        } else {
            unknown_child(child);
        }
    }
    return values;
}

OtherInfo PackageReader::other_info(xmlNode* node) {
    OtherInfo info;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "Priority")) {
            info.priority = integer(child);
        } else if (is_edxml_element(child, "SphereOfPromulgation")) {
            info.sphere_of_promulgation = text(child);
        } else if (is_edxml_element(child, "TyperNotation")) {
            info.typer_notation = text(child);
        } else if (is_edxml_element(child, "PromulgationAmount")) {
            info.promulgation_amount = integer(child);
        } else if (is_edxml_element(child, "PageAmount")) {
            info.page_amount = integer(child);
        } else if (is_edxml_element(child, "ReplyFors")) {
            info.reply_fors = text(child);
        } else if (is_edxml_element(child, "Direction")) {
            info.direction = boolean(child);
        } else if (is_edxml_element(child, "ReferenceCodes")) {
            info.reference_codes = text(child);
        } else if (is_edxml_element(child, "Appendixes")) {
            auto appendixes = texts_of(child, "Appendix");
            info.appendixes.insert(info.appendixes.end(), appendixes.begin(), appendixes.end());
        } else {
            unknown_child(child);
        }
    }
    return info;
}

ResponseFor PackageReader::response_for(xmlNode* node) {
    ResponseFor response;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "OrganId")) {
            response.organ_id = text(child);
            agency_code(child, response.organ_id);
        } else if (is_edxml_element(child, "Code")) {
            response.code = text(child);
        } else if (is_edxml_element(child, "DocumentId")) {
            response.document_id = text(child);
        } else if (is_edxml_element(child, "PromulgationDate")) {
            response.promulgation_date = date(child);
        } else {
            unknown_child(child);
        }
    }
    return response;
}

StaffInfo PackageReader::staff_info(xmlNode* node) {
    StaffInfo staff;
    for (xmlNode* child : children(node)) {
        if (!detail::read_staff_field(staff, edxml_name(child), text(child)))
            unknown_child(child);
    }
    return staff;
}

BusinessDocumentInfo PackageReader::business_document_info(xmlNode* node) {
    BusinessDocumentInfo info;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "DocumentInfo")) {
            info.document_info = integer(child);
        } else if (is_edxml_element(child, "DocumentReceiver")) {
            info.document_receiver = integer(child);
        } else if (is_edxml_element(child, "ReceiverList")) {
            for (xmlNode* receiver_node : children(child)) {
                if (!is_edxml_element(receiver_node, "Receiver")) {
                    unknown_child(receiver_node);
                    continue;
                }
                Receiver receiver;
                for (xmlNode* field : children(receiver_node)) {
                    if (is_edxml_element(field, "OrganId")) {
                        receiver.organ_id = text(field);
                        agency_code(field, receiver.organ_id);
                    } else if (is_edxml_element(field, "ReceiverType")) {
                        receiver.receiver_type = integer(field);
                    } else {
                        unknown_child(field);
                    }
                }
                info.receivers.push_back(std::move(receiver));
            }
        } else {
            unknown_child(child);
        }
    }
    return info;
}

ReplacementInfo PackageReader::replacement_info(xmlNode* node) {
    ReplacementInfo info;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "DocumentId")) {
            info.document_id = text(child);
        } else if (is_edxml_element(child, "OrganIdList")) {
            info.organ_ids = texts_of(child, "OrganId");
        } else {
            unknown_child(child);
        }
    }
    return info;
}

Business PackageReader::business(xmlNode* node) {
    Business business;
    for (xmlNode* child : children(node)) {
        const std::string_view name = edxml_name(child);
        // Bkav's reader accepts "Business…" for every "Bussiness…" name (protocol.md §1.7).
        if (name == "BusinessDocType" || name == "BusinessDocReason" ||
            name == "BusinessDocumentInfo") {
            warn(child,
                 "'" + std::string(name) + "' read as 'Buss" + std::string(name.substr(3)) + "'");
        }
        if (name == "DocumentId") {
            business.document_id = text(child);
        } else if (name == "BussinessDocType" || name == "BusinessDocType") {
            business.doc_type = integer(child);
            if (business.doc_type && (*business.doc_type < 0 || *business.doc_type > 3)) {
                fail(child, ErrorCode::invalid_value,
                     "BussinessDocType " + std::to_string(*business.doc_type) +
                         " is not one of 0 new, 1 revoke, 2 update, 3 replace");
            }
        } else if (name == "BussinessDocReason" || name == "BusinessDocReason") {
            business.reason = text(child);
        } else if (name == "Paper") {
            business.paper = integer(child);
        } else if (name == "BussinessDocumentInfo" || name == "BusinessDocumentInfo") {
            business.document_infos.push_back(business_document_info(child));
        } else if (name == "ReplacementInfoList") {
            for (xmlNode* info : children(child)) {
                if (is_edxml_element(info, "ReplacementInfo")) {
                    business.replacements.push_back(replacement_info(info));
                } else {
                    unknown_child(info);
                }
            }
        } else if (name == "StaffInfo") {
            business.staff.push_back(staff_info(child));
        } else {
            unknown_child(child);
        }
    }
    return business;
}

TraceHeaderList PackageReader::trace_header_list(xmlNode* node) {
    TraceHeaderList list;
    for (xmlNode* child : children(node)) {
        if (is_edxml_element(child, "Paper")) {
            list.paper = text(child);
        } else if (is_edxml_element(child, "Bussiness") || is_edxml_element(child, "Business")) {
            if (is_edxml_element(child, "Business"))
                warn(child, "'Business' read as 'Bussiness'");
            if (list.business) {
                fail(child, ErrorCode::duplicate, "more than one Bussiness element");
                continue;
            }
            list.business = business(child);
        } else if (is_edxml_element(child, "TraceHeader")) {
            TraceHeader trace;
            for (xmlNode* field : children(child)) {
                if (is_edxml_element(field, "OrganId")) {
                    trace.organ_id = text(field);
                    agency_code(field, trace.organ_id);
                } else if (is_edxml_element(field, "Timestamp")) {
                    trace.timestamp = date_time(field);
                } else {
                    unknown_child(field);
                }
            }
            list.trace_headers.push_back(std::move(trace));
        } else {
            unknown_child(child);
        }
    }
    return list;
}

MessageHeader PackageReader::message_header(xmlNode* node) {
    MessageHeader header;
    std::set<std::string> seen;
    for (xmlNode* child : children(node)) {
        const std::string_view name = edxml_name(child);
        if (kMessageHeaderSingletons.count(name) && !first_occurrence(seen, child))
            continue;
        if (name == "From") {
            header.from = organization(child);
        } else if (name == "To") {
            header.to.push_back(organization(child));
        } else if (name == "DocumentId") {
            header.document_id = text(child);
        } else if (name == "Code") {
            header.code = document_code(child);
        } else if (name == "PromulgationInfo") {
            header.promulgation = promulgation(child);
        } else if (name == "DocumentType") {
            header.document_type = document_type(child);
        } else if (name == "Subject") {
            header.subject = text(child);
        } else if (name == "Content") {
            header.content = text(child);
        } else if (name == "SignerInfo") {
            header.signer = signer(child);
        } else if (name == "DueDate") {
            header.due_date = date(child);
        } else if (name == "OtherInfo") {
            header.other_info = other_info(child);
        } else if (name == "ResponseFor") {
            header.response_for.push_back(response_for(child));
        } else if (name == "SteeringType") {
            header.steering_type = integer(child);
        } else if (name == "ResponseForTask") {
            auto codes = texts_of(child, "TaskCode");
            header.response_for_task.insert(header.response_for_task.end(), codes.begin(),
                                            codes.end());
        } else if (name == "ApplicationType") {
            header.application_type = text(child);
        } else if (name == "ToPlaces") {
            auto places = texts_of(child, "Place");
            header.to_places.insert(header.to_places.end(), places.begin(), places.end());
        } else {
            unknown_child(child);
        }
    }
    return header;
}

StatusPackage PackageReader::status_header(xmlNode* node) {
    StatusPackage status;
    std::set<std::string> seen;
    for (xmlNode* child : children(node)) {
        const std::string_view name = edxml_name(child);
        if (kStatusSingletons.count(name) && !first_occurrence(seen, child))
            continue;
        if (name == "From") {
            status.from = organization(child);
        } else if (name == "ResponseFor") {
            status.response_for = response_for(child);
        } else if (name == "StaffInfo") {
            status.staff = staff_info(child);
        } else if (name == "StatusCode") {
            status.status = StatusCode::from_wire(text(child));
            if (!status.status.is_known() && !status.status.wire_text().empty()) {
                warn(child,
                     "unknown status code '" + status.status.wire_text() + "' kept verbatim");
            } else if (status.status.is_variant()) {
                warn(child, "status code '" + status.status.wire_text() + "' read as " +
                                canonical_code(status.status.kind()) + " (" +
                                to_string(status.status.kind()) + ")");
            }
        } else if (name == "Description") {
            status.description = text(child);
        } else if (name == "Timestamp") {
            status.timestamp = date_time(child);
        } else {
            unknown_child(child);
        }
    }
    return status;
}

void PackageReader::body(xmlNode* node, DocumentPackage& package) {
    for (xmlNode* child : children(node)) {
        if (!is_edxml_element(child, "edXMLManifest") && !is_edxml_element(child, "Manifest")) {
            unknown_child(child);
            continue;
        }
        if (is_edxml_element(child, "Manifest"))
            warn(child, "'Manifest' read as 'edXMLManifest'");
        package.has_manifest = true;
        for (xmlNode* reference_node : children(child)) {
            if (!is_edxml_element(reference_node, "Reference")) {
                unknown_child(reference_node);
                continue;
            }
            ManifestReference reference;
            for (xmlNode* field : children(reference_node)) {
                if (is_edxml_element(field, "ContentId")) {
                    reference.content_id = normalize_content_id(text(field));
                } else if (is_edxml_element(field, "ContentType")) {
                    reference.content_type = text(field);
                } else if (is_edxml_element(field, "Description")) {
                    reference.description = text(field);
                } else if (is_edxml_element(field, "AttachmentName")) {
                    reference.attachment_name = text(field);
                } else {
                    unknown_child(field);
                }
            }
            package.manifest.push_back(std::move(reference));
        }
    }
}

// Appends the base64 text without its whitespace, straight from the text nodes, so that
// a large payload is copied once, line by line rather than byte by byte.
void append_base64_text(const xmlNode* node, std::string& out) {
    std::size_t size = 0;
    for (const xmlNode* child = node->children; child; child = child->next) {
        if (child->type == XML_TEXT_NODE && child->content) {
            size += std::strlen(reinterpret_cast<const char*>(child->content));
        }
    }
    out.reserve(out.size() + size);
    for (const xmlNode* child = node->children; child; child = child->next) {
        if (child->type != XML_TEXT_NODE || !child->content)
            continue;
        // Runs between whitespace are appended whole. (Not strspn/strcspn: sanitizers
        // with strict_string_checks measure the whole rest of the string at each call,
        // which made a 4 MB payload of 76-character lines take minutes in CI.)
        const char* text = reinterpret_cast<const char*>(child->content);
        const char* const end = text + std::strlen(text);
        const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
        while (text < end) {
            while (text < end && space(*text))
                ++text;
            const char* run = text;
            while (text < end && !space(*text))
                ++text;
            out.append(run, static_cast<std::size_t>(text - run));
        }
    }
}

void PackageReader::attachments(xmlNode* node, DocumentPackage& package) {
    for (xmlNode* attachment_node : children(node)) {
        if (!is_edxml_element(attachment_node, "Attachment")) {
            unknown_child(attachment_node);
            continue;
        }
        Attachment attachment;
        const xmlNode* payload_node = nullptr;
        std::set<std::string> seen;
        for (xmlNode* field : children(attachment_node)) {
            const std::string_view name = edxml_name(field);
            if (kAttachmentSingletons.count(name) && !first_occurrence(seen, field))
                continue;
            if (name == "ContentId") {
                attachment.content_id = normalize_content_id(text(field));
            } else if (name == "AttachmentName") {
                attachment.attachment_name = text(field);
            } else if (name == "Description") {
                attachment.description = text(field);
            } else if (name == "FieldName") {
                attachment.field_name = text(field);
            } else if (name == "MimeType") {
                attachment.mime_type = text(field);
            } else if (name == "ContentType") {
                attachment.content_type = text(field);
            } else if (name == "Format") {
                attachment.format = text(field);
            } else if (name == "ContentTransferEncoded") {
                payload_node = field;
                append_base64_text(field, attachment.encoded);
            } else {
                unknown_child(field);
            }
        }
        const std::string label = "attachment '" + attachment.content_id + "'";
        if (attachment.content_id.empty()) {
            fail(attachment_node, ErrorCode::missing_element, "Attachment has no ContentId");
        }
        if (!payload_node) {
            fail(attachment_node, ErrorCode::missing_element,
                 label + " has no ContentTransferEncoded");
        } else {
            const Base64Check check = check_base64(attachment.encoded);
            if (!check.ok) {
                fail(payload_node, ErrorCode::invalid_base64, label + ": " + check.problem);
            } else if (check.decoded_size > options_.limits.max_attachment_bytes) {
                fail(payload_node, ErrorCode::attachment_too_large,
                     label + " decodes to " + std::to_string(check.decoded_size) +
                         " bytes, over the limit of " +
                         std::to_string(options_.limits.max_attachment_bytes));
            }
            attachment.decoded_size = check.decoded_size;
        }
        package.attachments.push_back(std::move(attachment));
    }
}

SignatureInfo PackageReader::signature(xmlNode* node) {
    SignatureInfo info{detail::namespace_of(node)};
    if (info.namespace_uri != kXmlDsigNamespace) {
        warn(node, "Signature is not in the XML-DSig namespace (namespace '" + info.namespace_uri +
                       "'): non-standard, cannot be verified as XML-DSig");
    }
    return info;
}

void PackageReader::check_document(const xmlNode* header_node, DocumentPackage& package) {
    const MessageHeader& header = package.header;
    if (header.from.organ_id.empty()) {
        fail(header_node, ErrorCode::missing_element, "From/OrganId is missing");
    }
    if (header.to.empty()) {
        fail(header_node, ErrorCode::missing_element,
             "no To element: a document needs a recipient");
    }
    for (std::size_t i = 0; i < header.to.size(); ++i) {
        if (header.to[i].organ_id.empty()) {
            fail(header_node, ErrorCode::missing_element,
                 "To[" + std::to_string(i + 1) + "]/OrganId is missing");
        }
    }
    if (header.document_id.empty()) {
        fail(header_node, ErrorCode::missing_element, "DocumentId is missing");
    }
    if (header.subject.empty()) {
        fail(header_node, ErrorCode::missing_element, "Subject is missing");
    }
    if (header.code.number.empty() && header.code.notation.empty()) {
        warn(header_node, "Code (số/ký hiệu) is missing");
    }
    if (!header.promulgation.date) {
        warn(header_node, "PromulgationInfo/PromulgationDate is missing");
    }

    std::set<std::string> attachment_ids;
    for (const Attachment& attachment : package.attachments) {
        if (!attachment.content_id.empty() &&
            !attachment_ids.insert(attachment.content_id).second) {
            fail(header_node, ErrorCode::duplicate,
                 "two attachments share ContentId '" + attachment.content_id + "'");
        }
    }
    std::set<std::string> referenced_ids;
    for (const ManifestReference& reference : package.manifest) {
        referenced_ids.insert(reference.content_id);
        if (!attachment_ids.count(reference.content_id)) {
            fail(header_node, ErrorCode::inconsistent,
                 "manifest Reference '" + reference.content_id + "' has no matching Attachment");
        }
    }
    for (const std::string& id : attachment_ids) {
        if (package.has_manifest && !referenced_ids.count(id)) {
            warn(header_node, "attachment '" + id + "' is not listed in the manifest");
        }
    }
}

void PackageReader::check_status(const xmlNode* header_node, const StatusPackage& status) {
    if (status.from.organ_id.empty()) {
        fail(header_node, ErrorCode::missing_element, "From/OrganId is missing");
    }
    if (status.response_for.document_id.empty()) {
        fail(header_node, ErrorCode::missing_element,
             "ResponseFor/DocumentId is missing: the status cannot be matched to a document");
    }
    if (status.status.wire_text().empty()) {
        fail(header_node, ErrorCode::missing_element, "StatusCode is missing");
    }
    if (!status.timestamp)
        warn(header_node, "Timestamp is missing");
}

void PackageReader::read(xmlDoc* doc) {
    xmlNode* root = xmlDocGetRootElement(doc);
    if (!root) {
        result_.errors.push_back({ErrorCode::wrong_root, "document has no root element", "", 0});
        return;
    }
    const std::string root_ns = detail::namespace_of(root);
    if (root_ns == kLegacy2803Namespace) {
        fail(root, ErrorCode::legacy_format,
             "legacy 2803 edXML (namespace " + root_ns + ") is not supported; QCVN 102:2016 is");
        return;
    }
    if (!is_named(root, "edXML") || root_ns != kEdxmlNamespace) {
        fail(root, ErrorCode::wrong_root,
             std::string("root element is '") + local_name(root) + "' in namespace '" + root_ns +
                 "'; expected 'edXML' in " + kEdxmlNamespace);
        return;
    }

    xmlNode* envelope = nullptr;
    xmlNode* attachment_encoded = nullptr;
    for (xmlNode* child : children(root)) {
        if (is_edxml_element(child, "edXMLEnvelope")) {
            take_once(envelope, child);
        } else if (is_edxml_element(child, "AttachmentEncoded")) {
            take_once(attachment_encoded, child);
        } else {
            unknown_child(child);
        }
    }
    if (!envelope) {
        fail(root, ErrorCode::missing_element, "edXMLEnvelope is missing");
        return;
    }
    xmlNode* header = nullptr;
    xmlNode* body_node = nullptr;
    for (xmlNode* child : children(envelope)) {
        if (is_edxml_element(child, "edXMLHeader")) {
            take_once(header, child);
        } else if (is_edxml_element(child, "edXMLBody")) {
            take_once(body_node, child);
        } else {
            unknown_child(child);
        }
    }
    if (!header) {
        fail(envelope, ErrorCode::missing_element, "edXMLHeader is missing");
        return;
    }

    xmlNode* message_header_node = nullptr;
    xmlNode* status_container = nullptr;
    xmlNode* trace_node = nullptr;
    xmlNode* signature_node = nullptr;
    for (xmlNode* child : children(header)) {
        if (is_edxml_element(child, "MessageHeader")) {
            take_once(message_header_node, child);
        } else if (is_edxml_element(child, "Status")) {
            take_once(status_container, child);
        } else if (is_edxml_element(child, "TraceHeaderList")) {
            take_once(trace_node, child);
        } else if (is_named(child, "Signature")) {
            take_once(signature_node, child);
        } else {
            unknown_child(child);
        }
    }
    if (message_header_node && status_container) {
        fail(status_container, ErrorCode::duplicate,
             "both a MessageHeader and a Status container: the package is ambiguous");
        return;
    }

    bool is_status = status_container != nullptr;
    if (!is_status && message_header_node) {
        for (xmlNode* child : children(message_header_node)) {
            if (is_edxml_element(child, "StatusCode"))
                is_status = true;
        }
    }

    if (is_status) {
        xmlNode* container = message_header_node ? message_header_node : status_container;
        if (!message_header_node)
            warn(status_container, "'Status' container read as 'MessageHeader'");
        // A status package carries none of these; say so rather than drop them quietly.
        for (const xmlNode* ignored : {trace_node, body_node, attachment_encoded}) {
            if (ignored) {
                warn(ignored, std::string("'") + local_name(ignored) +
                                  "' ignored: a status package does not carry it");
            }
        }
        StatusPackage status = status_header(container);
        if (signature_node)
            status.signature = signature(signature_node);
        check_status(container, status);
        result_.package = std::move(status);
    } else {
        if (!message_header_node) {
            fail(header, ErrorCode::missing_element, "MessageHeader is missing");
            return;
        }
        DocumentPackage package;
        package.header = message_header(message_header_node);
        if (trace_node)
            package.trace = trace_header_list(trace_node);
        if (signature_node)
            package.signature = signature(signature_node);
        if (body_node)
            body(body_node, package);
        if (attachment_encoded)
            attachments(attachment_encoded, package);
        check_document(message_header_node, package);
        result_.package = std::move(package);
    }

    if (options_.check_schema) {
        const detail::SchemaKind schema =
            is_status ? detail::SchemaKind::status_package : detail::SchemaKind::document_package;
        for (Diagnostic& problem : detail::validate_against_schema(doc, schema)) {
            result_.errors.push_back(std::move(problem));
        }
    }
}

// Gives elements that lost their namespace (an undeclared prefix, or no namespace at
// all inside an edXML tree) the edXML namespace, and says so.
void repair_namespaces(xmlDoc* doc, ReadResult& result) {
    xmlNode* root = xmlDocGetRootElement(doc);
    if (!root)
        return;
    const bool root_unqualified = root->ns == nullptr;
    const std::string_view root_name = local_name(root);
    const bool root_is_edxml = root_name == "edXML" || root_name == "edXML:edXML";
    if (!root_is_edxml)
        return;

    xmlNs* edxml_ns = xmlSearchNsByHref(doc, root, BAD_CAST kEdxmlNamespace);
    // The root may already declare a default namespace or the edXML prefix for another URI
    // (xmlns=""), in which case libxml2 refuses the declaration: try other prefixes.
    for (const char* prefix : {static_cast<const char*>(nullptr), "edXML", "qcvn102"}) {
        if (!edxml_ns)
            edxml_ns = xmlNewNs(root, BAD_CAST kEdxmlNamespace, BAD_CAST prefix);
    }
    if (!edxml_ns)
        return;  // nothing is repaired; the reader reports the root's namespace
    if (root_unqualified && root_name == "edXML") {
        result.warnings.push_back(diagnostic_at(
            root, ErrorCode::none, "root edXML has no namespace; read in the QCVN 102 namespace"));
    }

    int unqualified = 0;
    const xmlNode* first_unqualified = nullptr;
    // Iterative walk: the depth limit already bounds the tree, but no recursion is needed.
    xmlNode* node = root;
    while (node) {
        if (node->type == XML_ELEMENT_NODE && node->ns == nullptr) {
            std::string_view name = local_name(node);
            const auto colon = name.find(':');
            if (colon != std::string_view::npos) {
                // libxml2 kept "prefix:local" as the name: an undeclared prefix.
                xmlNodeSetName(node, BAD_CAST std::string(name.substr(colon + 1)).c_str());
            } else if (node != root) {
                if (unqualified++ == 0)
                    first_unqualified = node;
            }
            xmlSetNs(node, edxml_ns);
        }
        if (node->children && node->type == XML_ELEMENT_NODE) {
            node = node->children;
            continue;
        }
        if (node == root)
            break;
        while (node && !node->next) {
            node = node->parent;
            if (node == root || (node && node->type != XML_ELEMENT_NODE))
                node = nullptr;
        }
        if (node)
            node = node->next;
    }
    if (unqualified > 0 && !root_unqualified) {
        result.warnings.push_back(
            diagnostic_at(first_unqualified, ErrorCode::none,
                          std::to_string(unqualified) +
                              " element(s) without a namespace read in the QCVN 102 namespace"));
    }
}

}  // namespace

ReadResult detail::read_parsed_package(ParsedXml& parsed, const ReadOptions& options) {
    ReadResult result;
    if (!parsed.doc) {
        result.errors.push_back(parsed.error);
        return result;
    }
    for (const Diagnostic& problem : parsed.ns_errors)
        result.warnings.push_back(problem);
    repair_namespaces(parsed.doc.get(), result);
    PackageReader(options, result).read(parsed.doc.get());
    return result;
}

ReadResult read_package(std::string_view bytes, const ReadOptions& options) {
    detail::ParsedXml parsed = detail::parse_untrusted_xml(bytes, options.limits);
    return detail::read_parsed_package(parsed, options);
}

ReadResult read_package_file(const std::string& path, const ReadOptions& options) {
    ReadResult result;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        result.errors.push_back({ErrorCode::io, path + ": " + std::strerror(errno), "", 0});
        return result;
    }
    if (!S_ISREG(info.st_mode)) {
        result.errors.push_back({ErrorCode::io, path + ": not a regular file", "", 0});
        return result;
    }
    if (static_cast<std::uint64_t>(info.st_size) > options.limits.max_input_bytes) {
        result.errors.push_back({ErrorCode::too_large,
                                 path + ": file of " + std::to_string(info.st_size) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(options.limits.max_input_bytes) + " bytes",
                                 "", 0});
        return result;
    }
    std::ifstream file(path, std::ios::binary);
    std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
    if (!file || !file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
        result.errors.push_back({ErrorCode::io, path + ": could not be read", "", 0});
        return result;
    }
    return read_package(bytes, options);
}

}  // namespace edxml
