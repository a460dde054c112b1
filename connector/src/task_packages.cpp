#include "connector/task_packages.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <stdexcept>

#include "connector/clock.hpp"
#include "edxml/attachments.hpp"

namespace connector {
namespace {

edxml::Organization organization(const std::string& code, const std::string& name) {
    edxml::Organization organization;
    organization.organ_id = code;
    organization.organ_name = name;
    return organization;
}

// The profile as the one attachment `nhiemvu.xml`, listed in the manifest.
void attach_profile(edxml::DocumentPackage& package, const edxml::TaskProfile& profile,
                    const std::string& content_id) {
    edxml::Attachment attachment;
    attachment.content_id = content_id;
    attachment.attachment_name = edxml::kTaskProfileFileName;
    attachment.description = edxml::kTaskProfileDescription;
    attachment.content_type = "application/xml";
    attachment.encoded = edxml::encode_base64(edxml::write_task_profile(profile), 0);
    package.has_manifest = true;
    package.manifest.push_back(
        {content_id, attachment.content_type, attachment.description, attachment.attachment_name});
    package.attachments.push_back(std::move(attachment));
}

// Files of the sender's choosing, each listed in the manifest; content ids are made
// unique ("file-<n>") when the caller gives none.
void attach_files(edxml::DocumentPackage& package,
                  const std::vector<edxml::Attachment>& attachments) {
    int number = 0;
    for (edxml::Attachment attachment : attachments) {
        ++number;
        if (attachment.content_id.empty())
            attachment.content_id = "file-" + std::to_string(number);
        package.has_manifest = true;
        package.manifest.push_back({attachment.content_id, attachment.content_type,
                                    attachment.description, attachment.attachment_name});
        package.attachments.push_back(std::move(attachment));
    }
}

// A document of ours: sender, DocumentId, number/notation, place and date, kind, text.
edxml::DocumentPackage new_document(const Sender& sender, const std::string& number,
                                    const std::string& notation, const std::string& type_name,
                                    const std::string& subject, const std::string& content,
                                    const edxml::SignerInfo& signer, const edxml::DateTime& now) {
    edxml::DocumentPackage package;
    edxml::MessageHeader& header = package.header;
    header.from = organization(sender.code, sender.name);
    header.document_id = document_id_for(sender.code, now.date, number, notation);
    header.code = {number, notation};
    header.promulgation = {sender.place, now.date};
    header.document_type.type_name = type_name;
    header.subject = subject;
    header.content = content;
    header.signer = signer;
    return package;
}

// What follows a document we sent (a revocation, an amendment): the same document, header
// and DocumentId, without its signature and attachments, with the business type and reason.
edxml::DocumentPackage follow_up(const edxml::DocumentPackage& original,
                                 edxml::BusinessDocType type, const std::string& reason,
                                 const std::string& sender, const edxml::DateTime& now) {
    edxml::DocumentPackage package = original;
    package.signature.reset();
    package.attachments.clear();
    package.manifest.clear();
    package.has_manifest = false;
    edxml::Business business;
    business.document_id = original.header.document_id;
    business.doc_type = static_cast<int>(type);
    business.reason = reason;
    edxml::TraceHeaderList trace;
    trace.business = business;
    trace.trace_headers.push_back({sender, now});
    package.trace = trace;
    return package;
}

void add_trace(edxml::DocumentPackage& package, const std::string& sender,
               const edxml::DateTime& now) {
    edxml::TraceHeaderList trace;
    edxml::Business business;
    business.document_id = package.header.document_id;
    business.doc_type = static_cast<int>(edxml::BusinessDocType::new_document);
    trace.business = business;
    trace.trace_headers.push_back({sender, now});
    package.trace = trace;
}

}  // namespace

edxml::DateTime vietnam_time(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when) + 7 * 3600;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return {{parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday},
            parts.tm_hour,
            parts.tm_min,
            parts.tm_sec};
}

std::string document_id_for(const std::string& sender, const edxml::Date& date,
                            const std::string& number, const std::string& notation) {
    return sender + "," + edxml::format_date(date) + "," + number + "/" + notation;
}

edxml::DocumentPackage build_assignment(const Sender& sender, const AssignmentDocument& document,
                                        const edxml::DateTime& now) {
    if (document.tasks.empty())
        throw std::invalid_argument("an assignment needs at least one task");
    edxml::DocumentPackage package =
        new_document(sender, document.code_number, document.code_notation, "Giao nhiệm vụ",
                     document.subject, document.content, document.signer, now);
    edxml::MessageHeader& header = package.header;
    header.steering_type = 1;

    edxml::TaskProfile profile;
    profile.kind = edxml::TaskProfileKind::assignment;
    profile.source_document_id = header.document_id;
    std::set<std::string> codes;
    std::set<std::string> leads;
    int number = 0;
    for (edxml::TaskRecord task : document.tasks) {
        ++number;
        // No code: "<DocumentId>#<n>"; a code that starts with '#' ("#III.3", the plan's
        // section and row) is appended to the DocumentId, which the caller cannot know.
        if (task.task_code.empty())
            task.task_code = header.document_id + "#" + std::to_string(number);
        else if (task.task_code[0] == '#')
            task.task_code = header.document_id + task.task_code;
        if (!codes.insert(task.task_code).second)
            throw std::invalid_argument("task code '" + task.task_code + "' appears twice");
        if (task.issuer.empty())
            task.issuer = sender.code;
        const edxml::TaskAssignee* lead = nullptr;
        for (const auto& assignee : task.assignees) {
            if (assignee.role == edxml::AssigneeRole::lead && !assignee.organ_id.empty()) {
                lead = &assignee;
                break;
            }
        }
        if (!lead)
            throw std::invalid_argument("task '" + task.task_code +
                                        "' has no lead unit with an agency code");
        if (leads.insert(lead->organ_id).second)
            header.to.push_back(organization(lead->organ_id, lead->name));
        if (task.due_date && (!header.due_date || *task.due_date < *header.due_date))
            header.due_date = task.due_date;
        task.updated_at = now;
        profile.tasks.push_back(std::move(task));
    }
    add_trace(package, sender.code, now);
    attach_profile(package, profile, "nhiemvu-" + document.code_number);
    attach_files(package, document.attachments);
    return package;
}

