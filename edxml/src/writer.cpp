#include "edxml/writer.hpp"

#include "edxml/attachments.hpp"
#include "edxml/diagnostics.hpp"
#include "staff_info_xml.hpp"
#include "xml_writer.hpp"

namespace edxml {
namespace {

using detail::XmlWriter;

constexpr std::size_t kBase64LineLength = 76;

void write_open_root(XmlWriter& xml) {
    xml.declaration();
    // The default namespace and the edXML prefix name the same URI (as the VNPT library
    // writes it); declaring both on the root keeps AttachmentEncoded in scope.
    xml.open("edXML", {{"xmlns", kEdxmlNamespace}, {"xmlns:edXML", kEdxmlNamespace}}, false);
}

void write_organization(XmlWriter& xml, const char* element, const Organization& org) {
    xml.open(element);
    xml.leaf("OrganId", org.organ_id);
    xml.leaf("OrganizationInCharge", org.organization_in_charge);
    xml.leaf("OrganName", org.organ_name);
    xml.leaf("OrganAdd", org.organ_add);
    xml.leaf("Email", org.email);
    xml.leaf("Telephone", org.telephone);
    xml.leaf("Fax", org.fax);
    xml.leaf("Website", org.website);
    xml.close();
}

void write_response_for(XmlWriter& xml, const ResponseFor& response) {
    xml.open("ResponseFor");
    xml.leaf("OrganId", response.organ_id);
    xml.leaf("Code", response.code);
    xml.leaf("DocumentId", response.document_id);
    xml.leaf("PromulgationDate", response.promulgation_date);
    xml.close();
}

void write_staff(XmlWriter& xml, const StaffInfo& staff) {
    xml.open("StaffInfo");
    detail::write_staff_fields(xml, staff);
    xml.close();
}

void write_list(XmlWriter& xml, const char* list, const char* item,
                const std::vector<std::string>& values) {
    if (values.empty())
        return;
    xml.open(list);
    for (const std::string& value : values)
        xml.leaf(item, value);
    xml.close();
}

void write_message_header(XmlWriter& xml, const MessageHeader& header) {
    xml.open("MessageHeader");
    write_organization(xml, "From", header.from);
    for (const Organization& to : header.to)
        write_organization(xml, "To", to);
    xml.leaf("DocumentId", header.document_id);
    xml.open("Code");
    xml.leaf("CodeNumber", header.code.number);
    xml.leaf("CodeNotation", header.code.notation);
    xml.close();
    xml.open("PromulgationInfo");
    xml.leaf("Place", header.promulgation.place);
    xml.leaf("PromulgationDate", header.promulgation.date);
    xml.close();
    xml.open("DocumentType");
    xml.leaf("Type", header.document_type.type);
    xml.leaf("TypeDetail", header.document_type.type_detail);
    xml.leaf("TypeName", header.document_type.type_name);
    xml.close();
    xml.leaf("Subject", header.subject);
    xml.leaf("Content", header.content);
    xml.open("SignerInfo");
    xml.leaf("Competence", header.signer.competence);
    xml.leaf("Position", header.signer.position);
    xml.leaf("FullName", header.signer.full_name);
    xml.close();
    xml.leaf("DueDate", header.due_date);
    if (header.other_info) {
        const OtherInfo& info = *header.other_info;
        xml.open("OtherInfo");
        xml.leaf("Priority", info.priority);
        xml.leaf("SphereOfPromulgation", info.sphere_of_promulgation);
        xml.leaf("TyperNotation", info.typer_notation);
        xml.leaf("PromulgationAmount", info.promulgation_amount);
        xml.leaf("PageAmount", info.page_amount);
        xml.leaf("ReplyFors", info.reply_fors);
        xml.leaf("Direction", info.direction);
        xml.leaf("ReferenceCodes", info.reference_codes);
        write_list(xml, "Appendixes", "Appendix", info.appendixes);
        xml.close();
    }
    for (const ResponseFor& response : header.response_for)
        write_response_for(xml, response);
    xml.leaf("SteeringType", header.steering_type);
    write_list(xml, "ResponseForTask", "TaskCode", header.response_for_task);
    xml.leaf("ApplicationType", header.application_type);
    write_list(xml, "ToPlaces", "Place", header.to_places);
    xml.close();
}

void write_business(XmlWriter& xml, const Business& business) {
    xml.open("Bussiness");
    xml.leaf("DocumentId", business.document_id);
    xml.leaf("BussinessDocType", business.doc_type);
    xml.leaf("BussinessDocReason", business.reason);
    xml.leaf("Paper", business.paper);
    for (const BusinessDocumentInfo& info : business.document_infos) {
        xml.open("BussinessDocumentInfo");
        xml.leaf("DocumentInfo", info.document_info);
        xml.leaf("DocumentReceiver", info.document_receiver);
        if (!info.receivers.empty()) {
            xml.open("ReceiverList");
            for (const Receiver& receiver : info.receivers) {
                xml.open("Receiver");
                xml.leaf("OrganId", receiver.organ_id);
                xml.leaf("ReceiverType", receiver.receiver_type);
                xml.close();
            }
            xml.close();
        }
        xml.close();
    }
    if (!business.replacements.empty()) {
        xml.open("ReplacementInfoList");
        for (const ReplacementInfo& replacement : business.replacements) {
            xml.open("ReplacementInfo");
            xml.leaf("DocumentId", replacement.document_id);
            write_list(xml, "OrganIdList", "OrganId", replacement.organ_ids);
            xml.close();
        }
        xml.close();
    }
    for (const StaffInfo& staff : business.staff)
        write_staff(xml, staff);
    xml.close();
}

void write_trace(XmlWriter& xml, const TraceHeaderList& trace) {
    xml.open("TraceHeaderList");
    xml.leaf("Paper", trace.paper);
    if (trace.business)
        write_business(xml, *trace.business);
    for (const TraceHeader& header : trace.trace_headers) {
        xml.open("TraceHeader");
        xml.leaf("OrganId", header.organ_id);
        xml.leaf("Timestamp", header.timestamp);
        xml.close();
    }
    xml.close();
}

// Base64 wrapped in lines, each on its own line inside the element.
std::string wrapped_payload(const std::string& encoded) {
    std::string text = "\n";
    for (std::size_t i = 0; i < encoded.size(); i += kBase64LineLength) {
        text.append(encoded, i, kBase64LineLength);
        text += '\n';
    }
    return text;
}

}  // namespace

std::string write_document(const DocumentPackage& package) {
    XmlWriter xml("edXML");
    write_open_root(xml);
    xml.open("edXMLEnvelope");
    xml.open("edXMLHeader");
    write_message_header(xml, package.header);
    if (package.trace)
        write_trace(xml, *package.trace);
    xml.close();
    if (package.has_manifest || !package.manifest.empty()) {
        xml.open("edXMLBody");
        xml.open("edXMLManifest", {{"version", "1.0"}});
        for (const ManifestReference& reference : package.manifest) {
            xml.open("Reference");
            xml.leaf("ContentId",
                     reference.content_id.empty() ? "" : "cid:" + reference.content_id);
            xml.leaf("ContentType", reference.content_type);
            xml.leaf("Description", reference.description);
            xml.leaf("AttachmentName", reference.attachment_name);
            xml.close();
        }
        xml.close();
        xml.close();
    }
    xml.close();  // edXMLEnvelope
    if (!package.attachments.empty()) {
        xml.open("AttachmentEncoded");
        for (const Attachment& attachment : package.attachments) {
            const Base64Check check = check_base64(attachment.encoded);
            if (!check.ok) {
                throw Error(ErrorCode::invalid_base64,
                            "attachment '" + attachment.content_id + "': " + check.problem);
            }
            xml.open("Attachment");
            xml.leaf("ContentId",
                     attachment.content_id.empty() ? "" : "cid:" + attachment.content_id);
            xml.leaf("AttachmentName", attachment.attachment_name);
            xml.leaf("Description", attachment.description);
            xml.leaf("FieldName", attachment.field_name);
            xml.leaf("MimeType", attachment.mime_type);
            xml.leaf("ContentType", attachment.content_type);
            xml.leaf("Format", attachment.format);
            xml.raw_leaf("ContentTransferEncoded", wrapped_payload(attachment.encoded));
            xml.close();
        }
        xml.close();
    }
    xml.close();  // edXML
    return xml.finish();
}

std::string write_status(const StatusPackage& package) {
    XmlWriter xml("edXML");
    write_open_root(xml);
    xml.open("edXMLEnvelope");
    xml.open("edXMLHeader");
    xml.open("MessageHeader");
    write_organization(xml, "From", package.from);
    write_response_for(xml, package.response_for);
    if (package.staff)
        write_staff(xml, *package.staff);
    xml.leaf("StatusCode", package.status.wire_text());
    xml.leaf("Description", package.description);
    xml.leaf("Timestamp", package.timestamp);
    xml.close();
    xml.close();
    xml.close();
    xml.close();
    return xml.finish();
}

std::string write_package(const Package& package) {
    if (const auto* document = std::get_if<DocumentPackage>(&package)) {
        return write_document(*document);
    }
    return write_status(std::get<StatusPackage>(package));
}

}  // namespace edxml
