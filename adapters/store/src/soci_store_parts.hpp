// The parts of the SOCI store that its files share (internal to adapters/store): the
// dialects, the row helpers, the error mapping and the SociStore class, whose methods are
// defined by concern, as the port is split (connector/store.hpp):
//   soci_store.cpp            opening, the URL, migrations, errors, reconnecting
//   soci_message_log.cpp      the two chains, checkpoints, counters, transport states
//   soci_work_queues.cpp      outbox and inbox, pass leases
//   soci_tasks.cpp            tasks and their history (with the change feed)
//   soci_backend_records.cpp  the HTTP side: API clients, the feed, webhooks, idempotency
#pragma once

#include <soci/soci.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "connector/search_text.hpp"
#include "connector/store.hpp"
#include "connector/task_status.hpp"
#include "store/soci_store.hpp"

namespace store::detail {

using connector::ChainHead;

using connector::WorkItem;

using connector::WorkQueue;

// What differs between the two databases, as data (style.md §3).
struct Dialect {
    const char* name;
    const soci::backend_factory& (*factory)();
    const char* begin_write;  // a transaction that holds the write lock from the start
    const char* lock_head;    // suffix that locks the chain head row until commit
    // %s = table; binds :owner and :lease (milliseconds). Lease times come from the
    // database's clock, so daemons on machines with skewed clocks agree on expiry.
    // A lease ends at its time: from that millisecond on the item is free (a retry
    // postponed by nothing is due at once, even within the same millisecond).
    const char* claim;
    // Moves the chain head as part of the message INSERT, so a chained append costs no
    // extra round trip; nullptr where the database cannot (SQLite: no DML in a CTE).
    const char* insert_message_moving_head;
    // The database clock in milliseconds since 1970, as leases use it.
    const char* now_millis;
    std::vector<std::string_view> migrations;
};

constexpr const char* kSelectTasks =
    "SELECT task_code, side, source_document_id, title, content, issuer, due_date, due_text, "
    "priority, progress, progress_note, status_code, take_back_requested, withdrawn, "
    "completion_date, created_at, updated_at, version, expected_result FROM tasks ";

constexpr const char* kMessageColumns =
    "sequence, direction, kind, business_type, document_id, knobstick_id, from_agency, "
    "to_agencies, status_code, "
    "subject, raw_base64, raw_sha256, raw_size, signature_verdict, signer, recorded_at, prev_hash, "
    "entry_hash, signer_agency, requested_by";

constexpr const char* kMessageValues =
    ":sequence, :direction, :kind, :business_type, :document_id, :knobstick_id, :from_agency, "
    ":to_agencies, "
    ":status_code, :subject, :raw_base64, :raw_sha256, :raw_size, :signature_verdict, :signer, "
    ":recorded_at, "
    ":prev_hash, :entry_hash, :signer_agency, :requested_by";

struct Target {
    const Dialect* dialect;
    std::string connect_string;
};

// A write transaction that rolls back unless committed.
// A write transaction that rolls back unless committed. Inside a unit of work
// (SociStore::in_one_transaction) it is a part of that one: no BEGIN or COMMIT of its
// own (guarded() wraps each call in a savepoint instead).
class WriteTransaction {
  public:
    WriteTransaction(soci::session& sql, const Dialect& dialect, bool within_unit = false)
        : sql_(sql), done_(within_unit) {
        if (!within_unit)
            sql_ << dialect.begin_write;
    }
    ~WriteTransaction() {
        if (!done_) {
            try {
                sql_ << "ROLLBACK";
            } catch (...) {
                // the connection is gone; nothing to roll back
            }
        }
    }
    void commit() {
        if (done_)
            return;
        sql_ << "COMMIT";
        done_ = true;
    }

