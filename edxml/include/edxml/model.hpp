// The edXML model (QCVN 102:2016): plain value types for the document package, the
// status package and the attachments, as described in protocol.md §1–§3.
//
// Conventions: an empty string means "absent" (the wire treats empty elements the same
// way); numbers and dates that may be absent are std::optional. Content ids are stored
// without their `cid:` prefix. Field order follows the canonical element order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "edxml/dates.hpp"
#include "edxml/status_code.hpp"

namespace edxml {

// The one namespace of all edXML elements.
inline constexpr const char* kEdxmlNamespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
inline constexpr const char* kXmlDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

// From / To blocks (§1.4).
struct Organization {
    std::string organ_id;
    std::string organization_in_charge;
    std::string organ_name;
    std::string organ_add;
    std::string email;
    std::string telephone;
    std::string fax;
    std::string website;
    bool operator==(const Organization&) const = default;
};

// Số and ký hiệu (§1.3 #4).
struct DocumentCode {
    std::string number;
    std::string notation;
    bool operator==(const DocumentCode&) const = default;
};

struct PromulgationInfo {
    std::string place;
    std::optional<Date> date;
    bool operator==(const PromulgationInfo&) const = default;
};

struct DocumentType {
    std::optional<int> type;
    std::optional<int> type_detail;
    std::string type_name;
    bool operator==(const DocumentType&) const = default;
};

struct SignerInfo {
    std::string competence;
    std::string position;
    std::string full_name;
    bool operator==(const SignerInfo&) const = default;
};

// §1.5. Absent numbers stay absent; readers of the model apply the library defaults
// (Priority 0, amounts 1, Direction false) where they need a value.
struct OtherInfo {
    std::optional<int> priority;
    std::string sphere_of_promulgation;
    std::string typer_notation;
    std::optional<int> promulgation_amount;
    std::optional<int> page_amount;
    std::string reply_fors;
    std::optional<bool> direction;
    std::string reference_codes;
    std::vector<std::string> appendixes;
    bool operator==(const OtherInfo&) const = default;
};

// Points at the document this one answers (§1.3 #12, §2.1). Code is "số/ký hiệu" as text.
struct ResponseFor {
    std::string organ_id;
    std::string code;
    std::string document_id;
    std::optional<Date> promulgation_date;
    bool operator==(const ResponseFor&) const = default;
};

struct StaffInfo {
    std::string department;
    std::string department_id;
    std::string staff;
    std::string staff_id;
    std::string email;
    std::string mobile;
    bool operator==(const StaffInfo&) const = default;
};

struct TraceHeader {
    std::string organ_id;
    std::optional<DateTime> timestamp;
    bool operator==(const TraceHeader&) const = default;
};

// BussinessDocType values (§3).
enum class BusinessDocType { new_document = 0, revoke = 1, update = 2, replace = 3 };
const char* to_string(BusinessDocType type);

struct Receiver {
    std::string organ_id;
    std::optional<int> receiver_type;
    bool operator==(const Receiver&) const = default;
};

struct BusinessDocumentInfo {
    std::optional<int> document_info;
    std::optional<int> document_receiver;
    std::vector<Receiver> receivers;
    bool operator==(const BusinessDocumentInfo&) const = default;
};

struct ReplacementInfo {
    std::string document_id;
    std::vector<std::string> organ_ids;
    bool operator==(const ReplacementInfo&) const = default;
};

// `Bussiness` on the wire (the double s is the standard's spelling).
struct Business {
    std::string document_id;
    // Kept as a number: values outside 0..3 are reported by validation, not lost.
    std::optional<int> doc_type;
    std::string reason;
    std::optional<int> paper;
    std::vector<BusinessDocumentInfo> document_infos;
    std::vector<ReplacementInfo> replacements;
    std::vector<StaffInfo> staff;
    bool operator==(const Business&) const = default;
};

struct TraceHeaderList {
    std::string paper;
    std::optional<Business> business;
    std::vector<TraceHeader> trace_headers;
    bool operator==(const TraceHeaderList&) const = default;
};

// What the reader saw of an XML signature. Signing and verification live elsewhere; the
// model only records presence and form so that nothing about it is silently dropped.
struct SignatureInfo {
    std::string namespace_uri;  // empty when the element had no namespace
    bool operator==(const SignatureInfo&) const = default;
};

// MessageHeader of a document package (§1.3).
struct MessageHeader {
    Organization from;
    std::vector<Organization> to;
    std::string document_id;
    DocumentCode code;
    PromulgationInfo promulgation;
    DocumentType document_type;
    std::string subject;
    std::string content;
    SignerInfo signer;
    std::optional<Date> due_date;
    std::optional<OtherInfo> other_info;
    std::vector<ResponseFor> response_for;
    std::optional<int> steering_type;
    std::vector<std::string> response_for_task;  // ResponseForTask/TaskCode
    std::string application_type;
    std::vector<std::string> to_places;
    bool operator==(const MessageHeader&) const = default;
};

// edXMLManifest/Reference (§1.9).
struct ManifestReference {
    std::string content_id;  // without "cid:"
    std::string content_type;
    std::string description;
    std::string attachment_name;
    bool operator==(const ManifestReference&) const = default;
};

// AttachmentEncoded/Attachment (§1.9). The payload stays base64 in the model; decoding
// is explicit (attachments.hpp) so that a package can be inspected without holding the
// decoded bytes of every attachment in memory.
struct Attachment {
    std::string content_id;  // without "cid:"
    std::string attachment_name;
    std::string description;
    std::string field_name;
    std::string mime_type;
    std::string content_type;
    std::string format;
    std::string encoded;             // base64 text, whitespace removed
    std::uint64_t decoded_size = 0;  // derived from `encoded` by the reader
    bool operator==(const Attachment&) const = default;
};

// A document package ("edoc").
struct DocumentPackage {
    MessageHeader header;
    std::optional<TraceHeaderList> trace;
    std::optional<SignatureInfo> signature;
    bool has_manifest = false;
    std::vector<ManifestReference> manifest;
    std::vector<Attachment> attachments;
    bool operator==(const DocumentPackage&) const = default;

    BusinessDocType business_type() const;  // new_document when absent
};

// A status package (§2.1).
struct StatusPackage {
    Organization from;
    ResponseFor response_for;
    std::optional<StaffInfo> staff;
    StatusCode status;
    std::string description;
    std::optional<DateTime> timestamp;
    std::optional<SignatureInfo> signature;
    bool operator==(const StatusPackage&) const = default;
};

using Package = std::variant<DocumentPackage, StatusPackage>;

enum class PackageKind { document, status };
PackageKind kind_of(const Package& package);
const char* to_string(PackageKind kind);

}  // namespace edxml
