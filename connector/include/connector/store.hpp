// The Store port: what the core asks of the database. Implementations live in
// adapters/store (SOCI on SQLite and PostgreSQL); the composition root picks one from
// `store.url`. Every method is one transaction; failures throw TransientError,
// PermanentError or DuplicateError with the operation and key in the message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connector/message_log.hpp"
#include "connector/task.hpp"
#include "connector/transport_state.hpp"

namespace connector {

enum class WorkQueue { outbox, inbox };
const char* to_string(WorkQueue queue);

// An item of the outbox or the inbox, claimed under a lease.
struct WorkItem {
    std::int64_t id = 0;
    std::string key;  // unique per queue: DocumentId+recipient out, knobstick id in
    std::string payload;
    int attempts = 0;  // claims so far, this one included
};

struct ChainHead {
    std::int64_t sequence = 0;
    std::string hash;
};

// A signed statement of where a chain stood: kept in the store and, above all, in a file
// outside it (audit.checkpoint_file), so that a rewrite of the database shows.
struct ChainCheckpoint {
    std::string chain;  // "messages" or "audit_events"
    std::int64_t sequence = 0;
    std::string hash;
    std::string recorded_at;  // UTC, ISO 8601
    std::string signer;       // SHA-256 fingerprint of the signing certificate
    std::string signature;    // base64 RSA-SHA256 over checkpoint_signed_text()
};

// A caller of the backend API: its token is stored as a SHA-256 hash only.
// The names of API clients and users: 1..64 of a-z 0-9 - _ . (the CLI and the API both
// check them with this).
inline bool is_account_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 &&
           name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") ==
               std::string_view::npos;
}

struct ApiClient {
    std::string name;
    std::string role;  // backend, clerk, auditor, admin, metrics
    std::string created_at;
    std::string revoked_at;  // empty while valid
    std::string expires_at;  // UTC text; empty: never (migration 0016)
};

// A person who logs in to the pages (connector user …). The password is kept only as a
// PBKDF2 hash (connector/password.hpp).
struct User {
    std::string name;
    std::string role;                // clerk, leader, auditor, admin
    std::vector<std::string> units;  // a clerk's agency codes, sorted
    std::string password_hash;
    std::string created_at;
    std::string password_changed_at;
    std::string disabled_at;  // empty while the user may log in
    int failed_logins = 0;
    std::string locked_until;  // empty unless locked out
};

// A user's login to the pages (the cookie holds the id; only its hash is kept). Whether
// it is still valid (idle, lifetime) is the HTTP server's decision, from these times.
struct LoginSession {
    std::string id_hash;
    std::string user_name;
    std::string csrf_token;  // sent back by the pages on every write
    std::string created_at;  // UTC, ISO 8601 (connector::utc_text)
    std::string last_seen_at;
    std::string ended_at;  // empty while not ended (logout, user disabled, new password)
};

// One entry of the change feed: written with the task event it reports, in the same
// transaction, so the feed misses nothing and shows nothing that was rolled back.
// Sequences become visible in increasing order (writers of events are serialised).
struct BackendEvent {
    std::int64_t sequence = 0;
    std::string kind;  // "task." + the task event's kind: task.assigned, task.status…
    std::string task_code;
    std::string detail;
    std::int64_t message_sequence = 0;  // 0: not from a message
    std::string recorded_at;
};

// A message's transport state (a name of connector/transport_state.hpp), its reason and
// knobstick in their own columns, and since when it holds (the store's clock).
struct TransportEntry {
    std::int64_t sequence = 0;
    std::string state;
    std::string reason;
    std::string knobstick;
    std::chrono::system_clock::time_point since;
};

// Where the webhook delivery of one event stands, for one target URL.
struct WebhookDelivery {
    std::int64_t event_sequence = 0;
    WebhookState state = WebhookState::pending;
    int attempts = 0;
    std::int64_t next_attempt_at_ms = 0;  // Unix milliseconds; 0: now
    std::string last_error;
};

// The first answer to a mutating API call made with an Idempotency-Key.
struct IdempotentAnswer {
    std::string request_hash;  // SHA-256 of method, path and body
    int status = 0;            // 0: the first call has not answered (in progress, or cut short)
    std::string body;
    std::string created_at;
};

