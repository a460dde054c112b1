// Task effects: what a package means for the tasks, one function per kind of package
// received (a status, a revocation, a replacement, an update, an assignment, a report)
// and what a package we send means on our side. Who may act is decided by
// who_may_act.hpp, what a status code does by task_status.hpp.
#include "connector/crash_point.hpp"
#include "connector/error.hpp"
#include "connector/logging.hpp"
#include "connector/who_may_act.hpp"
#include "edxml/writer.hpp"
#include "exchange_parts.hpp"

namespace connector {

using namespace exchange_parts;

namespace {

// The deadline as the history says it: "2026/03/31 (Quý I năm 2026)", "none".
std::string due_text(const Task& task) {
    std::string text = task.due_date ? edxml::format_date(*task.due_date) : std::string("none");
    if (!task.due_text.empty())
        text += " (" + task.due_text + ")";
    return text;
}

// An update's record (business type 2) taken into the task: title, content, deadline,
// priority; progress and status stay. The history line says what moved.
TaskEvent take_update(Task& task, const edxml::TaskRecord& record, const std::string& by,
                      std::int64_t sequence) {
    std::string detail = "by " + by;
    if (task.title != record.title)
        detail += ", title changed";
    if (task.content != record.content)
        detail += ", content changed";
    const std::string due_before = due_text(task);
    task.title = record.title;
    task.content = record.content;
    task.due_date = record.due_date;
    task.due_text = record.due_text;
    task.priority = record.priority.value_or(task.priority);
    if (!record.expected_result.empty())
        task.expected_result = record.expected_result;
    if (due_text(task) != due_before)
        detail += ", due " + due_before + " → " + due_text(task);
    return {0, task.task_code, "updated", detail, sequence, ""};
}

}  // namespace

void Exchange::apply_local_effects(const MessageEntry& message) {
    if (message.direction != Direction::outbound)
        return;
    if (message.kind == "status") {
        apply_sent_status(message);
        return;
    }
    if (message.kind != "edoc")
        return;
    const edxml::ReadResult read = edxml::read_package(message.raw);
    const auto* document =
        read.ok() ? std::get_if<edxml::DocumentPackage>(&*read.package) : nullptr;
    if (!document)
        return;
    const std::int64_t sequence = message.sequence;
    if (document->business_type() == edxml::BusinessDocType::revoke) {
        const std::string reason = document->trace && document->trace->business
                                       ? document->trace->business->reason
                                       : std::string();
        for (const Task& listed : store_.tasks_of_document(document->header.document_id)) {
            with_task(listed, [&](Task& task) {
                if (task.side != TaskSide::issued || task.status.withdrawn)
                    return;
                task.status.withdrawn = true;
                store_.update_task(task, {0, task.task_code, "revoked", reason, sequence, ""});
            });
        }
        return;
    }
    const auto profile = profile_of(*document);
    if (!profile)
        return;
    if (document->business_type() == edxml::BusinessDocType::update) {
        // Điều chỉnh: our tasks of that document take what we sent.
        for (const edxml::TaskRecord& record : profile->tasks) {
            with_task(record.task_code, [&](Task& task) {
                if (task.side != TaskSide::issued ||
                    task.source_document_id != document->header.document_id ||
                    task.status.withdrawn)
                    return;
                store_.update_task(task, take_update(task, record, "us", sequence));
            });
        }
        return;
    }
    if (profile->kind == edxml::TaskProfileKind::assignment) {
        for (const edxml::TaskRecord& record : profile->tasks) {
            store_.insert_task(
                task_from_record(record, TaskSide::issued, document->header.document_id),
                {0, record.task_code, "assigned", "assigned to " + message.to_agencies, sequence,
                 ""});
        }
    } else if (profile->kind == edxml::TaskProfileKind::report) {
        for (const edxml::TaskRecord& record : profile->tasks) {
            with_task(record.task_code, [&](Task& updated) {
                if (updated.side != TaskSide::received)
                    return;
                std::string detail;
                if (record.status_code) {
                    const auto outcome = apply_status(updated.status, *record.status_code);
                    if (outcome.effect == StatusEffect::advanced)
                        updated.status = outcome.next;
                    detail = record.status_code->wire_text() + ", ";
                }
                if (record.progress)
                    updated.progress = *record.progress;
                if (!record.progress_note.empty())
                    updated.progress_note = record.progress_note;
                if (record.completion_date)
                    updated.completion_date = record.completion_date;
                detail += std::to_string(updated.progress) + " %" +
                          (record.progress_note.empty() ? "" : ": " + record.progress_note);
                store_.update_task(updated,
                                   {0, updated.task_code, "reported", detail, sequence, ""});
            });
        }
    }
}

void Exchange::apply_sent_status(const MessageEntry& message) {
    const edxml::ReadResult read = edxml::read_package(message.raw);
    const auto* status = read.ok() ? std::get_if<edxml::StatusPackage>(&*read.package) : nullptr;
    if (!status)
        return;
    const edxml::StatusKind kind = status->status.kind();
    const std::string& to = status->response_for.organ_id;
    for (const Task& listed : store_.tasks_of_document(status->response_for.document_id)) {
        with_task(listed, [&](Task& task) {
            if (!status_is_ours_to_send(task, to, kind))
                return;
            const auto outcome = apply_status(task.status, status->status);
            if (outcome.effect != StatusEffect::advanced)
                return;
            task.status = outcome.next;
            store_.update_task(
                task, {0, task.task_code, "status", status->status.wire_text() + " sent to " + to,
                       message.sequence, ""});
        });
    }
}

void Exchange::apply_message(const MessageEntry& message, StepReport& report) {
    const edxml::ReadResult read = edxml::read_package(message.raw);
    if (!read.ok()) {
        report.failed++;
        logging::sync.error("MESSAGE_UNREADABLE",
                            {{"message", message.sequence}, {"package", message.document_id}});
        return;
    }
    const std::int64_t sequence = message.sequence;
    if (const auto* status = std::get_if<edxml::StatusPackage>(&*read.package)) {
        apply_received_status(*status, sequence);
        report.done++;
        return;
    }
    const auto& document = std::get<edxml::DocumentPackage>(*read.package);
    if (document.business_type() == edxml::BusinessDocType::revoke) {
        apply_received_revocation(document, sequence);
        report.done++;
        return;
    }
    if (document.business_type() == edxml::BusinessDocType::replace)
        apply_received_replacement(document, sequence);
    const auto profile = profile_of(document);
    if (!profile) {
        report.done++;  // an ordinary document: logged, nothing to apply
        return;
    }
    if (document.business_type() == edxml::BusinessDocType::update)
        apply_received_update(document, *profile, sequence);
    else if (profile->kind == edxml::TaskProfileKind::assignment)
        apply_received_assignment(document, *profile, sequence);
    else if (profile->kind == edxml::TaskProfileKind::report)
        apply_received_report(*profile, document.header.from.organ_id, sequence,
                              document.header.document_id);
    report.done++;
}

void Exchange::apply_received_status(const edxml::StatusPackage& status, std::int64_t sequence) {
    const std::string& from = status.from.organ_id;
    const std::string code = status.status.wire_text();
    for (const Task& listed : store_.tasks_of_document(status.response_for.document_id)) {
        with_task(listed, [&](Task& task) {
            // Codes from others who are party to the task are recorded; strangers are not
            // even recorded.
            const bool counts = status_counts(task, from, status.status.kind());
            if (!counts && !is_party(task, from)) {
                logging::sync.warning("STATUS_FROM_STRANGER",
                                      {{"message", sequence},
                                       {"package", status.response_for.document_id},
                                       {"task", task.task_code},
                                       {"from", from}});
                return;
            }
            const auto outcome = apply_status(task.status, status.status);
            if (counts && outcome.effect == StatusEffect::advanced) {
                task.status = outcome.next;
                store_.update_task(
                    task, {0, task.task_code, "status", code + " from " + from, sequence, ""});
            } else {
                store_.add_task_event({0, task.task_code, "status_recorded",
                                       code + " from " + from + ": " +
                                           (counts ? outcome.reason : "not theirs to give"),
                                       sequence, ""});
            }
        });
    }
}

void Exchange::apply_received_revocation(const edxml::DocumentPackage& document,
                                         std::int64_t sequence) {
    // Thu hồi: the sender takes its document back; our tasks from it are withdrawn.
    const std::string reason = document.trace && document.trace->business
                                   ? document.trace->business->reason
                                   : std::string();
    const std::string& from = document.header.from.organ_id;
    for (const Task& listed : store_.tasks_of_document(document.header.document_id)) {
        with_task(listed, [&](Task& task) {
            if (task.side != TaskSide::received || task.issuer != from || task.status.withdrawn)
                return;
            task.status.withdrawn = true;
            store_.update_task(
                task, {0, task.task_code, "revoked",
                       "by " + from + (reason.empty() ? "" : ": " + reason), sequence, ""});
        });
    }
}

void Exchange::apply_received_replacement(const edxml::DocumentPackage& document,
                                          std::int64_t sequence) {
    // Thay thế: the replaced documents' tasks are withdrawn; the new document's tasks (if
    // it carries a profile) arrive as a new assignment.
    if (!document.trace || !document.trace->business)
        return;
    const std::string& from = document.header.from.organ_id;
    for (const auto& replaced : document.trace->business->replacements) {
        for (const Task& listed : store_.tasks_of_document(replaced.document_id)) {
            with_task(listed, [&](Task& task) {
                if (task.side != TaskSide::received || task.issuer != from || task.status.withdrawn)
                    return;
                task.status.withdrawn = true;
                store_.update_task(task, {0, task.task_code, "replaced",
                                          "by " + document.header.document_id, sequence, ""});
            });
        }
    }
}

void Exchange::apply_received_update(const edxml::DocumentPackage& document,
                                     const edxml::TaskProfile& profile, std::int64_t sequence) {
    // Cập nhật: the named tasks take the new title, content, deadline and assignees;
    // progress and status stay ours. Tasks new in the profile are assigned.
    const std::string& from = document.header.from.organ_id;
    for (const edxml::TaskRecord& record : profile.tasks) {
        if (!store_.task(record.task_code)) {
            // A new task, if it is ours: an update to several lead units lists theirs too.
            if (!involves(record, settings_.sender.code))
                continue;
            Task fresh = task_from_record(record, TaskSide::received, document.header.document_id);
            if (fresh.issuer.empty())
                fresh.issuer = from;
            store_.insert_task(fresh, {0, fresh.task_code, "assigned",
                                       "assigned by " + from + " (update)", sequence, ""});
            continue;
        }
        with_task(record.task_code, [&](Task& updated) {
            if (updated.side != TaskSide::received || updated.issuer != from) {
                logging::sync.warning("UPDATE_NOT_FROM_ISSUER",
                                      {{"message", sequence},
                                       {"package", document.header.document_id},
                                       {"task", record.task_code},
                                       {"from", from}});
                return;
            }
            TaskEvent event = take_update(updated, record, from, sequence);
            updated.assignees = record.assignees;
            store_.update_task(updated, event);
        });
    }
}

std::int64_t Exchange::reply_received(const edxml::DocumentPackage& document) {
    const std::string& to = document.header.from.organ_id;
    const auto earlier_reply = [&]() -> std::int64_t {
        for (const std::int64_t sent : store_.messages_by_document(Direction::outbound, "status",
                                                                   document.header.document_id)) {
            const auto earlier = message_at(store_, sent);
            if (earlier && earlier->status_code == "01" && earlier->to_agencies == to)
                return sent;
        }
        return 0;
    };
    if (const std::int64_t sent = earlier_reply())
        return sent;
    const edxml::StatusPackage received =
        build_status(settings_.sender, to, document.header.document_id, edxml::StatusKind::received,
                     "", vietnam_time(clock_.now()));
    try {
        return queue_package("status", document.header.document_id, to, "01", received.description,
                             edxml::write_status(received));
    } catch (const DuplicateError&) {
        // Logged by another writer since we looked (messages_one_received_reply): its
        // reply is the one.
        if (const std::int64_t sent = earlier_reply())
            return sent;
        throw;
    }
}

void Exchange::apply_received_assignment(const edxml::DocumentPackage& document,
                                         const edxml::TaskProfile& profile, std::int64_t sequence) {
    const std::string& from = document.header.from.organ_id;
    bool for_us = false;
    for (const edxml::TaskRecord& record : profile.tasks) {
        // Only what concerns us: a document to several agencies lists all their tasks.
        if (!involves(record, settings_.sender.code))
            continue;
        Task task = task_from_record(record, TaskSide::received, document.header.document_id);
        task.issuer = from;  // who sent it, not what the profile claims
        for_us = true;
        if (!store_.insert_task(
                task, {0, task.task_code, "assigned", "assigned by " + from, sequence, ""})) {
            const auto existing = store_.task(task.task_code);
            if (existing && existing->source_document_id != document.header.document_id)
                logging::sync.warning("TASK_CODE_TAKEN",
                                      {{"message", sequence},
                                       {"package", document.header.document_id},
                                       {"task", task.task_code},
                                       {"owner_document", existing->source_document_id}});
        }
    }
    if (!for_us)
        return;
    // 01 (đã đến) back to the sender, once per document even when applied again; our side
    // of each task stands at 01 too, with the package that says so (again after a crash
    // in between: the event is unique per task and package).
    const std::int64_t status_sequence = reply_received(document);
    for (const edxml::TaskRecord& record : profile.tasks) {
        with_task(record.task_code, [&](Task& task) {
            if (task.side != TaskSide::received)
                return;
            const auto outcome = apply_status(
                task.status, edxml::StatusCode::from_kind(edxml::StatusKind::received));
            if (outcome.effect != StatusEffect::advanced)
                return;
            task.status = outcome.next;
            store_.update_task(
                task, {0, task.task_code, "status", "01 sent to " + from, status_sequence, ""});
        });
    }
}

void Exchange::apply_received_report(const edxml::TaskProfile& profile, const std::string& from,
                                     std::int64_t sequence, const std::string& package) {
    for (const edxml::TaskRecord& record : profile.tasks) {
        const bool found = with_task(record.task_code, [&](Task& updated) {
            if (updated.side != TaskSide::issued ||
                updated.source_document_id != profile.source_document_id) {
                logging::sync.warning("REPORT_ON_UNKNOWN_TASK", {{"message", sequence},
                                                                 {"package", package},
                                                                 {"task", record.task_code},
                                                                 {"from", from}});
                return;
            }
            if (!speaks_for_lead(updated, from)) {
                // A coordinating unit's report is history, not the task's state.
                if (is_party(updated, from))
                    store_.add_task_event({0, updated.task_code, "report_recorded",
                                           "from " + from + " (not the lead unit)", sequence, ""});
                else
                    logging::sync.warning("REPORT_FROM_STRANGER", {{"message", sequence},
                                                                   {"package", package},
                                                                   {"task", updated.task_code},
                                                                   {"from", from}});
                return;
            }
            std::string detail = "from " + from;
            if (record.status_code) {
                const auto outcome = apply_status(updated.status, *record.status_code);
                if (outcome.effect == StatusEffect::advanced)
                    updated.status = outcome.next;
                detail +=
                    ", " + record.status_code->wire_text() +
                    (outcome.effect == StatusEffect::advanced ? "" : " (" + outcome.reason + ")");
            }
            // Progress follows the newest report that is not behind the current state.
            if (record.progress && *record.progress >= updated.progress)
                updated.progress = *record.progress;
            if (!record.progress_note.empty())
                updated.progress_note = record.progress_note;
            if (record.completion_date)
                updated.completion_date = record.completion_date;
            detail += ", " + std::to_string(updated.progress) + " %";
            store_.update_task(updated, {0, updated.task_code, "report", detail, sequence, ""});
        });
        if (!found)
            logging::sync.warning("REPORT_ON_UNKNOWN_TASK", {{"message", sequence},
                                                             {"package", package},
                                                             {"task", record.task_code},
                                                             {"from", from}});
    }
}

}  // namespace connector
