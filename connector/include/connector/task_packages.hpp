// Building the packages the connector sends: a task assignment (a document with the task
// profile), a task report (a document answering the assignment, one profile record per
// reported task) and a status package (a code about a document). protocol.md §2, §6.2.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "edxml/model.hpp"
#include "edxml/task_profile.hpp"

namespace connector {

struct Sender {
    std::string code;   // our agency code, e.g. 000.00.00.G22
    std::string name;   // "Văn phòng Chính phủ"
    std::string place;  // nơi ban hành, e.g. "Hà Nội"
};

struct AssignmentDocument {
    std::string code_number;    // số, e.g. "125"
    std::string code_notation;  // ký hiệu, e.g. "KH-UBND"
    std::string subject;
    std::string content;
    edxml::SignerInfo signer;
    // Tasks; an empty task code becomes "<DocumentId>#<n>" (n from 1, in order), and one
    // that starts with '#' is appended to the DocumentId ("#III.3").
    std::vector<edxml::TaskRecord> tasks;
    // Files sent with the document (the signed decision, the plan…), beside the profile.
    std::vector<edxml::Attachment> attachments;
};

// A plain document (no tasks) to one or more agencies.
struct PlainDocument {
    std::string code_number;
    std::string code_notation;
    std::string subject;
    std::string content;
    edxml::SignerInfo signer;
    std::vector<edxml::Organization> to;
    std::vector<edxml::Attachment> attachments;
};

// The document's id: "<sender>,<yyyy/MM/dd>,<number>/<notation>" (QCVN 102 §1.6).
std::string document_id_for(const std::string& sender, const edxml::Date& date,
                            const std::string& number, const std::string& notation);

// An assignment to the lead units of its tasks (To), with the task profile attached.
// Throws std::invalid_argument naming the problem when there is no task, a task has no
// lead unit with an agency code, or two tasks share a code.
edxml::DocumentPackage build_assignment(const Sender& sender, const AssignmentDocument& document,
                                        const edxml::DateTime& now);

// Thu hồi (business type 1): the assignment `original` we sent, the same document to the
// same recipients, without its attachments, `reason` in Bussiness.
edxml::DocumentPackage build_revocation(const Sender& sender,
                                        const edxml::DocumentPackage& original,
                                        const std::string& reason, const edxml::DateTime& now);

// Điều chỉnh (business type 2): the assignment `original` we sent, with the same
// DocumentId, carrying `tasks` (each as it now stands: new title, content, deadline) in a
// task profile of kind update, to the lead units of those tasks, `reason` in Bussiness.
// Throws std::invalid_argument when there is no task or a task has no lead unit.
edxml::DocumentPackage build_amendment(const Sender& sender, const edxml::DocumentPackage& original,
                                       const std::vector<edxml::TaskRecord>& tasks,
                                       const std::string& reason, const edxml::DateTime& now);

// A plain document package. Throws std::invalid_argument when it has no recipient.
edxml::DocumentPackage build_document(const Sender& sender, const PlainDocument& document,
                                      const edxml::DateTime& now);

// What a report answers: the assignment document and its sender.
struct ReportTarget {
    std::string document_id;  // the assignment's DocumentId
    std::string organ_id;     // who assigned
    std::string organ_name;
};

// A report on one or more tasks (each record: code, progress, note, status code…).
edxml::DocumentPackage build_report(const Sender& sender, const ReportTarget& target,
                                    const std::vector<edxml::TaskRecord>& tasks,
                                    const std::string& code_number, const edxml::DateTime& now);

// A status package: `code` about `document_id`, addressed to `to` (ResponseFor/OrganId).
edxml::StatusPackage build_status(const Sender& sender, const std::string& to,
                                  const std::string& document_id, edxml::StatusKind code,
                                  const std::string& description, const edxml::DateTime& now);

}  // namespace connector