// Filters of the task list; empty fields do not filter. Text matches title or content.
struct TaskQuery {
    std::string after_code;  // cursor: tasks ordered by code, after this one
    std::size_t limit = 100;
    std::string agency;      // issuer or any assignee
    std::string status;      // two-digit code
    std::string side;        // issued, received
    std::string due_before;  // yyyy-MM-dd, inclusive
    std::string due_after;
    std::string text;
    // A clerk's view: only tasks issued by or assigned (lead or coordinating) to one of
    // `units`; scoped with no units finds nothing.
    bool scoped = false;
    std::vector<std::string> units;
    // Timeliness (connector::to_string(Timeliness)) on `today` (yyyy/MM/dd, required).
    std::string timeliness;
    std::string today;
    // By code (the cursor is after_code), or by deadline, the ones without last, then code
    // (the cursor is after_due with after_code; kNoDeadline sorts after every date), or
    // by the last change, oldest first, then code (the cursor is after_updated with
    // after_code): what a client syncing "what changed since" reads.
    enum class Order { code, due_date, updated } order = Order::code;
    std::string after_due;
    std::string after_updated;
    std::string updated_since;  // UTC text (utc_text): changed at or after it
};
inline constexpr const char* kNoDeadline = "9999/99/99";

// How many tasks of one group have one timeliness (count_tasks).
struct TaskCount {
    std::string group;       // the lead unit's agency code or the source document's id
    std::string timeliness;  // connector::to_string(Timeliness)
    std::int64_t count = 0;
};
enum class TaskGrouping { none, lead_unit, source_document };

// The source documents that most need a look (rank_documents), counted by timeliness.
struct DocumentRanking {
    std::vector<TaskCount> counts;  // by document (group) and timeliness, in rank order
    std::int64_t documents = 0;     // how many documents the query finds in all
};

// Filters of a search of the message log (the auditors' GET /api/v1/messages and
// `connector audit messages`); empty fields do not filter. Newest first: the cursor is
// the smallest sequence of the page before. Only entries the chain head covers.
struct MessageQuery {
    std::string direction;  // inbound, outbound
    std::string kind;       // edoc, status
    std::optional<int> business_type;
    std::string agency;  // the sender, or one of the recipients
    std::string document_id;
    std::string knobstick_id;
    std::string status_code;
    std::string verdict;               // signature_verdict, as stored
    std::string transport_state;       // a name of connector/transport_state.hpp
    std::string since;                 // recorded_at >= since (UTC, ISO 8601)
    std::string until;                 // recorded_at < until
    std::int64_t before_sequence = 0;  // 0: from the newest
    std::size_t limit = 50;
};

// A message of a search, without its bytes, with its transport state (none for inbound).
struct LoggedMessage {
    MessageEntry entry;
    std::optional<TransportEntry> transport;
};

struct MessagePage {
    std::vector<LoggedMessage> messages;
    // How many entries the filters find in all, counted up to kMessageCountCap: past it
    // `total_exact` is false and `total` is the cap (a count of millions costs a scan).
    std::int64_t total = 0;
    bool total_exact = true;
};
inline constexpr std::int64_t kMessageCountCap = 10000;

// Filters of the audit events (GET /api/v1/audit/events, `connector audit events`).
struct AuditQuery {
    std::string actor;
    std::string action;  // UPPER_SNAKE, exact
    std::string target;  // exact
    std::string since, until;
    std::int64_t before_sequence = 0;  // newest first, as MessageQuery
    std::size_t limit = 50;
};

// The message log and the audit log (hash-chained, append-only), their checkpoints, the
// numbers of the documents we originate, and each message's transport state.
class MessageLogStore {
  public:
    virtual ~MessageLogStore() = default;

