#include "connector/exchange.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <stdexcept>

#include "connector/crash_point.hpp"
#include "connector/error.hpp"
#include "connector/held_lease.hpp"
#include "edxml/agency_code.hpp"
#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "edxml/writer.hpp"

namespace connector {
namespace {

constexpr const char* kOutboxPrefix = "message:";
constexpr const char* kInboxPrefix = "knobstick:";
constexpr int kMaxApplyAttempts = 5;
// A task contended harder than this (each retry re-reads it) is a bug, not a race.
constexpr int kMaxConflictRetries = 16;

std::string join(const std::vector<std::string>& parts, const char* separator) {
    std::string out;
    for (const auto& part : parts)
        out += (out.empty() ? "" : separator) + part;
    return out;
}

std::optional<MessageEntry> message_at(Store& store, std::int64_t sequence) {
    auto entries = store.messages(sequence - 1, 1);
    if (entries.empty() || entries.front().sequence != sequence)
        return std::nullopt;
    return std::move(entries.front());
}

std::optional<std::int64_t> sequence_of(const std::string& payload) {
    if (payload.empty() || payload.size() > 18 ||
        payload.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoll(payload);
}

// The task profile a document carries, if it carries a readable one.
std::optional<edxml::TaskProfile> profile_of(const edxml::DocumentPackage& document) {
    const edxml::Attachment* attachment = edxml::find_task_profile_attachment(document);
    if (!attachment)
        return std::nullopt;
    try {
        auto result = edxml::read_task_profile(edxml::decode_attachment(*attachment));
        if (result.ok())
            return std::move(*result.profile);
    } catch (const edxml::Error&) {
    }
    return std::nullopt;
}

Task task_from_record(const edxml::TaskRecord& record, TaskSide side,
                      const std::string& source_document_id) {
    Task task;
    task.task_code = record.task_code;
    task.side = side;
    task.source_document_id = source_document_id;
    task.title = record.title;
    task.content = record.content;
    task.issuer = record.issuer;
    task.assignees = record.assignees;
    task.due_date = record.due_date;
    task.due_text = record.due_text;
    task.priority = record.priority.value_or(0);
    task.progress = record.progress.value_or(0);
    task.progress_note = record.progress_note;
    task.completion_date = record.completion_date;
    return task;
}

// Whether an assignee is `agency` itself or a unit directly under it (a province's
// connector speaks for its departments).
bool is_or_under(const edxml::TaskAssignee& assignee, const std::string& agency) {
    return !assignee.organ_id.empty() &&
           (assignee.organ_id == agency ||
            edxml::parent_agency_code(assignee.organ_id).value_or("") == agency);
}

// Whether a status or report from `organ_id` speaks for the task's lead unit.
bool speaks_for_lead(const Task& task, const std::string& organ_id) {
    return std::any_of(task.assignees.begin(), task.assignees.end(), [&](const auto& assignee) {
        return assignee.role == edxml::AssigneeRole::lead && is_or_under(assignee, organ_id);
    });
}

// Whether `organ_id` is the issuer or one of the task's units (or the agency above
// one): who may add to a task's history.
bool is_party(const Task& task, const std::string& organ_id) {
    return task.issuer == organ_id ||
           std::any_of(task.assignees.begin(), task.assignees.end(),
                       [&](const auto& assignee) { return is_or_under(assignee, organ_id); });
}

// Whether a record assigns anything to `agency` or to a unit under it.
bool involves(const edxml::TaskRecord& record, const std::string& agency) {
    return std::any_of(record.assignees.begin(), record.assignees.end(),
                       [&](const auto& assignee) { return is_or_under(assignee, agency); });
}

bool is_receiver_code(edxml::StatusKind kind) {
    return edxml::StatusKind::received <= kind && kind <= edxml::StatusKind::completed;
}

}  // namespace

const char* to_string(VerifyPolicy policy) {
    switch (policy) {
        case VerifyPolicy::require:
            return "require";
        case VerifyPolicy::verify:
            return "verify";
        case VerifyPolicy::off:
            return "off";
    }
    return "verify";
}

std::chrono::milliseconds RetryPolicy::delay(int attempt, std::mt19937_64& random) const {
    const int doublings = std::clamp(attempt - 1, 0, 30);
    const long long ceiling =
        std::min<long long>(cap.count(), base.count() * (1LL << std::min(doublings, 20)));
    std::uniform_int_distribution<long long> jitter(0, std::max<long long>(ceiling, 0));
    return std::chrono::milliseconds(jitter(random));
}

struct Exchange::State {
    std::atomic<bool> stop{false};
    std::mt19937_64 random;
    int failures_in_a_row = 0;
    // Milliseconds since 1970 until which sending stops; 0: closed. Atomic: the HTTP
    // server's readiness check reads it from another thread.
    std::atomic<long long> open_until_ms{0};
};

Exchange::Exchange(Store& store, AxisTransport& axis, const Clock& clock, ExchangeSettings settings)
    : store_(store),
      axis_(axis),
      clock_(clock),
      settings_(std::move(settings)),
      state_(std::make_unique<State>()) {
    state_->random.seed(settings_.seed != 0 ? settings_.seed : std::random_device{}());
}

Exchange::~Exchange() = default;

void Exchange::request_stop() {
    state_->stop = true;
}

bool Exchange::stop_requested() const {
    return state_->stop;
}

namespace {
long long milliseconds_since_epoch(std::chrono::system_clock::time_point when) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
}
}  // namespace

bool Exchange::circuit_open() const {
    return milliseconds_since_epoch(clock_.now()) < state_->open_until_ms.load();
}

std::int64_t Exchange::queue_package(const std::string& kind, const std::string& document_id,
                                     const std::string& to, const std::string& status_code,
                                     const std::string& subject, std::string bytes,
                                     int business_type) {
    MessageEntry entry;
    entry.direction = Direction::outbound;
    entry.kind = kind;
    entry.business_type = business_type;
    entry.document_id = document_id;
    entry.from_agency = settings_.sender.code;
    entry.to_agencies = to;
    entry.status_code = status_code;
    entry.subject = subject;
    if (settings_.signing) {
        entry.raw = edxml::sign_package(bytes, *settings_.signing);
        entry.signature_verdict = "signed";
        entry.signer = settings_.signing->subject();
    } else {
        entry.raw = std::move(bytes);
        entry.signature_verdict = "absent";
    }
    const MessageEntry logged = store_.append_message(std::move(entry));
    // A crash here leaves a logged message without its outbox item: recover() queues it.
    crash_point("outbound.logged");
    // The state, then our side of it, then the outbox item: once queued, a running daemon
    // may send it at once and record `sent`, so everything else is done before. A crash
    // before the item exists leaves state `queued`, which recover() completes.
    store_.set_transport_state(logged.sequence, "queued");
    apply_local_effects(logged);
    try {
        store_.enqueue(WorkQueue::outbox, kOutboxPrefix + std::to_string(logged.sequence),
                       std::to_string(logged.sequence));
    } catch (const DuplicateError&) {
    }
    return logged.sequence;
}

std::int64_t Exchange::queue_new_document(const edxml::DocumentPackage& package) {
    if (!store_.messages_by_document(Direction::outbound, "edoc", package.header.document_id)
             .empty())
        throw DuplicateError("document " + package.header.document_id +
                             " was sent already: choose another number");
    std::vector<std::string> to;
    for (const auto& organization : package.header.to)
        to.push_back(organization.organ_id);
    return queue_package("edoc", package.header.document_id, join(to, ","), "",
                         package.header.subject, edxml::write_document(package));
}

void Exchange::number_if_unnumbered(std::string& number, std::string& notation,
                                    const char* default_notation) {
    if (number.empty())
        number = std::to_string(store_.next_document_number());
    if (notation.empty())
        notation = default_notation;
}

std::int64_t Exchange::assign(const AssignmentDocument& document) {
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
    return queue_new_document(package);
}

std::int64_t Exchange::report(const ReportRequest& request) {
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
                         package.header.subject, edxml::write_document(package));
}

