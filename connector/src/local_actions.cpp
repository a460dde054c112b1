// The local actions of the exchange: what a clerk or iDesk asks of us (assign, report,
// revoke, send a document, answer a take-back), each checked, built, signed, logged and
// queued by Exchange::queue_package.
#include <set>
#include <stdexcept>

#include "connector/error.hpp"
#include "connector/who_may_act.hpp"
#include "edxml/attachments.hpp"
#include "edxml/writer.hpp"
#include "exchange_parts.hpp"

namespace connector {

using namespace exchange_parts;

std::int64_t Exchange::queue_new_document(const edxml::DocumentPackage& package,
                                          const std::string& requested_by) {
    if (!store_.messages_by_document(Direction::outbound, "edoc", package.header.document_id)
             .empty())
        throw DuplicateError("document " + package.header.document_id +
                             " was sent already: choose another number");
    std::vector<std::string> to;
    for (const auto& organization : package.header.to)
        to.push_back(organization.organ_id);
    return queue_package("edoc", package.header.document_id, join(to, ","), "",
                         package.header.subject, edxml::write_document(package), 0, requested_by);
}

void Exchange::number_if_unnumbered(std::string& number, std::string& notation,
                                    const char* default_notation) {
    if (number.empty())
        number = std::to_string(store_.next_document_number());
    if (notation.empty())
        notation = default_notation;
}

std::int64_t Exchange::assign(const AssignmentDocument& document, const std::string& requested_by) {
    AssignmentDocument numbered = document;
    number_if_unnumbered(numbered.code_number, numbered.code_notation, "GNV");
    const edxml::DocumentPackage package =
        build_assignment(settings_.sender, numbered, vietnam_time(clock_.now()));
    // What the receiver will check, checked before anything is queued.
    const edxml::Attachment* attachment = edxml::find_task_profile_attachment(package);
    const auto checked = edxml::read_task_profile(edxml::decode_attachment(*attachment));
    if (!checked.ok())
        throw std::invalid_argument("the task profile would be refused: " +
                                    checked.errors.front().to_string());
    return queue_new_document(package, requested_by);
}

std::int64_t Exchange::report(const ReportRequest& request, const std::string& requested_by) {
    auto task = store_.task(request.task_code);
    if (!task)
        throw std::invalid_argument("no task '" + request.task_code + "'");
    if (task->side != TaskSide::received)
        throw std::invalid_argument("task '" + request.task_code +
                                    "' was assigned by us: its assignees report on it");
    if (!speaks_for_lead(*task, settings_.sender.code))
        throw std::invalid_argument("task '" + request.task_code + "' is led by another unit: " +
                                    "only its lead unit (or the agency above it) reports on it");
    if (request.progress && (*request.progress < 0 || *request.progress > 100))
        throw std::invalid_argument("progress must be 0..100, not " +
                                    std::to_string(*request.progress));
    Task updated = *task;
    if (request.status) {
        const auto outcome =
            apply_status(updated.status, edxml::StatusCode::from_kind(*request.status));
        if (outcome.effect != StatusEffect::advanced)
            throw std::invalid_argument("status " + edxml::canonical_code(*request.status) +
                                        " cannot be reported: " + outcome.reason);
        updated.status = outcome.next;
    }
    if (request.progress)
        updated.progress = *request.progress;
    if (!request.note.empty())
        updated.progress_note = request.note;
    if (request.completion_date)
        updated.completion_date = request.completion_date;
    else if (request.status == edxml::StatusKind::completed && !updated.completion_date)
        updated.completion_date = vietnam_date(clock_.now());
    if (request.status == edxml::StatusKind::completed)
        updated.progress = 100;

    edxml::TaskRecord record;
    record.task_code = updated.task_code;
    record.title = updated.title;
    record.issuer = updated.issuer;
    record.assignees = updated.assignees;
    record.due_date = updated.due_date;
    record.due_text = updated.due_text;
    record.progress = updated.progress;
    record.progress_note = updated.progress_note;
    record.completion_date = updated.completion_date;
    if (updated.status.current)
        record.status_code = edxml::StatusCode::from_kind(*updated.status.current);

    const std::string number = std::to_string(store_.next_document_number());
    const edxml::DocumentPackage package =
        build_report(settings_.sender, {updated.source_document_id, updated.issuer, ""}, {record},
                     number, vietnam_time(clock_.now()));
    return queue_package("edoc", package.header.document_id, updated.issuer, "",
                         package.header.subject, edxml::write_document(package), 0, requested_by);
}

std::int64_t Exchange::send_document(const PlainDocument& document,
                                     const std::string& requested_by) {
    PlainDocument numbered = document;
    number_if_unnumbered(numbered.code_number, numbered.code_notation, "CV");
    const edxml::DocumentPackage package =
        build_document(settings_.sender, numbered, vietnam_time(clock_.now()));
    return queue_new_document(package, requested_by);
}

std::int64_t Exchange::send_status(const std::string& task_code, edxml::StatusKind code,
                                   const std::string& note, const std::string& requested_by) {
    const auto task = store_.task(task_code);
    if (!task)
        throw std::invalid_argument("no task '" + task_code + "'");
    std::string to;
    if (code == edxml::StatusKind::take_back_request) {
        if (task->side != TaskSide::issued)
            throw std::invalid_argument("task '" + task_code +
                                        "' was assigned to us: only its issuer asks for it back");
        for (const auto& assignee : task->assignees)
            if (assignee.role == edxml::AssigneeRole::lead && !assignee.organ_id.empty()) {
                to = assignee.organ_id;
                break;
            }
        if (to.empty())
            throw std::invalid_argument("task '" + task_code + "' has no lead unit to ask");
    } else if (code == edxml::StatusKind::change_accepted ||
               code == edxml::StatusKind::change_rejected) {
        if (task->side != TaskSide::received)
            throw std::invalid_argument("task '" + task_code +
                                        "' was assigned by us: its lead unit answers 15/16");
        to = task->issuer;
    } else {
        throw std::invalid_argument("status " + edxml::canonical_code(code) +
                                    " is not sent as a status package: report it");
    }
    const auto outcome = apply_status(task->status, edxml::StatusCode::from_kind(code));
    if (outcome.effect != StatusEffect::advanced)
        throw std::invalid_argument("status " + edxml::canonical_code(code) +
                                    " cannot be sent: " + outcome.reason);
    const edxml::StatusPackage package = build_status(
        settings_.sender, to, task->source_document_id, code, note, vietnam_time(clock_.now()));
    return queue_package("status", task->source_document_id, to, edxml::canonical_code(code),
                         package.description, edxml::write_status(package), 0, requested_by);
}

std::optional<edxml::DocumentPackage> Exchange::sent_original(const std::string& document_id) {
    for (const std::int64_t sequence :
         store_.messages_by_document(Direction::outbound, "edoc", document_id)) {
        const auto message = message_at(store_, sequence);
        if (!message)
            continue;
        auto read = edxml::read_package(message->raw);
        if (read.ok() && std::holds_alternative<edxml::DocumentPackage>(*read.package) &&
            std::get<edxml::DocumentPackage>(*read.package).business_type() ==
                edxml::BusinessDocType::new_document)
            return std::get<edxml::DocumentPackage>(std::move(*read.package));
    }
    return std::nullopt;
}

std::int64_t Exchange::revoke(const std::string& document_id, const std::string& reason,
                              const std::string& requested_by) {
    const std::optional<edxml::DocumentPackage> original = sent_original(document_id);
    if (!original)
        throw std::invalid_argument("we sent no document '" + document_id + "'");
    const edxml::DocumentPackage revocation =
        build_revocation(settings_.sender, *original, reason, vietnam_time(clock_.now()));
    std::vector<std::string> to;
    for (const auto& organization : revocation.header.to)
        to.push_back(organization.organ_id);
    const std::int64_t sequence = queue_package("edoc", document_id, join(to, ","), "",
                                                "Thu hồi: " + revocation.header.subject,
                                                edxml::write_document(revocation), 1, requested_by);
    return sequence;
}

std::int64_t Exchange::amend(const std::string& document_id,
                             const std::vector<TaskAmendment>& changes, const std::string& reason,
                             const std::string& requested_by) {
    const std::optional<edxml::DocumentPackage> original = sent_original(document_id);
    if (!original)
        throw std::invalid_argument("we sent no document '" + document_id + "'");
    if (changes.empty())
        throw std::invalid_argument("an amendment names at least one task");
    std::set<std::string> named;
    for (const TaskAmendment& change : changes)
        if (!named.insert(change.task_code).second)
            throw std::invalid_argument("task '" + change.task_code + "' is named twice");
    std::vector<edxml::TaskRecord> records;
    for (const TaskAmendment& change : changes) {
        const auto task = store_.task(change.task_code);
        if (!task || task->side != TaskSide::issued || task->source_document_id != document_id)
            throw std::invalid_argument("task '" + change.task_code + "' is not one of ours in '" +
                                        document_id + "'");
        if (task->status.withdrawn)
            throw std::invalid_argument("task '" + change.task_code + "' is revoked");
        if (task->status.current == edxml::StatusKind::completed)
            throw std::invalid_argument("task '" + change.task_code + "' is completed already");
        edxml::TaskRecord record;
        record.task_code = task->task_code;
        record.issuer = task->issuer;
        record.assignees = task->assignees;
        record.title = change.title.value_or(task->title);
        record.content = change.content.value_or(task->content);
        record.due_date = change.due ? change.due->date : task->due_date;
        record.due_text = change.due ? change.due->text : task->due_text;
        record.priority = change.priority.value_or(task->priority);
        record.expected_result = task->expected_result;  // unchanged, carried along
        if (record.title.empty())
            throw std::invalid_argument("task '" + change.task_code + "' needs a title");
        if (record.title == task->title && record.content == task->content &&
            record.due_date == task->due_date && record.due_text == task->due_text &&
            record.priority == task->priority)
            throw std::invalid_argument("the amendment of task '" + change.task_code +
                                        "' changes nothing");
        records.push_back(std::move(record));
    }
    const edxml::DocumentPackage package =
        build_amendment(settings_.sender, *original, records, reason, vietnam_time(clock_.now()));
    std::vector<std::string> to;
    for (const auto& organization : package.header.to)
        to.push_back(organization.organ_id);
    return queue_package("edoc", document_id, join(to, ","), "",
                         "Điều chỉnh: " + package.header.subject, edxml::write_document(package),
                         static_cast<int>(edxml::BusinessDocType::update), requested_by);
}

}  // namespace connector
