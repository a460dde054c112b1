// The exchange's frame: settings, the breaker's state, queueing a package, and the
// helpers its parts share. The pipelines are in outbound.cpp and inbound.cpp, what a
// package does to the tasks in task_effects.cpp, the clerk's actions in local_actions.cpp.
#include "connector/exchange.hpp"

#include <algorithm>
#include <stdexcept>

#include "connector/crash_point.hpp"
#include "connector/error.hpp"
#include "edxml/attachments.hpp"
#include "edxml/writer.hpp"
#include "exchange_parts.hpp"

namespace connector {
namespace exchange_parts {

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
    task.expected_result = record.expected_result;
    task.progress = record.progress.value_or(0);
    task.progress_note = record.progress_note;
    task.completion_date = record.completion_date;
    return task;
}

long long milliseconds_since_epoch(std::chrono::system_clock::time_point when) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
}

AxisMessageType axis_type_of(const MessageEntry& message) {
    return message.kind == "status" ? AxisMessageType::status : AxisMessageType::edoc;
}

}  // namespace exchange_parts

using namespace exchange_parts;

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

bool Exchange::circuit_open() const {
    return milliseconds_since_epoch(clock_.now()) < state_->open_until_ms.load();
}

const Sender& Exchange::sender() const {
    return settings_.sender;
}

std::int64_t Exchange::queue_package(const std::string& kind, const std::string& document_id,
                                     const std::string& to, const std::string& status_code,
                                     const std::string& subject, std::string bytes,
                                     int business_type, const std::string& requested_by) {
    MessageEntry entry;
    entry.direction = Direction::outbound;
    entry.kind = kind;
    entry.business_type = business_type;
    entry.document_id = document_id;
    entry.from_agency = settings_.sender.code;
    entry.to_agencies = to;
    entry.status_code = status_code;
    entry.subject = subject;
    entry.requested_by = requested_by;
    if (settings_.signing) {
        entry.raw = edxml::sign_package(bytes, *settings_.signing);
        entry.signature_verdict = "signed";
        entry.signer = settings_.signing->subject();
    } else {
        entry.raw = std::move(bytes);
        entry.signature_verdict = "absent";
    }
    // One unit of work: the log entry, its state, our side's effects and the outbox item
    // commit together (one commit instead of one per write, and a call cut short leaves
    // nothing behind: its caller had no answer and tries again). Signing stays outside,
    // so no write lock waits on it.
    std::int64_t sequence = 0;
    store_.in_one_transaction([&] {
        const MessageEntry logged = store_.append_message(std::move(entry));
        sequence = logged.sequence;
        // A crash here undoes the unit; a message logged by an older version without
        // its outbox item is queued by recover().
        crash_point("outbound.logged");
        // The state, then our side of it, then the outbox item; once committed, a running
        // daemon may send it at once.
        move(store_, logged.sequence, OutboundState::queued);
        apply_local_effects(logged);
        try {
            store_.enqueue(WorkQueue::outbox, kOutboxPrefix + std::to_string(logged.sequence),
                           std::to_string(logged.sequence));
        } catch (const DuplicateError&) {
        }
    });
    return sequence;
}

void Exchange::with_task(const Task& known, const std::function<void(Task&)>& change) {
    Task task = known;
    try {
        change(task);
    } catch (const ConflictError&) {
        // Changed since it was read: decide again on what the other writer left.
        with_task(known.task_code, change);
    }
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

}  // namespace connector