  private:
    soci::session& sql_;
    bool done_ = false;
};

// PostgreSQL's advisory lock on the change feed (SociStore::lock_feed); 7102016 guards
// the migrations.
constexpr long long kFeedLockKey = 7102017;

extern const Dialect kSqlite;
extern const Dialect kPostgresql;

[[noreturn]] void rethrow(const std::string& operation, const std::string& key);

std::string now_utc();

int current_version(soci::session& sql);

// `up_to_version` 0: every migration of the dialect.
MigrationResult apply_migrations(soci::session& sql, const Dialect& dialect, int up_to_version);

std::int64_t integer(const soci::row& row, std::size_t column);

// A backend_events row: id, kind, subject_key, payload, message_sequence, recorded_at.
connector::BackendEvent backend_event_from(const soci::row& row, std::size_t first);

// A message_transport row: sequence, state, reason, knobstick, updated_at.
connector::TransportEntry transport_entry_from(const soci::row& row);

// A messages row selected with kMessageColumns, in that order.
connector::MessageEntry message_from_row(const soci::row& row);
// An audit_events row selected with kAuditColumns, in that order.
constexpr const char* kAuditColumns =
    "sequence, actor, action, target, detail, recorded_at, prev_hash, entry_hash";
connector::AuditEntry audit_entry_from(const soci::row& row);
// A task_events row selected with kTaskEventColumns, in that order.
constexpr const char* kTaskEventColumns =
    "id, task_code, kind, detail, message_sequence, recorded_at";
connector::TaskEvent task_event_from(const soci::row& row);

// Within a unit of work (SociStore::in_one_transaction) a call that may fail expectedly (an
// append or enqueue of what is there already) is undone alone, so that the caller may go
// on: on PostgreSQL a failed statement would otherwise abort the whole transaction.
class CallSavepoint {
  public:
    CallSavepoint(soci::session& sql, bool within_unit) : sql_(sql), active_(within_unit) {
        if (active_)
            sql_ << "SAVEPOINT store_call";
    }
    void release() {
        if (!active_)
            return;
        sql_ << "RELEASE SAVEPOINT store_call";
        active_ = false;
    }
    ~CallSavepoint() {
        if (!active_)
            return;
        try {
            sql_ << "ROLLBACK TO SAVEPOINT store_call";
            sql_ << "RELEASE SAVEPOINT store_call";
        } catch (...) {
            // the connection is gone: the unit fails with what the call threw
        }
    }
    CallSavepoint(const CallSavepoint&) = delete;
    CallSavepoint& operator=(const CallSavepoint&) = delete;

  private:
    soci::session& sql_;
    bool active_;
};

class SociStore final : public connector::Store {
  public:
    SociStore(const Target& target, Migrations migrations);

    connector::OperationsFigures operations_figures() override;
    int schema_version() override;
    void in_one_transaction(const std::function<void()>& work) override;

    connector::MessageEntry append_message(connector::MessageEntry entry) override;

    std::vector<connector::MessageEntry> append_messages(
        std::vector<connector::MessageEntry> entries) override;

    connector::AuditEntry append_audit(connector::AuditEntry entry) override;

    std::vector<connector::MessageEntry> messages(std::int64_t after_sequence,
                                                  std::size_t limit) override;

    std::vector<connector::AuditEntry> audit_entries(std::int64_t after_sequence,
                                                     std::size_t limit) override;

    ChainHead message_head() override;

    bool hold_lease(const std::string& name, const std::string& owner,
                    std::chrono::milliseconds duration) override;

    void release_lease(const std::string& name, const std::string& owner) override;

    std::int64_t next_document_number() override;
    ChainHead audit_head() override;

    void append_checkpoint(const connector::ChainCheckpoint& checkpoint) override;

    std::vector<connector::ChainCheckpoint> checkpoints(const std::string& chain) override;

    bool move_transport_state(const connector::TransportEntry& to, bool from_none,
                              const std::vector<std::string>& from) override;

    std::optional<connector::TransportEntry> transport_state(std::int64_t sequence) override;

    std::vector<connector::TransportEntry> messages_in_state(const std::string& state,
                                                             std::size_t limit) override;

    std::int64_t enqueue(WorkQueue queue, const std::string& key,
                         const std::string& payload) override;

    std::optional<WorkItem> claim(WorkQueue queue, const std::string& owner,
                                  std::chrono::milliseconds lease) override;

    bool complete(WorkQueue queue, std::int64_t id, const std::string& owner) override;

    bool release(WorkQueue queue, std::int64_t id, const std::string& owner) override;

    std::int64_t pending_count(WorkQueue queue) override;

    bool postpone(WorkQueue queue, std::int64_t id, const std::string& owner,
                  std::chrono::milliseconds delay) override;

    std::optional<connector::MessageEntry> message_without_raw(std::int64_t sequence) override;

    std::optional<connector::MessageEntry> message_by_knobstick(
        connector::Direction direction, const std::string& knobstick_id) override;

    std::vector<std::int64_t> messages_by_document(connector::Direction direction,
                                                   const std::string& kind,
                                                   const std::string& document_id) override;

    // soci_audit_reads.cpp
    connector::MessagePage find_messages(const connector::MessageQuery& query) override;
    std::vector<connector::TransportEntry> transport_history(std::int64_t sequence) override;
    std::vector<connector::TaskEvent> events_of_message(std::int64_t sequence) override;
    std::vector<connector::AuditEntry> find_audit_entries(
        const connector::AuditQuery& query) override;

    bool insert_task(const connector::Task& task, const connector::TaskEvent& event) override;

