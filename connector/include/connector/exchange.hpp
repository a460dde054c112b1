// The exchange: the outbound and inbound pipelines of architecture.md, over the Store,
// the AxisTransport and the Clock ports. Each step persists before it moves on, and each
// step that may run twice (after a crash, or because the axis offers a knobstick again)
// changes nothing the second time:
//
//   outbound  local action → package built, signed, logged (message) and queued (outbox)
//             → sendEdoc → knobstick id recorded (transport state) → done
//             transient failure: the item stays leased for a backoff with full jitter;
//             permanent failure: recorded as failed with the reason
//   inbound   getReceivedEdocList → getEdoc → logged raw with its signature verdict and
//             queued (inbox) → updateStatus done (fail when unreadable) → applied to
//             tasks → status 01 sent back for a received assignment
//
// The daemon calls send_pending, poll and apply_pending in a loop; tests call them
// directly, so that a whole exchange runs step by step without timing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "connector/axis_transport.hpp"
#include "connector/clock.hpp"
#include "connector/store.hpp"
#include "connector/task_packages.hpp"
#include "connector/transport_state.hpp"
#include "edxml/signature.hpp"

namespace connector {

enum class VerifyPolicy {
    require,  // an inbound package without a valid signature is logged, acked fail, not applied
    verify,   // verify when present, record the verdict (wrong_signer flagged), apply anyway
              // (default); a signature that does not hold (invalid, unsafe) is refused
    off,      // do not verify
};
const char* to_string(VerifyPolicy policy);

// Capped exponential backoff with full jitter: a delay drawn uniformly from
// [0, min(cap, base · 2^(attempt-1))].
struct RetryPolicy {
    std::chrono::milliseconds base{2'000};
    std::chrono::milliseconds cap{300'000};
    int max_attempts = 30;  // then the package is failed
    std::chrono::milliseconds delay(int attempt, std::mt19937_64& random) const;
};

// Stops sending for `open_for` after `threshold` transient failures in a row, so that a
// dead axis is not hammered; the first send after that is the probe.
struct CircuitBreakerPolicy {
    int threshold = 5;
    std::chrono::milliseconds open_for{30'000};
};

struct ExchangeSettings {
    Sender sender;  // our agency
    // Signs every outgoing package; none: sent unsigned (tests and unsigned peers only).
    std::shared_ptr<const edxml::SigningCredentials> signing;
    // Checks inbound signatures; none: every verdict is what the policy `off` gives.
    std::shared_ptr<const edxml::Verifier> verifier;
    VerifyPolicy verify_policy = VerifyPolicy::verify;
    // Maps signing certificates to agencies; none: the agency code in the subject's CN.
    std::shared_ptr<const edxml::SignerPolicy> signers;
    RetryPolicy retry;
    CircuitBreakerPolicy breaker;
    std::string worker_id = "connector";  // lease owner
    std::chrono::milliseconds lease{120'000};
    // The poll of each message type and delivery tracking run under named leases of the
    // store, so that daemons of one database take turns at them; a daemon that died
    // holding one frees it after this long.
    std::chrono::milliseconds pass_lease{30'000};
    // A package sent and not acknowledged by its recipients within this long is given up
    // (`undelivered`) and the backend told; zero: asked about for ever.
    std::chrono::seconds delivery_deadline{3 * 24 * 3600};
    std::uint64_t seed = 0;  // jitter; 0: random
};

// Counts of one call, for logs and tests.
struct StepReport {
    std::size_t done = 0;        // sent, stored, applied
    std::size_t retried = 0;     // postponed after a transient failure
    std::size_t failed = 0;      // permanent failure, or given up
    std::size_t duplicates = 0;  // already stored or applied: acknowledged, not applied again
    // What each item was and what went wrong are logged where they happen (logging.hpp).
};

struct ReportRequest {
    std::string task_code;
    std::optional<edxml::StatusKind> status;  // 03, 04, 05, 06, 02…
    std::optional<int> progress;              // 0..100
    std::string note;
    std::optional<edxml::Date> completion_date;  // defaults to today for 06
};

// Điều chỉnh of one task we assigned: what changes (absent: stays as it is).
struct TaskAmendment {
    struct Deadline {
        std::optional<edxml::Date> date;  // none: no fixed date (thường xuyên…)
        std::string text;                 // as written: "Quý II năm 2026"
    };
    std::string task_code;
    std::optional<std::string> title;
    std::optional<std::string> content;
    std::optional<Deadline> due;
    std::optional<int> priority;
};

class Exchange {
  public:
    Exchange(Store& store, AxisTransport& axis, const Clock& clock, ExchangeSettings settings);
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    // Local actions. Each builds, signs, logs and queues a package, records the tasks
    // (side issued) or the report on our side, and returns the logged message's
    // sequence. Throw std::invalid_argument naming what is wrong with the request.
    // `requested_by` (MessageEntry::requested_by) names who asked: "user:…", "api:…".
    std::int64_t assign(const AssignmentDocument& document, const std::string& requested_by = {});
    std::int64_t report(const ReportRequest& request, const std::string& requested_by = {});
    // Revokes (thu hồi) an assignment we sent: a package of business type 1 to the same
    // recipients, and our tasks of that document withdrawn.
    std::int64_t revoke(const std::string& document_id, const std::string& reason,
                        const std::string& requested_by = {});
    // Amends (điều chỉnh) tasks of an assignment we sent: a package of business type 2
    // to their lead units with the tasks as they now stand, and our tasks changed alike.
    // Refused for a task not in that assignment, revoked, or completed, and for an
    // amendment that changes nothing.
    std::int64_t amend(const std::string& document_id, const std::vector<TaskAmendment>& changes,
                       const std::string& reason, const std::string& requested_by = {});
    // A plain document; refused when its DocumentId was sent before.
    std::int64_t send_document(const PlainDocument& document, const std::string& requested_by = {});
    // The status handshake of a task, as a status package about its source document:
    // 13 (take back) to the lead unit of a task we assigned; 15/16 (agree / refuse) to
    // the issuer of a task assigned to us that asked for it back.
    std::int64_t send_status(const std::string& task_code, edxml::StatusKind code,
                             const std::string& note, const std::string& requested_by = {});

    // At start: queues what was logged but not queued (a crash in between) and records
    // the tasks of such assignments. Inbound needs nothing: a knobstick stored but not
    // acknowledged is offered again and recognised by its id.
    StepReport recover();

    // One pass of each pipeline; at most `limit` items.
    StepReport send_pending(std::size_t limit = 100);
    StepReport poll(AxisMessageType type);
    StepReport apply_pending(std::size_t limit = 100);
    // Asks the axis (getSentEdocList) about packages sent and not yet delivered: `sent` →
    // `delivered` when every recipient acknowledged done, `delivery_failed` when one
    // acknowledged fail, `undelivered` past `delivery_deadline` (the tasks told, and not
    // asked about again).
    StepReport track_deliveries(std::size_t limit = 50);

    bool circuit_open() const;
    // Our agency, as the packages we send name it.
    const Sender& sender() const;

    // Asks the passes to stop after the item in hand (safe from another thread): the
    // daemon's stop request. Whatever is not done stays queued for the next start.
    void request_stop();
    bool stop_requested() const;

  private:
    struct State;
    // The assignment (business type 0) we sent as `document_id`, as it was sent.
    std::optional<edxml::DocumentPackage> sent_original(const std::string& document_id);
    std::int64_t queue_package(const std::string& kind, const std::string& document_id,
                               const std::string& to, const std::string& status_code,
                               const std::string& subject, std::string bytes, int business_type = 0,
                               const std::string& requested_by = {});
    // Local actions (local_actions.cpp). A document without a number gets the next
    // document number (Store::next_document_number); without a notation, `default_notation`.
    void number_if_unnumbered(std::string& number, std::string& notation,
                              const char* default_notation);
    // Queues a document of ours; refused (DuplicateError) when its DocumentId was sent.
    std::int64_t queue_new_document(const edxml::DocumentPackage& package,
                                    const std::string& requested_by);
    // Reads the task and runs `change` on it (which decides and writes with
    // Store::update_task); again on a fresh copy when another writer updated the task in
    // between. False when there is no such task.
    bool with_task(const std::string& task_code, const std::function<void(Task&)>& change);
    // The same, first on `known` (just read with others, e.g. a document's tasks), read
    // again only when another writer came between.
    void with_task(const Task& known, const std::function<void(Task&)>& change);

    // Task effects (task_effects.cpp): what a package means for the tasks, one function
    // per kind of package. Each is idempotent: a message applied again after a crash
    // changes nothing (task events are unique per task, kind and message).
    void apply_message(const MessageEntry& message, StepReport& report);
    void apply_received_status(const edxml::StatusPackage& status, std::int64_t sequence);
    void apply_received_revocation(const edxml::DocumentPackage& document, std::int64_t sequence);
    void apply_received_replacement(const edxml::DocumentPackage& document, std::int64_t sequence);
    void apply_received_update(const edxml::DocumentPackage& document,
                               const edxml::TaskProfile& profile, std::int64_t sequence);
    void apply_received_assignment(const edxml::DocumentPackage& document,
                                   const edxml::TaskProfile& profile, std::int64_t sequence);
    void apply_received_report(const edxml::TaskProfile& profile, const std::string& from,
                               std::int64_t sequence, const std::string& package);
    // The 01 (received) of an assignment we received, queued once per document and sender
    // (a unique key of the log holds it); its sequence.
    std::int64_t reply_received(const edxml::DocumentPackage& document);
    // What a package we send means on our side: an assignment's tasks recorded (issued),
    // a report's progress and status on our received task, a revocation's tasks
    // withdrawn. Idempotent; run when queued (before the outbox item exists) and at recovery.
    void apply_local_effects(const MessageEntry& message);
    // A 13 or 15/16 we send: the take-back handshake state of our side of the tasks.
    void apply_sent_status(const MessageEntry& message);

    // Outbound (outbound.cpp). A package given up for good (refused, retries run out,
    // undelivered): its transport state moves to `to` with `reason`, and the tasks it was
    // about get a `delivery_failed` event, so that the backend is told.
    void give_up_package(const MessageEntry& message, OutboundState to, const std::string& reason,
                         const std::string& task_detail);
    // The tasks a logged package is about: those it assigned, or those of the
    // assignment it answers (a report, a status).
    std::vector<Task> tasks_about(const MessageEntry& message);
    void note_send_succeeded();
    void note_send_failed_transiently();

    // Inbound (inbound.cpp). What to do with a logged inbound message: stored (apply it),
    // duplicate (the document came before under another knobstick) or refused, with why.
    // `already_read`: the package as the poll read it (verifying), so it is not parsed again.
    struct Disposition {
        InboundState state = InboundState::stored;
        std::string reason;
    };
    Disposition inbound_disposition(const MessageEntry& stored,
                                    const edxml::ReadResult* already_read = nullptr);
    // The inbound state of a logged message, decided now (the same way as at first) when
    // the daemon that logged it died before deciding.
    Transport<InboundState> settled_state(const MessageEntry& stored,
                                          const edxml::ReadResult* already_read = nullptr);
    // A knobstick whose package is logged already (by us before a crash, by another
    // daemon of this database, or offered again): decides what was not decided, queues
    // it if it is to be applied, and acknowledges it.
    void settle_logged_knobstick(const AxisKnobstick& knobstick, const MessageEntry& stored,
                                 StepReport& report);
    // Fetches, verifies, logs and settles one knobstick offered by the axis.
    void receive_knobstick(const AxisKnobstick& knobstick, AxisMessageType type,
                           StepReport& report);

    Store& store_;
    AxisTransport& axis_;
    const Clock& clock_;
    ExchangeSettings settings_;
    std::unique_ptr<State> state_;
};

}  // namespace connector