    // Appends to the message log; fills sequence, hashes, raw_sha256, raw_size and
    // recorded_at, and returns the entry as stored.
    virtual MessageEntry append_message(MessageEntry entry) = 0;
    // Appends several in one transaction (a burst from the axis): all or none.
    virtual std::vector<MessageEntry> append_messages(std::vector<MessageEntry> entries) = 0;
    virtual AuditEntry append_audit(AuditEntry entry) = 0;
    // Entries after `after_sequence`, ordered, at most `limit`.
    virtual std::vector<MessageEntry> messages(std::int64_t after_sequence, std::size_t limit) = 0;
    // One entry of the log (up to its head) without its bytes (`raw` empty; raw_sha256 and
    // raw_size kept): what the API's views show, without loading megabytes per entry.
    virtual std::optional<MessageEntry> message_without_raw(std::int64_t sequence) = 0;
    virtual std::vector<AuditEntry> audit_entries(std::int64_t after_sequence,
                                                  std::size_t limit) = 0;
    virtual ChainHead message_head() = 0;
    virtual ChainHead audit_head() = 0;
    // The number of the next document we originate (a report, an unnumbered assignment or
    // document): unique across every writer of the database, daemons and CLI alike.
    virtual std::int64_t next_document_number() = 0;
    virtual void append_checkpoint(const ChainCheckpoint& checkpoint) = 0;
    // A chain's checkpoints, oldest first.
    virtual std::vector<ChainCheckpoint> checkpoints(const std::string& chain) = 0;
    // Transport state of a logged message lives beside the log, which never changes.
    // Compare-and-set, in one statement: `to` is written (its state, reason and knobstick;
    // `since` is the store's clock) only when the message stands in one of `from`, or has
    // no state and `from_none`; false, and nothing written, otherwise. An empty
    // knobstick keeps the one recorded. State names are
    // [a-z_]+ (PermanentError else). connector/transport_state.hpp holds the machines.
    virtual bool move_transport_state(const TransportEntry& to, bool from_none,
                                      const std::vector<std::string>& from) = 0;
    virtual std::optional<TransportEntry> transport_state(std::int64_t sequence) = 0;
    // Messages in transport state `state`, oldest first.
    virtual std::vector<TransportEntry> messages_in_state(const std::string& state,
                                                          std::size_t limit) = 0;
    // The logged message with this axis knobstick id in this direction, if any, among
    // the entries the chain head covers (a row past the head is no entry of the log):
    // how an inbound knobstick offered twice is recognised.
    virtual std::optional<MessageEntry> message_by_knobstick(Direction direction,
                                                             const std::string& knobstick_id) = 0;
    // Sequences of the logged messages with this DocumentId, kind and direction, oldest
    // first: how the same document under another knobstick id is recognised.
    virtual std::vector<std::int64_t> messages_by_document(Direction direction,
                                                           const std::string& kind,
                                                           const std::string& document_id) = 0;
    // The auditors' reads. A search of the log, newest first (MessageQuery).
    virtual MessagePage find_messages(const MessageQuery& query) = 0;
    // Every state a message's transport went through, oldest first (since: when it was
    // entered), kept by the database itself (migration 0013) on every write of the state.
    virtual std::vector<TransportEntry> transport_history(std::int64_t sequence) = 0;
    // The task events a message caused (the tasks it touched), oldest first.
    virtual std::vector<TaskEvent> events_of_message(std::int64_t sequence) = 0;
    virtual std::vector<AuditEntry> find_audit_entries(const AuditQuery& query) = 0;
};

// The outbox and the inbox, claimed under leases, and the named leases of the passes
// that no two daemons of one database run at once.
class WorkQueueStore {
  public:
    virtual ~WorkQueueStore() = default;

    // A named lease over a pass that no two daemons of the database should run at once
    // (the poll of a message type, delivery tracking, a webhook target's dispatch): true
    // when `owner` holds it now, until `duration` from now on the database's clock
    // (taken free or expired, or renewed). Released, it is free at once.
    virtual bool hold_lease(const std::string& name, const std::string& owner,
                            std::chrono::milliseconds duration) = 0;
    virtual void release_lease(const std::string& name, const std::string& owner) = 0;
    // Adds an item; throws DuplicateError when the key is already queued.
    virtual std::int64_t enqueue(WorkQueue queue, const std::string& key,
                                 const std::string& payload) = 0;
    // Claims the oldest pending item whose lease is free or expired, for `lease`.
    virtual std::optional<WorkItem> claim(WorkQueue queue, const std::string& owner,
                                          std::chrono::milliseconds lease) = 0;
    // Marks a claimed item done; false when `owner` no longer holds its lease.
    virtual bool complete(WorkQueue queue, std::int64_t id, const std::string& owner) = 0;
    // Gives a claimed item back (lease cleared) to be claimed again.
    virtual bool release(WorkQueue queue, std::int64_t id, const std::string& owner) = 0;
    virtual std::int64_t pending_count(WorkQueue queue) = 0;
    // Keeps a claimed item leased for `delay` more (a retry that waits): the lease ends
    // later instead of now. False when `owner` no longer holds it.
    virtual bool postpone(WorkQueue queue, std::int64_t id, const std::string& owner,
                          std::chrono::milliseconds delay) = 0;
};

// Tasks and their history; each history event is written with its change-feed entry.
class TaskStore {
  public:
    virtual ~TaskStore() = default;