    bool update_task(const connector::Task& task, const connector::TaskEvent& event) override;

    bool add_task_event(const connector::TaskEvent& event) override;

    std::optional<connector::Task> task(const std::string& task_code) override;

    std::vector<connector::Task> tasks(const std::string& after_code, std::size_t limit) override;

    void create_api_client(const std::string& name, const std::string& token_hash,
                           const std::string& role, const std::string& expires_at) override;

    std::optional<connector::ApiClient> api_client_by_token_hash(
        const std::string& token_hash) override;

    bool revoke_api_client(const std::string& name) override;

    std::vector<connector::ApiClient> api_clients() override;
    void create_user(const connector::User& user) override;
    std::optional<connector::User> user(const std::string& name) override;
    std::vector<connector::User> users() override;
    bool set_user_password(const std::string& name, const std::string& password_hash) override;
    bool disable_user(const std::string& name) override;
    bool record_failed_login(const std::string& name, int max_failures,
                             const std::string& lock_until) override;
    void record_login(const std::string& name) override;
    void create_session(const connector::LoginSession& session,
                        const std::string& forget_before) override;
    std::optional<connector::LoginSession> session(const std::string& id_hash) override;
    void touch_session(const std::string& id_hash, const std::string& at) override;
    bool end_session(const std::string& id_hash, const std::string& at) override;
    // Within a write: a disabled user's or a new password's sessions end.
    void end_sessions_of(const std::string& user_name, const std::string& at);

    std::vector<connector::Task> tasks_of_document(const std::string& source_document_id) override;

    std::vector<connector::Task> find_tasks(const connector::TaskQuery& query) override;
    std::vector<connector::TaskCount> count_tasks(const connector::TaskQuery& query,
                                                  connector::TaskGrouping by) override;
    connector::DocumentRanking rank_documents(const connector::TaskQuery& query,
                                              std::size_t limit) override;

    std::vector<connector::BackendEvent> backend_events(std::int64_t after_sequence,
                                                        std::size_t limit) override;

    std::int64_t last_backend_event() override;

    std::optional<std::pair<connector::BackendEvent, connector::WebhookDelivery>>
    next_webhook_event(const std::string& target) override;

    void record_webhook_delivery(const std::string& target,
                                 const connector::WebhookDelivery& delivery) override;

    bool first_serve_of_webhook_target(const std::string& target, std::int64_t last_event) override;

    std::optional<std::int64_t> webhook_position(const std::string& target) override;

    std::optional<connector::IdempotentAnswer> claim_idempotency_key(
        const std::string& client, const std::string& key, const std::string& request_hash,
        std::chrono::seconds keep) override;

    void record_idempotent_answer(const std::string& client, const std::string& key, int status,
                                  const std::string& body) override;

    void release_idempotency_key(const std::string& client, const std::string& key) override;

    std::vector<connector::TaskEvent> task_events(const std::string& task_code) override;

  private:
    // A lost connection (a restarted server, a network cut) is noticed when a call fails,
    // and the next call reconnects; statements prepared on the old connection are dropped.
    void note_failure() {
        try {
            if (!sql_.is_connected())
                broken_ = true;
        } catch (...) {
            broken_ = true;
        }
    }

    // The one wrapper of every call: reconnects when the last call found the connection
    // gone, runs `body`, and maps what it throws to the core's errors, naming the
    // operation and the key (`key` is computed only then).
    // `undone_alone`: within a unit of work, the call runs in a savepoint (CallSavepoint),
    // for the calls whose failure a caller expects and catches (a DuplicateError); not for
    // every call, as PostgreSQL slows down past 64 subtransactions in one transaction.
    template <class Key, class Body>
    auto guarded(const std::string& operation, const Key& key, const Body& body,
                 bool undone_alone = false) -> decltype(body()) {
        reconnect_if_broken();
        try {
            CallSavepoint savepoint(sql_, undone_alone && units_open_ > 0);
            if constexpr (std::is_void_v<decltype(body())>) {
                body();
                savepoint.release();
            } else {
                auto result = body();
                savepoint.release();
                return result;
            }
        } catch (...) {
            note_failure();
            rethrow(operation, key());
        }
    }

    void reconnect_if_broken();
    void apply_session_settings();

    // The bound values of the prepared message INSERT, which is reused for every append.
    struct MessageRow {
        long long sequence = 0, raw_size = 0;
        int business_type = 0;
        std::string direction, kind, document_id, knobstick_id, from_agency, to_agencies,
            status_code, subject, raw_base64, raw_sha256, signature_verdict, signer, recorded_at,
            prev_hash, entry_hash, signer_agency, requested_by;
    };