std::int64_t Exchange::send_document(const PlainDocument& document) {
    PlainDocument numbered = document;
    number_if_unnumbered(numbered.code_number, numbered.code_notation, "CV");
    const edxml::DocumentPackage package =
        build_document(settings_.sender, numbered, vietnam_time(clock_.now()));
    return queue_new_document(package);
}

std::int64_t Exchange::send_status(const std::string& task_code, edxml::StatusKind code,
                                   const std::string& note) {
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
                         package.description, edxml::write_status(package));
}

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
            with_task(listed.task_code, [&](Task& task) {
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

StepReport Exchange::recover() {
    StepReport report;
    std::int64_t after = 0;
    for (;;) {
        const auto page = store_.messages(after, 500);
        if (page.empty())
            break;
        for (const MessageEntry& message : page) {
            after = message.sequence;
            if (message.direction != Direction::outbound)
                continue;
            const auto state = store_.transport_state(message.sequence);
            if (state && *state != "queued")
                continue;
            // Logged but perhaps not queued, or its tasks not recorded: both are idempotent.
            try {
                store_.enqueue(WorkQueue::outbox, kOutboxPrefix + std::to_string(message.sequence),
                               std::to_string(message.sequence));
                report.done++;
            } catch (const DuplicateError&) {
            }
            store_.set_transport_state(message.sequence, "queued");
            apply_local_effects(message);
        }
    }
    return report;
}

StepReport Exchange::send_pending(std::size_t limit) {
    StepReport report;
    for (std::size_t n = 0; n < limit && !circuit_open() && !stop_requested(); ++n) {
        const auto item = store_.claim(WorkQueue::outbox, settings_.worker_id, settings_.lease);
        if (!item)
            break;
        const auto sequence = sequence_of(item->payload);
        const auto message = sequence ? message_at(store_, *sequence) : std::nullopt;
        if (!message) {
            report.failed++;
            report.problems.push_back("outbox item '" + item->key + "' names no logged message");
            store_.complete(WorkQueue::outbox, item->id, settings_.worker_id);
            continue;
        }
        const auto sent = axis_.send_edoc(
            {settings_.sender.code,
             message->kind == "status" ? AxisMessageType::status : AxisMessageType::edoc,
             message->raw, ""});
        if (sent) {
            // A crash here sends the package again after the restart: the receiver
            // recognises the second copy by its DocumentId.
            crash_point("outbound.sent");
            store_.set_transport_state(message->sequence, "sent " + sent.value());
            store_.complete(WorkQueue::outbox, item->id, settings_.worker_id);
            report.items.push_back(
                "package=" + message->document_id + " kind=" + message->kind +
                (message->status_code.empty() ? "" : " code=" + message->status_code) +
                " knobstick=" + sent.value() + " to=" + message->to_agencies);
            state_->failures_in_a_row = 0;
            state_->open_until_ms = 0;
            report.done++;
            continue;
        }
        const AxisError& error = sent.error();
        report.problems.push_back("message " + std::to_string(message->sequence) + ": " +
                                  error.message());
        if (error.transient() && item->attempts < settings_.retry.max_attempts) {
            store_.postpone(WorkQueue::outbox, item->id, settings_.worker_id,
                            settings_.retry.delay(item->attempts, state_->random));
            store_.set_transport_state(message->sequence, "retry_wait");
            report.retried++;
            if (++state_->failures_in_a_row >= settings_.breaker.threshold)
                state_->open_until_ms =
                    milliseconds_since_epoch(clock_.now() + settings_.breaker.open_for);
            continue;
        }
        // For good: the tasks the package was about learn why (history, change feed,
        // webhook task.delivery_failed), so that iDesk is told, not only our log.
        const std::string reason = error.transient()
                                       ? "not sent: " + std::to_string(item->attempts) +
                                             " attempts failed, the last: " + error.message()
                                       : "not sent: the axis refused it: " + error.message();
        store_.set_transport_state(message->sequence, "failed: " + reason);
        for (const Task& task : tasks_about(*message))
            store_.add_task_event(
                {0, task.task_code, "delivery_failed", reason, message->sequence, ""});
        store_.complete(WorkQueue::outbox, item->id, settings_.worker_id);
        report.failed++;
    }
    return report;
}

StepReport Exchange::poll(AxisMessageType type) {
    StepReport report;
    // One daemon of the database polls a message type at a time: each knobstick is
    // fetched, logged and answered once.
    HeldLease lease(store_, std::string("poll.") + to_string(type), settings_.worker_id,
                    settings_.pass_lease);
    if (!lease.hold())
        return report;
    const auto listed = axis_.received_list(type, {});
    if (!listed) {
        report.problems.push_back(listed.error().message());
        return report;
    }
    std::set<std::string> seen;
    for (const AxisKnobstick& knobstick : listed.value()) {
        if (stop_requested())
            break;
        if (!lease.hold()) {
            report.problems.push_back(std::string("the ") + to_string(type) +
                                      " poll passed to another daemon; this pass stops");
            break;
        }
        if (knobstick.doc_id.empty() || !seen.insert(knobstick.doc_id).second)
            continue;
        const std::string inbox_key = kInboxPrefix + knobstick.doc_id;
        // Stored before (a crash before the acknowledgement, or offered again): queue it
        // if it was to be applied, and acknowledge it so the axis stops offering it.
        auto stored = store_.message_by_knobstick(Direction::inbound, knobstick.doc_id);
        if (stored && (edxml::sha256_hex(stored->raw) != stored->raw_sha256 ||
                       chain_hash(stored->prev_hash, *stored) != stored->entry_hash)) {
            // Only an entry of the intact log says "this came before": a row that does not
            // match its own hash was written around the store. The package stays on the
            // axis until an operator has looked (audit verify-chain says where).
            report.failed++;
            report.problems.push_back("knobstick " + knobstick.doc_id + ": logged entry " +
                                      std::to_string(stored->sequence) +
                                      " does not match its hash (the log was altered): not "
                                      "acknowledged");
            continue;
        }
        if (stored) {
            settle_logged_knobstick(knobstick, *stored, report);
            continue;
        }
        const auto fetched = axis_.get_edoc(knobstick.doc_id);
        if (!fetched) {
            report.problems.push_back(fetched.error().message());
            continue;  // offered again at the next poll
        }
        const std::string& bytes = fetched.value();
        if (!knobstick.content_sha256.empty() &&
            edxml::sha256_hex(bytes) != knobstick.content_sha256) {
            report.problems.push_back("knobstick " + knobstick.doc_id +
                                      ": the bytes do not match the listed SHA-256; fetched "
                                      "again at the next poll");
            continue;
        }

        MessageEntry entry;
        entry.direction = Direction::inbound;
        entry.knobstick_id = knobstick.doc_id;
        entry.kind = type == AxisMessageType::status ? "status" : "edoc";
        entry.from_agency = knobstick.from;
        entry.to_agencies = knobstick.to;
        entry.raw = bytes;
        edxml::ReadResult read;
        std::optional<edxml::VerifyResult> signature;
        if (settings_.verifier && settings_.verify_policy != VerifyPolicy::off) {
            auto verified = settings_.verifier->verify_and_read(bytes);
            signature = std::move(verified.signature);
            read = std::move(verified.package);
        } else {
            entry.signature_verdict = "unchecked";
            read = edxml::read_package(bytes);
        }
        if (read.package) {
            if (const auto* document = std::get_if<edxml::DocumentPackage>(&*read.package)) {
                entry.kind = "edoc";
                entry.business_type = static_cast<int>(document->business_type());
                entry.document_id = document->header.document_id;
                if (entry.from_agency.empty())  // else: the axis's word for the sender
                    entry.from_agency = document->header.from.organ_id;
                entry.subject = document->header.subject;
            } else if (const auto* status = std::get_if<edxml::StatusPackage>(&*read.package)) {
                entry.kind = "status";
                entry.document_id = status->response_for.document_id;
                if (entry.from_agency.empty())
                    entry.from_agency = status->from.organ_id;
                entry.status_code = status->status.wire_text();
                entry.subject = status->description;
            }
        }
        if (signature) {
            // A valid signature proves who signed, not who sent: the certificate must be
            // the sender's (the axis's word, else the package's own From).
            edxml::bind_signer(*signature,
                               settings_.signers ? *settings_.signers : edxml::SignerPolicy(),
                               entry.from_agency);
            entry.signature_verdict = edxml::to_string(signature->verdict);
            if (signature->signer)
                entry.signer = signature->signer->subject;
            entry.signer_agency = signature->signer_agency;
            if (signature->verdict != edxml::Verdict::valid)
                report.problems.push_back("knobstick " + knobstick.doc_id + ": signature " +
                                          entry.signature_verdict + ": " + signature->reason);
        }
        crash_point("inbound.fetched");
        MessageEntry logged;
        try {
            logged = store_.append_message(std::move(entry));
        } catch (const DuplicateError&) {
            // Another daemon of this database logged it since we looked (the knobstick is
            // a unique key): settle its copy, which it may not have lived to queue.
            stored = store_.message_by_knobstick(Direction::inbound, knobstick.doc_id);
            if (!stored)
                throw;
            settle_logged_knobstick(knobstick, *stored, report);
            continue;
        }
        // A crash here (stored, not acknowledged): the axis offers it again, the knobstick
        // id is recognised, and the disposition is decided again the same way.
        crash_point("inbound.stored");
        const std::string disposition = inbound_disposition(logged, &read);
        const bool refused = disposition.rfind("refused", 0) == 0;
        if (refused) {
            report.failed++;
            report.problems.push_back("knobstick " + knobstick.doc_id + " " + disposition);
        } else if (disposition == "duplicate") {
            report.duplicates++;
        } else {
            try {
                store_.enqueue(WorkQueue::inbox, inbox_key, std::to_string(logged.sequence));
            } catch (const DuplicateError&) {
            }
            report.done++;
        }
        store_.set_transport_state(logged.sequence, disposition);
        report.items.push_back("package=" + logged.document_id + " kind=" + logged.kind +
                               " knobstick=" + knobstick.doc_id + " from=" + logged.from_agency +
                               " verdict=" + logged.signature_verdict +
                               " disposition=" + disposition);
        const auto acked =
            axis_.update_status(knobstick.doc_id, refused ? AxisReceipt::fail : AxisReceipt::done);
        if (!acked)
            report.problems.push_back(acked.error().message());  // acked at the next poll
    }
    return report;
}

void Exchange::settle_logged_knobstick(const AxisKnobstick& knobstick, const MessageEntry& stored,
                                       StepReport& report) {
    auto state = store_.transport_state(stored.sequence);
    if (!state) {
        // Its writer died before the state was written: decide again, as at first.
        state = inbound_disposition(stored);
        store_.set_transport_state(stored.sequence, *state);
    }
    const bool refused = state->rfind("refused", 0) == 0;
    if (!refused && *state != "duplicate") {
        try {
            store_.enqueue(WorkQueue::inbox, kInboxPrefix + knobstick.doc_id,
                           std::to_string(stored.sequence));
        } catch (const DuplicateError&) {
        }
    }
    const auto acked =
        axis_.update_status(knobstick.doc_id, refused ? AxisReceipt::fail : AxisReceipt::done);
    if (!acked)
        report.problems.push_back(acked.error().message());
    report.duplicates++;
}

std::int64_t Exchange::revoke(const std::string& document_id, const std::string& reason) {
    std::optional<edxml::DocumentPackage> original;
    for (const std::int64_t sequence :
         store_.messages_by_document(Direction::outbound, "edoc", document_id)) {
        const auto message = message_at(store_, sequence);
        if (!message)
            continue;
        auto read = edxml::read_package(message->raw);
        if (read.ok() && std::holds_alternative<edxml::DocumentPackage>(*read.package) &&
            std::get<edxml::DocumentPackage>(*read.package).business_type() ==
                edxml::BusinessDocType::new_document)
            original = std::get<edxml::DocumentPackage>(std::move(*read.package));
    }
    if (!original)
        throw std::invalid_argument("we sent no document '" + document_id + "'");
    // The same document (same DocumentId, header, recipients), as business type 1, without
    // its attachments.
    edxml::DocumentPackage revocation = *original;
    revocation.signature.reset();
    revocation.attachments.clear();
    revocation.manifest.clear();
    revocation.has_manifest = false;
    edxml::Business business;
    business.document_id = document_id;
    business.doc_type = static_cast<int>(edxml::BusinessDocType::revoke);
    business.reason = reason;
    edxml::TraceHeaderList trace;
    trace.business = business;
    trace.trace_headers.push_back({settings_.sender.code, vietnam_time(clock_.now())});
    revocation.trace = trace;
    std::vector<std::string> to;
    for (const auto& organization : revocation.header.to)
        to.push_back(organization.organ_id);
    const std::int64_t sequence = queue_package("edoc", document_id, join(to, ","), "",
                                                "Thu hồi: " + revocation.header.subject,
                                                edxml::write_document(revocation), 1);
    return sequence;
}

std::vector<Task> Exchange::tasks_about(const MessageEntry& message) {
    std::vector<Task> tasks = store_.tasks_of_document(message.document_id);
    if (!tasks.empty())
        return tasks;
    // A status or a report is about some tasks of the assignment it answers: those of
    // the unit it went to (a status), those it reports on (a report).
    const edxml::ReadResult read = edxml::read_package(message.raw);
    if (!read.ok())
        return tasks;
    if (const auto* status = std::get_if<edxml::StatusPackage>(&*read.package)) {
        const std::string& to = status->response_for.organ_id;
        for (Task& task : store_.tasks_of_document(status->response_for.document_id))
            if (task.issuer == to || speaks_for_lead(task, to))
                tasks.push_back(std::move(task));
        return tasks;
    }
    const auto& document = std::get<edxml::DocumentPackage>(*read.package);
    const auto profile = profile_of(document);
    if (!profile)
        return tasks;
    for (const edxml::TaskRecord& record : profile->tasks)
        if (auto task = store_.task(record.task_code))
            tasks.push_back(std::move(*task));
    return tasks;
}

StepReport Exchange::track_deliveries(std::size_t limit) {
    StepReport report;
    HeldLease lease(store_, "track_deliveries", settings_.worker_id, settings_.pass_lease);
    if (!lease.hold())
        return report;
    for (const TransportEntry& entry : store_.messages_in_state("sent ", limit)) {
        if (stop_requested() || !lease.hold())
            break;
        const std::int64_t sequence = entry.sequence;
        const auto message = message_at(store_, sequence);
        if (!message)
            continue;
        const std::string knobstick = entry.state.substr(5);
        if (settings_.delivery_deadline.count() > 0 &&
            clock_.now() - entry.since > settings_.delivery_deadline) {
            // Never acknowledged: given up, so that it is not asked about for ever, and
            // the tasks it was about learn it.
            const std::string reason = "not delivered: no acknowledgement within " +
                                       std::to_string(settings_.delivery_deadline.count()) +
                                       " s (" + knobstick + ")";
            store_.set_transport_state(sequence, "undelivered: " + reason);
            for (const Task& task : tasks_about(*message))
                store_.add_task_event({0, task.task_code, "delivery_failed", reason, sequence, ""});
            report.failed++;
            continue;
        }
        const auto trace = axis_.sent_list(
            message->kind == "status" ? AxisMessageType::status : AxisMessageType::edoc, knobstick);
        if (!trace) {
            report.problems.push_back(trace.error().message());
            continue;
        }
        std::vector<std::string> failed;
        bool all_done = !trace.value().empty();
        for (const AxisDelivery& delivery : trace.value()) {
            if (delivery.receive_status == "fail")
                failed.push_back(delivery.to_code);
            all_done &= delivery.receive_status == "done";
        }
        if (!failed.empty()) {
            store_.set_transport_state(
                sequence, "delivery_failed: " + join(failed, ", ") + " (" + knobstick + ")");
            // The tasks the package was about learn it too: the backend is told.
            for (const Task& task : tasks_about(*message))
                store_.add_task_event({0, task.task_code, "delivery_failed",
                                       "not delivered to " + join(failed, ", "), sequence, ""});
            report.failed++;
        } else if (all_done) {
            store_.set_transport_state(sequence, "delivered " + knobstick);
            report.items.push_back("package=" + message->document_id + " knobstick=" + knobstick +
                                   " delivered");
            report.done++;
        }
    }
    return report;
}

void Exchange::apply_sent_status(const MessageEntry& message) {
    const edxml::ReadResult read = edxml::read_package(message.raw);
    const auto* status = read.ok() ? std::get_if<edxml::StatusPackage>(&*read.package) : nullptr;
    if (!status)
        return;
    const edxml::StatusKind kind = status->status.kind();
    const std::string& to = status->response_for.organ_id;
    for (const Task& listed : store_.tasks_of_document(status->response_for.document_id)) {
        with_task(listed.task_code, [&](Task& task) {
            const bool ours = (kind == edxml::StatusKind::take_back_request &&
                               task.side == TaskSide::issued && speaks_for_lead(task, to)) ||
                              ((kind == edxml::StatusKind::change_accepted ||
                                kind == edxml::StatusKind::change_rejected) &&
                               task.side == TaskSide::received && task.issuer == to);
            if (!ours)
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

std::string Exchange::inbound_disposition(const MessageEntry& stored,
                                          const edxml::ReadResult* already_read) {
    // The poll passes what it read while verifying: the package is parsed once there.
    const edxml::ReadResult read =
        already_read ? edxml::ReadResult{} : edxml::read_package(stored.raw);
    const edxml::ReadResult& package = already_read ? *already_read : read;
    if (!package.ok())
        return "refused: " + (package.errors.empty() ? std::string("unreadable")
                                                     : package.errors.front().to_string());
    if (settings_.verify_policy == VerifyPolicy::require &&
        stored.signature_verdict == "wrong_signer")
        return "refused: the signature is valid but its certificate is " +
               (stored.signer_agency.empty() ? std::string("no agency's")
                                             : stored.signer_agency + "'s") +
               ", not the sender " + stored.from_agency + "'s";
    if (settings_.verify_policy == VerifyPolicy::require && stored.signature_verdict != "valid")
        return "refused: signature required, verdict " + stored.signature_verdict;
    // A signature that is there but does not hold is refused under `verify` too: the
    // content was changed, or the signature is built to deceive.
    if (stored.signature_verdict == "invalid" || stored.signature_verdict == "unsafe")
        return "refused: signature " + stored.signature_verdict;
    // The axis authenticated the sending system and says which agency sent it; a package
    // that claims another sender is refused.
    const std::string claimed =
        std::holds_alternative<edxml::DocumentPackage>(*package.package)
            ? std::get<edxml::DocumentPackage>(*package.package).header.from.organ_id
            : std::get<edxml::StatusPackage>(*package.package).from.organ_id;
    if (claimed != stored.from_agency)
        return "refused: the package says it is from " + claimed + ", the axis says " +
               stored.from_agency;
    if (stored.kind == "edoc") {
        // The same document with the same business type seen before (the axis offering it
        // again under another knobstick, or a sender's retry) is a duplicate; an update or
        // replacement counts only when its bytes are the same (a later update is new). An
        // earlier copy that was refused does not count: otherwise an unsigned copy sent
        // first would shut out the signed one.
        const bool same_bytes_only = stored.business_type >= 2;
        for (const std::int64_t earlier :
             store_.messages_by_document(Direction::inbound, "edoc", stored.document_id)) {
            if (earlier >= stored.sequence)
                break;
            const auto previous = message_at(store_, earlier);
            if (!previous || previous->business_type != stored.business_type ||
                (same_bytes_only && previous->raw_sha256 != stored.raw_sha256))
                continue;
            auto state = store_.transport_state(earlier);
            if (!state) {
                // Its process died before deciding: decide it now, the same way.
                state = inbound_disposition(*previous);
                store_.set_transport_state(earlier, *state);
            }
            if (state->rfind("refused", 0) != 0)
                return "duplicate";
        }
    }
    return "stored";
}

StepReport Exchange::apply_pending(std::size_t limit) {
    StepReport report;
    for (std::size_t n = 0; n < limit && !stop_requested(); ++n) {
        const auto item = store_.claim(WorkQueue::inbox, settings_.worker_id, settings_.lease);
        if (!item)
            break;
        const auto sequence = sequence_of(item->payload);
        const auto message = sequence ? message_at(store_, *sequence) : std::nullopt;
        if (message && item->attempts > kMaxApplyAttempts) {
            // A message whose application failed every time: kept, reported, given up.
            store_.set_transport_state(
                message->sequence,
                "failed: not applied after " + std::to_string(kMaxApplyAttempts) + " attempts");
            report.failed++;
        } else if (message) {
            try {
                apply_message(*message, report);
            } catch (const TransientError&) {
                throw;  // the store is away: the daemon stops, the lease brings it back
            } catch (const std::exception& error) {
                // One bad message must not stop the daemon: it is failed, with the reason.
                store_.set_transport_state(message->sequence,
                                           std::string("failed: ") + error.what());
                report.failed++;
                report.problems.push_back("message " + std::to_string(message->sequence) +
                                          " not applied: " + error.what());
                store_.complete(WorkQueue::inbox, item->id, settings_.worker_id);
                continue;
            }
            report.items.push_back("package=" + message->document_id + " kind=" + message->kind +
                                   " message=" + std::to_string(message->sequence) + " applied");
            // A crash here applies the message again after the restart: idempotent.
            crash_point("inbound.applied");
            store_.set_transport_state(message->sequence, "applied");
        } else {
            report.failed++;
            report.problems.push_back("inbox item '" + item->key + "' names no logged message");
        }
        store_.complete(WorkQueue::inbox, item->id, settings_.worker_id);
    }
    return report;
}

bool Exchange::with_task(const std::string& task_code, const std::function<void(Task&)>& change) {
    for (int attempt = 1;; ++attempt) {
        auto task = store_.task(task_code);
        if (!task)
            return false;
        try {
            change(*task);
            return true;
        } catch (const ConflictError&) {
            // Another writer (the API's connection, another daemon) came between the read
            // and the write: nothing was written; decide again on what it left.
            if (attempt >= kMaxConflictRetries)
                throw;
        }
    }
}

void Exchange::apply_message(const MessageEntry& message, StepReport& report) {
    const edxml::ReadResult read = edxml::read_package(message.raw);
    if (!read.ok()) {
        report.failed++;
        report.problems.push_back("message " + std::to_string(message.sequence) +
                                  " no longer reads");
        return;
    }
    const std::int64_t sequence = message.sequence;
    if (const auto* status = std::get_if<edxml::StatusPackage>(&*read.package)) {
        const std::string& from = status->from.organ_id;
        for (const Task& listed : store_.tasks_of_document(status->response_for.document_id)) {
            with_task(listed.task_code, [&](Task& task) {
                // Who may move a task with which code: on tasks we assigned, their lead unit (or
                // the agency above it) with the receiver codes 01…06, 02 and the answers 15/16;
                // on tasks assigned to us, their issuer with 13 (take back). Others who are
                // party to the task are recorded; strangers are not even recorded.
                const edxml::StatusKind kind = status->status.kind();
                const bool counts =
                    (task.side == TaskSide::issued && speaks_for_lead(task, from) &&
                     (is_receiver_code(kind) || kind == edxml::StatusKind::change_accepted ||
                      kind == edxml::StatusKind::change_rejected)) ||
                    (task.side == TaskSide::received && task.issuer == from &&
                     kind == edxml::StatusKind::take_back_request);
                const std::string code = status->status.wire_text();
                if (!counts && !is_party(task, from)) {
                    report.problems.push_back("message " + std::to_string(sequence) + ": " + from +
                                              " is not party to task '" + task.task_code + "'");
                    return;
                }
                const auto outcome = apply_status(task.status, status->status);
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
        report.done++;
        return;
    }
    const auto& document = std::get<edxml::DocumentPackage>(*read.package);
    if (document.business_type() == edxml::BusinessDocType::revoke) {
        // Thu hồi: the sender takes its document back; our tasks from it are withdrawn.
        const std::string reason = document.trace && document.trace->business
                                       ? document.trace->business->reason
                                       : std::string();
        for (const Task& listed : store_.tasks_of_document(document.header.document_id)) {
            with_task(listed.task_code, [&](Task& task) {
                if (task.side != TaskSide::received ||
                    task.issuer != document.header.from.organ_id || task.status.withdrawn)
                    return;
                task.status.withdrawn = true;
                store_.update_task(task, {0, task.task_code, "revoked",
                                          "by " + document.header.from.organ_id +
                                              (reason.empty() ? "" : ": " + reason),
                                          sequence, ""});
            });
        }
        report.done++;
        return;
    }
    const auto profile = profile_of(document);
    const std::string& from = document.header.from.organ_id;
    if (document.business_type() == edxml::BusinessDocType::replace && document.trace &&
        document.trace->business) {
        // Thay thế: the replaced documents' tasks are withdrawn; the new document's tasks
        // (if it carries a profile) arrive below as a new assignment.
        for (const auto& replaced : document.trace->business->replacements) {
            for (const Task& listed : store_.tasks_of_document(replaced.document_id)) {
                with_task(listed.task_code, [&](Task& task) {
                    if (task.side != TaskSide::received || task.issuer != from ||
                        task.status.withdrawn)
                        return;
                    task.status.withdrawn = true;
                    store_.update_task(task, {0, task.task_code, "replaced",
                                              "by " + document.header.document_id, sequence, ""});
                });
            }
        }
    }
    if (!profile) {
        report.done++;  // an ordinary document: logged, nothing to apply
        return;
    }
    if (document.business_type() == edxml::BusinessDocType::update) {
        // Cập nhật: the named tasks take the new title, content, deadline and assignees;
        // progress and status stay ours. Tasks new in the profile are assigned.
        for (const edxml::TaskRecord& record : profile->tasks) {
            auto task = store_.task(record.task_code);
            if (!task) {
                Task fresh =
                    task_from_record(record, TaskSide::received, document.header.document_id);
                if (fresh.issuer.empty())
                    fresh.issuer = from;
                store_.insert_task(fresh, {0, fresh.task_code, "assigned",
                                           "assigned by " + from + " (update)", sequence, ""});
                continue;
            }
            with_task(record.task_code, [&](Task& updated) {
                if (updated.side != TaskSide::received || updated.issuer != from) {
                    report.problems.push_back("message " + std::to_string(sequence) +
                                              " updates task '" + record.task_code + "', which " +
                                              from + " did not assign to us");
                    return;
                }
                const Task before = updated;
                updated.title = record.title;
                updated.content = record.content;
                updated.due_date = record.due_date;
                updated.due_text = record.due_text;
                updated.assignees = record.assignees;
                updated.priority = record.priority.value_or(updated.priority);
                const std::string due =
                    [](const Task& t) {
                        return t.due_date ? edxml::format_date(*t.due_date) : std::string("none");
                    }(before) +
                    " → " +
                    (updated.due_date ? edxml::format_date(*updated.due_date)
                                      : std::string("none"));
                store_.update_task(updated, {0, updated.task_code, "updated",
                                             "by " + from + ", due " + due, sequence, ""});
            });
        }
        report.done++;
        return;
    }
    if (profile->kind == edxml::TaskProfileKind::assignment) {
        bool for_us = false;
        for (const edxml::TaskRecord& record : profile->tasks) {
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
                    report.problems.push_back(
                        "message " + std::to_string(sequence) + ": task code '" + task.task_code +
                        "' already belongs to document " + existing->source_document_id);
            }
        }
        // 01 (đã đến) back to the sender, once per document even when applied again.
        std::int64_t status_sequence = 0;
        for (const std::int64_t sent : store_.messages_by_document(Direction::outbound, "status",
                                                                   document.header.document_id)) {
            const auto earlier = message_at(store_, sent);
            if (earlier && earlier->status_code == "01")
                status_sequence = sent;
        }
        if (for_us && status_sequence == 0) {
            const edxml::StatusPackage received = build_status(
                settings_.sender, document.header.from.organ_id, document.header.document_id,
                edxml::StatusKind::received, "", vietnam_time(clock_.now()));
            status_sequence =
                queue_package("status", document.header.document_id, document.header.from.organ_id,
                              "01", received.description, edxml::write_status(received));
        }
        // Our side of each task stands at 01 too, with the package that says so (again
        // after a crash in between: the event is unique per task and package).
        for (const edxml::TaskRecord& record : profile->tasks) {
            if (status_sequence == 0)
                break;
            with_task(record.task_code, [&](Task& task) {
                if (task.side != TaskSide::received)
                    return;
                const auto outcome = apply_status(
                    task.status, edxml::StatusCode::from_kind(edxml::StatusKind::received));
                if (outcome.effect != StatusEffect::advanced)
                    return;
                task.status = outcome.next;
                store_.update_task(
                    task, {0, task.task_code, "status",
                           "01 sent to " + document.header.from.organ_id, status_sequence, ""});
            });
        }
        report.done++;
        return;
    }
    if (profile->kind == edxml::TaskProfileKind::report) {
        for (const edxml::TaskRecord& record : profile->tasks) {
            const bool found = with_task(record.task_code, [&](Task& updated) {
                if (updated.side != TaskSide::issued ||
                    updated.source_document_id != profile->source_document_id) {
                    report.problems.push_back("message " + std::to_string(sequence) +
                                              " reports on task '" + record.task_code +
                                              "', which we did not assign in that document");
                    return;
                }
                if (!speaks_for_lead(updated, from)) {
                    // A coordinating unit's report is history, not the task's state.
                    if (is_party(updated, from))
                        store_.add_task_event({0, updated.task_code, "report_recorded",
                                               "from " + from + " (not the lead unit)", sequence,
                                               ""});
                    else
                        report.problems.push_back("message " + std::to_string(sequence) + ": " +
                                                  from + " is not party to task '" +
                                                  updated.task_code + "'");
                    return;
                }
                std::string detail = "from " + from;
                if (record.status_code) {
                    const auto outcome = apply_status(updated.status, *record.status_code);
                    if (outcome.effect == StatusEffect::advanced)
                        updated.status = outcome.next;
                    detail +=
                        ", " + record.status_code->wire_text() +
                        (outcome.effect == StatusEffect::advanced ? ""
                                                                  : " (" + outcome.reason + ")");
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
                report.problems.push_back("message " + std::to_string(sequence) +
                                          " reports on task '" + record.task_code +
                                          "', which we did not assign in that document");
        }
        report.done++;
        return;
    }
    report.done++;
}

}  // namespace connector