    // Tasks. Writes that come from a message are idempotent, so that a message applied
    // again after a crash changes nothing: a task is inserted once (false when its code
    // exists), and an update whose event (task, kind, message) is already recorded is
    // skipped (false).
    virtual bool insert_task(const Task& task, const TaskEvent& event) = 0;
    // Writes over `task.version` only: when another writer updated the task since it was
    // read, nothing is written and ConflictError is thrown.
    virtual bool update_task(const Task& task, const TaskEvent& event) = 0;
    virtual bool add_task_event(const TaskEvent& event) = 0;
    virtual std::optional<Task> task(const std::string& task_code) = 0;
    // Tasks ordered by code, after `after_code` (empty: from the start), at most `limit`.
    virtual std::vector<Task> tasks(const std::string& after_code, std::size_t limit) = 0;
    virtual std::vector<TaskEvent> task_events(const std::string& task_code) = 0;
    // The tasks a document assigned (source_document_id), ordered by code.
    virtual std::vector<Task> tasks_of_document(const std::string& source_document_id) = 0;
    virtual std::vector<Task> find_tasks(const TaskQuery& query) = 0;
    // The tasks `query` finds (its cursor and limit aside), counted by group and
    // timeliness, ordered by both.
    virtual std::vector<TaskCount> count_tasks(const TaskQuery& query, TaskGrouping by) = 0;
    // Of the documents whose tasks `query` finds, the `limit` with the most open tasks past
    // their deadline, then the most tasks, then by id; each counted as count_tasks by
    // source_document would (a summary shows these, not thousands).
    virtual DocumentRanking rank_documents(const TaskQuery& query, std::size_t limit) = 0;
};

// What only the HTTP side needs: API clients, the change feed, webhook deliveries and
// idempotency keys.
class BackendRecordStore {
  public:
    virtual ~BackendRecordStore() = default;

    // API clients. create_api_client throws DuplicateError for a name in use;
    // `expires_at` (UTC text as utc_text writes it; empty: never) is checked by the caller.
    virtual void create_api_client(const std::string& name, const std::string& token_hash,
                                   const std::string& role, const std::string& expires_at = {}) = 0;
    // The client holding this token hash, unless revoked (expired ones too: the caller
    // says "expired" rather than "unknown").
    virtual std::optional<ApiClient> api_client_by_token_hash(const std::string& token_hash) = 0;
    virtual bool revoke_api_client(const std::string& name) = 0;
    virtual std::vector<ApiClient> api_clients() = 0;
    // Users of the pages. create_user throws DuplicateError for a name in use.
    virtual void create_user(const User& user) = 0;
    virtual std::optional<User> user(const std::string& name) = 0;
    virtual std::vector<User> users() = 0;  // by name
    // A new password hash (and the lockout cleared); false for an unknown name.
    virtual bool set_user_password(const std::string& name, const std::string& password_hash) = 0;
    // False for an unknown or already disabled name. Ends the user's sessions, as a new
    // password does.
    virtual bool disable_user(const std::string& name) = 0;
    // A failed login: counts it, and when it is the `max_failures`th in a row, locks the
    // user until `lock_until` and starts counting again. True when it locked the user.
    virtual bool record_failed_login(const std::string& name, int max_failures,
                                     const std::string& lock_until) = 0;
    // A successful login: the count of failures and any lockout cleared.
    virtual void record_login(const std::string& name) = 0;
    // Login sessions. create_session also deletes the sessions ended or last seen before
    // `forget_before`, so that the table holds the live ones and a little more.
    virtual void create_session(const LoginSession& session, const std::string& forget_before) = 0;
    virtual std::optional<LoginSession> session(const std::string& id_hash) = 0;
    virtual void touch_session(const std::string& id_hash, const std::string& at) = 0;
    // False when there was no such session, or it had ended.
    virtual bool end_session(const std::string& id_hash, const std::string& at) = 0;
    // The change feed: events after `after_sequence`, oldest first, at most `limit`.
    virtual std::vector<BackendEvent> backend_events(std::int64_t after_sequence,
                                                     std::size_t limit) = 0;
    virtual std::int64_t last_backend_event() = 0;
    // Webhooks. The oldest event not yet delivered or abandoned for `target`, after the
    // last one that was (events are delivered in order), with its delivery so far.
    virtual std::optional<std::pair<BackendEvent, WebhookDelivery>> next_webhook_event(
        const std::string& target) = 0;
    virtual void record_webhook_delivery(const std::string& target,
                                         const WebhookDelivery& delivery) = 0;
    // The last event delivered, abandoned or skipped for `target`; nothing when no
    // delivery was ever recorded for it.
    virtual std::optional<std::int64_t> webhook_position(const std::string& target) = 0;
    // Records that `target` is served from now on, the feed's last event being
    // `last_event`: true only the first time ever (no daemon served it before and no
    // delivery to it is recorded), so that only then are earlier events skipped.
    virtual bool first_serve_of_webhook_target(const std::string& target,
                                               std::int64_t last_event) = 0;
    // Idempotency keys, per client. Claims `key` for a call: nullopt when it was free (the
    // caller goes on and records its answer), else what the first call left. Keys older
    // than `keep` are forgotten first.
    virtual std::optional<IdempotentAnswer> claim_idempotency_key(const std::string& client,
                                                                  const std::string& key,
                                                                  const std::string& request_hash,
                                                                  std::chrono::seconds keep) = 0;
    virtual void record_idempotent_answer(const std::string& client, const std::string& key,
                                          int status, const std::string& body) = 0;
    // Frees a claimed key whose call failed before doing anything, so it can be retried.
    virtual void release_idempotency_key(const std::string& client, const std::string& key) = 0;
};