    bool insert_message(const connector::MessageEntry& entry, const std::string& raw_base64,
                        bool moving_head);

    void set_head_move(const char* chain, const ChainHead& from, const ChainHead& to);

    // Moves a chain head as set by set_head_move; false when it was not where expected.
    bool move_head();

    ChainHead read_head(const char* chain);

    void write_head(const char* chain, std::int64_t sequence, const std::string& hash);

    ChainHead head_of(const char* chain);

    // A task's columns in the forms the tables keep.
    struct TaskColumns {
        explicit TaskColumns(const connector::Task& task)
            : side(connector::to_string(task.side)),
              status(task.status.current ? edxml::canonical_code(*task.status.current) : ""),
              rank(task.status.current ? connector::status_rank(*task.status.current) : 0),
              take_back(task.status.take_back_requested ? 1 : 0),
              withdrawn(task.status.withdrawn ? 1 : 0),
              search(connector::task_search_text(task)) {
            // Where the task stands on any day (migration 0009): its timeliness, but "open"
            // for both open kinds, which depend on the date.
            const connector::Timeliness timeliness = connector::derive_timeliness(
                task.status, task.due_date, task.completion_date, edxml::Date{1, 1, 1});
            standing = timeliness == connector::Timeliness::open_on_time
                           ? "open"
                           : connector::to_string(timeliness);
            // The lead's agency code, as migration 0009 fills it: the least of the leads'.
            bool first = true;
            for (const auto& assignee : task.assignees) {
                if (assignee.role != edxml::AssigneeRole::lead)
                    continue;
                if (first || assignee.organ_id < lead)
                    lead = assignee.organ_id;
                first = false;
            }
            if (task.due_date) {
                due = edxml::format_date(*task.due_date);
                due_indicator = soci::i_ok;
            }
            if (task.completion_date) {
                completion = edxml::format_date(*task.completion_date);
                completion_indicator = soci::i_ok;
            }
        }
        std::string side, status, due, completion;
        int rank = 0, take_back = 0, withdrawn = 0;
        std::string search;    // connector/search_text.hpp
        std::string lead;      // the lead unit, for the summaries' counts
        std::string standing;  // withdrawn, refused, done_on_time, done_late or open
        soci::indicator due_indicator = soci::i_null, completion_indicator = soci::i_null;
    };

    // `replacing`: the task exists, and its assignees are written only when they changed.
    // The assignee rows, each with the copy of what a clerk's counts read (migration 0012).
    void write_assignees(const connector::Task& task, const TaskColumns& columns, bool replacing);
    // Rows (task_code, organ_id, name, role) of `query` (binding :code, and :count when
    // above 0), grouped by task in the order read.
    void read_assignees(
        const std::string& query, const std::string& key, long long count,
        std::vector<std::pair<std::string, std::vector<edxml::TaskAssignee>>>& into);

    // The event and its change-feed entry, in the same transaction; false when (task,
    // kind, message) is already recorded.
    void lock_feed();
    bool insert_event(const connector::TaskEvent& event, const std::string& at);

    std::vector<connector::Task> select_tasks(const std::string& where, const std::string& key,
                                              std::size_t limit);

    // Tasks from the rows of kSelectTasks, with their assignees.
    std::vector<connector::Task> tasks_from(soci::rowset<soci::row>& rows,
                                            bool with_assignees = true);

    // Ends a lease: completes the item (stamped with the time) or gives it back.
    bool finish(WorkQueue queue, std::int64_t id, const std::string& owner, bool completes);

    const Dialect& dialect_;
    bool lock_timeout_from_url_ = false;
    soci::session sql_;
    std::optional<ChainHead> message_head_cache_;
    bool broken_ = false;
    int units_open_ = 0;  // in_one_transaction, nested
    MessageRow message_row_;
    struct HeadMove {
        std::string chain, from_hash, to_hash;
        long long from_sequence = 0, to_sequence = 0;
    } head_move_;
    // Prepared once, after sql_ so that they are destroyed first.
    std::unique_ptr<soci::statement> insert_statement_;
    std::unique_ptr<soci::statement> insert_moving_head_statement_;
    std::unique_ptr<soci::statement> move_head_statement_;
    std::unique_ptr<soci::statement> insert_agency_statement_;
    struct AgencyRow {
        std::string agency;
        long long sequence = 0;
    } agency_row_;
    // After a failure or a lost connection: the next write prepares afresh.
    void drop_prepared_statements();
    // One row of message_agencies for the entry's sender and one per recipient (migration
    // 0014).
    void insert_agencies(const connector::MessageEntry& entry);
};

}  // namespace store::detail