edxml::DocumentPackage build_revocation(const Sender& sender,
                                        const edxml::DocumentPackage& original,
                                        const std::string& reason, const edxml::DateTime& now) {
    return follow_up(original, edxml::BusinessDocType::revoke, reason, sender.code, now);
}

edxml::DocumentPackage build_amendment(const Sender& sender, const edxml::DocumentPackage& original,
                                       const std::vector<edxml::TaskRecord>& tasks,
                                       const std::string& reason, const edxml::DateTime& now) {
    if (tasks.empty())
        throw std::invalid_argument("an amendment needs at least one task");
    edxml::DocumentPackage package =
        follow_up(original, edxml::BusinessDocType::update, reason, sender.code, now);
    edxml::MessageHeader& header = package.header;
    // To: the lead units of the tasks that change, as the original named them; the
    // others have nothing to apply.
    std::vector<edxml::Organization> to;
    edxml::TaskProfile profile;
    profile.kind = edxml::TaskProfileKind::update;
    profile.source_document_id = header.document_id;
    for (edxml::TaskRecord task : tasks) {
        const auto lead = std::find_if(
            task.assignees.begin(), task.assignees.end(), [](const edxml::TaskAssignee& assignee) {
                return assignee.role == edxml::AssigneeRole::lead && !assignee.organ_id.empty();
            });
        if (lead == task.assignees.end())
            throw std::invalid_argument("task '" + task.task_code +
                                        "' has no lead unit with an agency code");
        const bool listed = std::any_of(to.begin(), to.end(), [&](const auto& organization) {
            return organization.organ_id == lead->organ_id;
        });
        if (!listed) {
            const auto named = std::find_if(
                header.to.begin(), header.to.end(),
                [&](const auto& organization) { return organization.organ_id == lead->organ_id; });
            to.push_back(named != header.to.end() ? *named
                                                  : organization(lead->organ_id, lead->name));
        }
        task.updated_at = now;
        profile.tasks.push_back(std::move(task));
    }
    header.to = std::move(to);
    edxml::BusinessDocumentInfo changed;
    changed.document_info = 1;      // the tasks' content or deadlines changed
    changed.document_receiver = 0;  // the same units
    package.trace->business->document_infos.push_back(changed);
    attach_profile(package, profile, "dieuchinh-" + header.code.number);
    return package;
}

edxml::DocumentPackage build_document(const Sender& sender, const PlainDocument& document,
                                      const edxml::DateTime& now) {
    if (document.to.empty())
        throw std::invalid_argument("a document needs at least one recipient");
    edxml::DocumentPackage package =
        new_document(sender, document.code_number, document.code_notation, "Công văn",
                     document.subject, document.content, document.signer, now);
    package.header.to = document.to;
    add_trace(package, sender.code, now);
    attach_files(package, document.attachments);
    return package;
}

edxml::DocumentPackage build_report(const Sender& sender, const ReportTarget& target,
                                    const std::vector<edxml::TaskRecord>& tasks,
                                    const std::string& code_number, const edxml::DateTime& now) {
    if (tasks.empty())
        throw std::invalid_argument("a report needs at least one task");
    edxml::DocumentPackage package = new_document(
        sender, code_number, "BC-NV", "Báo cáo", "Báo cáo tiến độ thực hiện nhiệm vụ", "", {}, now);
    edxml::MessageHeader& header = package.header;
    header.to.push_back(organization(target.organ_id, target.organ_name));
    edxml::ResponseFor answered;
    answered.organ_id = target.organ_id;
    answered.document_id = target.document_id;
    header.response_for.push_back(answered);

    edxml::TaskProfile profile;
    profile.kind = edxml::TaskProfileKind::report;
    profile.source_document_id = target.document_id;
    for (edxml::TaskRecord task : tasks) {
        header.response_for_task.push_back(task.task_code);
        task.updated_at = now;
        task.report_document_ids.push_back(header.document_id);
        profile.tasks.push_back(std::move(task));
    }
    add_trace(package, sender.code, now);
    attach_profile(package, profile, "nhiemvu-" + code_number);
    return package;
}

edxml::StatusPackage build_status(const Sender& sender, const std::string& to,
                                  const std::string& document_id, edxml::StatusKind code,
                                  const std::string& description, const edxml::DateTime& now) {
    edxml::StatusPackage package;
    package.from = organization(sender.code, sender.name);
    package.response_for.organ_id = to;
    package.response_for.document_id = document_id;
    package.status = edxml::StatusCode::from_kind(code);
    package.description = description.empty() ? edxml::vietnamese_label(code) : description;
    package.timestamp = now;
    return package;
}

}  // namespace connector