// The whole port, as the composition root opens it; the parts of the core and the
// adapters take the narrower ports above where they need only one concern.
// What GET /metrics reads of the database at each scrape (operations_figures).
struct QueueFigures {
    std::string queue;           // outbox, inbox
    std::int64_t pending = 0;    // waiting or in hand
    std::int64_t retrying = 0;   // of those, attempted more than once: the retry debt
    std::string oldest_created;  // UTC text of the oldest pending item; empty: none
};
struct MessageTally {
    std::string direction, kind;
    int business_type = 0;
    std::string verdict;
    std::int64_t entries = 0;
};
// A webhook target's backlog: the events after the last one it was given (delivered or
// abandoned), from where it was first served.
struct WebhookFigures {
    std::string target;
    std::int64_t undelivered = 0;
    std::string oldest_undelivered;  // UTC text of the oldest event waiting; empty: none
};
struct OperationsFigures {
    std::vector<QueueFigures> queues;
    std::vector<MessageTally> messages;  // the whole log by direction, kind, type, verdict
    // When each chain's last signed checkpoint was recorded (UTC text); absent: none yet.
    std::vector<std::pair<std::string, std::string>> last_checkpoints;  // chain, recorded_at
    std::vector<WebhookFigures> webhooks;  // every target served so far, by target
};

class Store : public MessageLogStore,
              public WorkQueueStore,
              public TaskStore,
              public BackendRecordStore {
  public:
    // Schema version of the open database, and the one this binary knows.
    virtual int schema_version() = 0;
    // The queues, the log's tallies and the last checkpoints, for monitoring: a few
    // indexed reads, whatever the size of the log (migration 0015).
    virtual OperationsFigures operations_figures() = 0;
    // Runs `work` (calls of this store, from this thread) as one transaction: all of it
    // or nothing, with one durable commit instead of one per call. An append or enqueue
    // in it that finds its key taken (DuplicateError) is undone alone, and a ConflictError
    // writes nothing, so `work` may catch those and go on; any other failure, or anything
    // that escapes `work`, undoes everything. Nested units are part of the outer one. Keep
    // calls to other systems out of it: the database holds its locks until the end.
    virtual void in_one_transaction(const std::function<void()>& work) = 0;
};

// What an auditor holds the chains against (connector/checkpoint.hpp makes and reads
// checkpoints).
struct ChainExpectations {
    std::vector<ChainCheckpoint> checkpoints;  // each must match its chain
    // "The chain ends exactly here": longer is extended, shorter truncated, another hash
    // rewritten.
    std::optional<ChainHead> expected_message_head;
    std::optional<ChainHead> expected_audit_head;
    bool ends_at_last_checkpoint = false;  // a tail past a chain's last checkpoint fails
};

// Walks both chains of a store, page by page. A row past a chain's head (one that no
// append made: appends move the head in the same transaction) fails the walk.
// `progress`, when given, hears after each page which chain is walked and how many of its
// entries were checked (the auditors' verification job shows it).
using ChainProgress = std::function<void(const std::string& chain, std::int64_t checked)>;
std::vector<ChainReport> verify_chains(MessageLogStore& store,
                                       const ChainExpectations& expectations = {},
                                       const ChainProgress& progress = {});

}  // namespace connector
