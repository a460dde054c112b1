// The store conformance suite (style.md §4): written once, run on SQLite always
// (store_sqlite_test.cpp) and on a real PostgreSQL server (store_postgresql_test.cpp).
#pragma once

#include <boost/test/unit_test.hpp>

#include <map>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "connector/store.hpp"
#include "connector/task_status.hpp"
#include "edxml/attachments.hpp"
#include "store/soci_store.hpp"
#include "store_backends.hpp"
#include "test_files.hpp"

namespace store_conformance {

using namespace connector;
using store_backends::Backend;

inline std::unique_ptr<Store> fresh_store(const Backend& backend, const std::string& label,
                                          std::string* url = nullptr) {
    const std::string fresh = backend.fresh_url(label);
    if (url)
        *url = fresh;
    return store::open_store(fresh, store::Migrations::apply);
}

inline MessageEntry sample_entry(int n) {
    MessageEntry entry;
    entry.direction = n % 2 ? Direction::inbound : Direction::outbound;
    entry.kind = n % 3 ? "edoc" : "status";
    entry.business_type = n % 4;
    entry.document_id = "000.00.00.G22,2025/04/10," + std::to_string(3000 + n) + "/VPCP-KSTT";
    entry.knobstick_id = "knob-" + std::to_string(n);
    entry.from_agency = "000.00.00.G22";
    entry.to_agencies = "000.00.00.H20,000.00.00.G14";
    entry.status_code = n % 3 ? "" : "03";
    entry.subject = "Kế hoạch số " + std::to_string(n) + " của Ủy ban nhân dân tỉnh Đồng Tháp";
    entry.raw = test_files::sample("status-03.edxml") + std::to_string(n);
    entry.signature_verdict = "absent";
    return entry;
}

inline ChainReport report_for(Store& store, const std::string& chain) {
    for (const ChainReport& report : verify_chains(store)) {
        if (report.chain == chain)
            return report;
    }
    BOOST_FAIL("no report for " << chain);
    return {};
}

inline void migrations_from_empty(const Backend& backend) {
    const std::string url = backend.fresh_url("migrations");
    // An empty database is refused until migrated, with the command to run.
    try {
        store::open_store(url);
        BOOST_ERROR("an unmigrated database was opened");
    } catch (const PermanentError& error) {
        BOOST_TEST(std::string(error.what()).find("run `connector migrate`") != std::string::npos,
                   error.what());
    }
    const store::MigrationResult first = store::migrate(url);
    BOOST_TEST(first.from == 0);
    BOOST_TEST(first.to == store::expected_schema_version());
    const store::MigrationResult again = store::migrate(url);
    BOOST_TEST(again.from == again.to);
    BOOST_TEST(store::open_store(url)->schema_version() == store::expected_schema_version());
    // A database from a newer connector is refused too.
    {
        soci::session raw = store_backends::raw_session(url);
        raw << "INSERT INTO schema_version (version, applied_at) VALUES (99, 'later')";
    }
    try {
        store::open_store(url, store::Migrations::apply);
        BOOST_ERROR("a newer database was opened");
    } catch (const PermanentError& error) {
        BOOST_TEST(std::string(error.what()).find("version 99, newer than this connector") !=
                       std::string::npos,
                   error.what());
    }
}

inline void message_log_chains_and_reads_back(const Backend& backend) {
    const auto store = fresh_store(backend, "log");
    std::string previous = kGenesisHash;
    for (int n = 1; n <= 5; ++n) {
        MessageEntry entry = sample_entry(n);
        // Bytes the auditor must get back exactly: NUL, invalid UTF-8, CR.
        entry.raw += std::string("\0\xff\xfe\r\n", 5);
        const MessageEntry stored = store->append_message(entry);
        BOOST_TEST(stored.sequence == n);
        BOOST_TEST(stored.prev_hash == previous);
        BOOST_TEST(stored.entry_hash.size() == 64u);
        BOOST_TEST(stored.raw_size == static_cast<std::int64_t>(entry.raw.size()));
        previous = stored.entry_hash;
    }
    const std::vector<MessageEntry> read = store->messages(0, 100);
    BOOST_REQUIRE_EQUAL(read.size(), 5u);
    for (int n = 1; n <= 5; ++n) {
        const MessageEntry expected = sample_entry(n);
        const MessageEntry& got = read[static_cast<std::size_t>(n - 1)];
        BOOST_TEST(got.raw == expected.raw + std::string("\0\xff\xfe\r\n", 5));
        BOOST_TEST(got.subject == expected.subject);
        BOOST_TEST((got.direction == expected.direction));
        BOOST_TEST(got.business_type == expected.business_type);
        BOOST_TEST(got.document_id == expected.document_id);
    }
    BOOST_TEST(store->messages(3, 100).size() == 2u);
    BOOST_TEST(store->messages(0, 2).size() == 2u);
    BOOST_TEST(store->message_head().sequence == 5);
    BOOST_TEST(store->message_head().hash == previous);
    const ChainReport report = report_for(*store, "messages");
    BOOST_TEST(report.ok, report.problem);
    BOOST_TEST(report.count == 5);
    BOOST_TEST(report.head_hash == previous);
}

// Two writers on one database (two daemons): each finds the chain head moved by the other
// and re-reads it; the chain stays whole.
inline void two_writers_interleave(const Backend& backend) {
    std::string url;
    const auto first = fresh_store(backend, "two_writers", &url);
    const auto second = store::open_store(url);
    for (int n = 1; n <= 10; ++n) {
        Store& writer = n % 3 ? *first : *second;
        BOOST_TEST(writer.append_message(sample_entry(n)).sequence == n);
    }
    std::vector<MessageEntry> batch;
    for (int n = 11; n <= 13; ++n)
        batch.push_back(sample_entry(n));
    BOOST_TEST(second->append_messages(batch).back().sequence == 13);
    BOOST_TEST(first->append_message(sample_entry(14)).sequence == 14);
    const ChainReport report = report_for(*first, "messages");
    BOOST_TEST(report.ok, report.problem);
    BOOST_TEST(report.count == 14);
}

inline void hostile_strings_round_trip(const Backend& backend) {
    const auto store = fresh_store(backend, "hostile_strings");
    const std::string hostile[] = {"'; DROP TABLE messages; --",
                                   "Robert'); DROP TABLE students;--",
                                   "\" OR \"1\"=\"1",
                                   "back\\slash \\' \\\"",
                                   "%_*?[]",
                                   "line\nbreak\ttab",
                                   "Ủy ban nhân dân tỉnh Đồng Tháp — Kế hoạch 1012/QĐ-TTg ✓"};
    for (const std::string& value : hostile) {
        MessageEntry entry = sample_entry(1);
        entry.subject = value;
        entry.document_id = value;
        entry.knobstick_id = value;
        entry.signer = value;
        store->append_message(entry);
        AuditEntry audit;
        audit.actor = value;
        audit.action = "TEST";
        audit.detail = value;
        store->append_audit(audit);
        store->enqueue(WorkQueue::outbox, value, value);
    }
    const auto messages = store->messages(0, 100);
    const auto audits = store->audit_entries(0, 100);
    BOOST_REQUIRE_EQUAL(messages.size(), std::size(hostile));
    for (std::size_t i = 0; i < std::size(hostile); ++i) {
        BOOST_TEST(messages[i].subject == hostile[i]);
        BOOST_TEST(messages[i].document_id == hostile[i]);
        BOOST_TEST(messages[i].knobstick_id == hostile[i]);
        BOOST_TEST(audits[i].detail == hostile[i]);
        const auto item = store->claim(WorkQueue::outbox, "worker", std::chrono::minutes(1));
        BOOST_REQUIRE(item.has_value());
        BOOST_TEST(item->key == hostile[i]);
        BOOST_TEST(item->payload == hostile[i]);
        BOOST_TEST(store->complete(WorkQueue::outbox, item->id, "worker"));
    }
    for (const ChainReport& report : verify_chains(*store))
        BOOST_TEST(report.ok, report.chain << ": " << report.problem);
}

// Appends five messages and two audit entries, runs `tamper` with plain SQL, and checks
// that the chain named breaks at `bad_sequence`.
inline void expect_detected(const Backend& backend, const std::string& label,
                            const std::string& chain, std::int64_t bad_sequence,
                            const std::function<void(soci::session&)>& tamper) {
    std::string url;
    const auto store = fresh_store(backend, label, &url);
    for (int n = 1; n <= 5; ++n)
        store->append_message(sample_entry(n));
    for (const char* action : {"USER_CREATED", "TOKEN_ISSUED"}) {
        AuditEntry audit;
        audit.actor = "admin";
        audit.action = action;
        audit.target = "clerk1";
        store->append_audit(audit);
    }
    BOOST_TEST(report_for(*store, chain).ok);
    {
        soci::session raw = store_backends::raw_session(url);
        tamper(raw);
    }
    const ChainReport report = report_for(*store, chain);
    BOOST_TEST(!report.ok, label << ": tampering not detected");
    BOOST_TEST(report.first_bad_sequence == bad_sequence, label << ": " << report.problem);
}

inline void tampering_is_detected(const Backend& backend) {
    expect_detected(backend, "tamper_modified", "messages", 3, [](soci::session& sql) {
        sql << "UPDATE messages SET subject = 'Đã sửa' WHERE sequence = 3";
    });
    // Who asked for a package is chained too: naming another user is a modification.
    expect_detected(backend, "tamper_requested_by", "messages", 4, [](soci::session& sql) {
        sql << "UPDATE messages SET requested_by = 'user:mallory' WHERE sequence = 4";
    });
    expect_detected(backend, "tamper_deleted", "messages", 2,
                    [](soci::session& sql) { sql << "DELETE FROM messages WHERE sequence = 2"; });
    expect_detected(backend, "tamper_deleted_tail", "messages", 5,
                    [](soci::session& sql) { sql << "DELETE FROM messages WHERE sequence = 5"; });
    expect_detected(backend, "tamper_inserted", "messages", 6, [](soci::session& sql) {
        // (Another knobstick: a copy of one would meet the unique key, not the chain.)
        sql << "INSERT INTO messages SELECT 6, direction, kind, business_type, document_id, "
               "knobstick_id || '-copy', from_agency, "
               "to_agencies, status_code, 'chèn thêm', raw_base64, raw_sha256, raw_size, "
               "signature_verdict, signer, "
               "recorded_at, prev_hash, entry_hash, signer_agency, requested_by FROM messages "
               "WHERE "
               "sequence = 5";
        sql << "UPDATE chain_heads SET sequence = 6 WHERE chain = 'messages'";
    });
    expect_detected(backend, "tamper_reordered", "messages", 2, [](soci::session& sql) {
        sql << "UPDATE messages SET sequence = 100 WHERE sequence = 2";
        sql << "UPDATE messages SET sequence = 2 WHERE sequence = 3";
        sql << "UPDATE messages SET sequence = 3 WHERE sequence = 100";
    });
    expect_detected(backend, "tamper_raw", "messages", 4, [](soci::session& sql) {
        sql << "UPDATE messages SET raw_base64 = 'QUJD' WHERE sequence = 4";
    });
    expect_detected(backend, "tamper_direction", "messages", 2, [](soci::session& sql) {
        sql << "UPDATE messages SET direction = 'sideways' WHERE sequence = 2";
    });
    expect_detected(backend, "tamper_sequence_zero", "messages", 1, [](soci::session& sql) {
        sql << "INSERT INTO messages SELECT 0, direction, kind, business_type, document_id, "
               "knobstick_id || '-copy', from_agency, "
               "to_agencies, status_code, subject, raw_base64, raw_sha256, raw_size, "
               "signature_verdict, signer, "
               "recorded_at, prev_hash, entry_hash, signer_agency, requested_by FROM messages "
               "WHERE "
               "sequence = 1";
    });
    // The last entry rewritten with a hash that is right for its new content: only the
    // chain head row still knows the old end.
    expect_detected(backend, "tamper_tail_replaced", "messages", 5, [](soci::session& sql) {
        std::string prev_hash, recorded_at, raw_sha256;
        sql << "SELECT prev_hash, recorded_at, raw_sha256 FROM messages WHERE sequence = 5",
            soci::into(prev_hash), soci::into(recorded_at), soci::into(raw_sha256);
        MessageEntry forged = sample_entry(5);
        forged.sequence = 5;
        forged.subject = "Đã thay";
        forged.raw_sha256 = raw_sha256;
        forged.raw_size = static_cast<std::int64_t>(forged.raw.size());
        forged.recorded_at = recorded_at;
        const std::string hash = chain_hash(prev_hash, forged);
        sql << "UPDATE messages SET subject = :subject, entry_hash = :hash WHERE sequence = 5",
            soci::use(forged.subject), soci::use(hash);
    });
    expect_detected(backend, "tamper_audit", "audit_events", 1, [](soci::session& sql) {
        sql << "UPDATE audit_events SET target = 'someone-else' WHERE sequence = 1";
    });
    // Issue 12: a row past the head, correctly chained to the last entry, was ignored and
    // the chain said OK. No append writes a row without moving the head.
    expect_detected(backend, "tamper_past_head", "messages", 6, [](soci::session& sql) {
        std::string last_hash, recorded_at;
        sql << "SELECT entry_hash, recorded_at FROM messages WHERE sequence = 5",
            soci::into(last_hash), soci::into(recorded_at);
        MessageEntry forged = sample_entry(6);
        forged.sequence = 6;
        forged.business_type = 0;
        forged.to_agencies.clear();
        forged.status_code.clear();
        forged.raw_sha256 = edxml::sha256_hex(forged.raw);
        forged.raw_size = static_cast<std::int64_t>(forged.raw.size());
        forged.recorded_at = recorded_at;
        forged.prev_hash = last_hash;
        forged.entry_hash = chain_hash(last_hash, forged);
        const std::string direction = to_string(forged.direction),
                          raw = edxml::encode_base64(forged.raw, 0);
        const long long size = forged.raw_size;
        sql << "INSERT INTO messages (sequence, direction, kind, business_type, document_id, "
               "knobstick_id, from_agency, to_agencies, status_code, subject, raw_base64, "
               "raw_sha256, raw_size, signature_verdict, signer, recorded_at, prev_hash, "
               "entry_hash) VALUES (6, :direction, :kind, 0, :document, :knobstick, :from_agency, "
               "'', '', :subject, :raw, :sha, :size, :verdict, '', :at, :prev, :hash)",
            soci::use(direction), soci::use(forged.kind), soci::use(forged.document_id),
            soci::use(forged.knobstick_id), soci::use(forged.from_agency),
            soci::use(forged.subject), soci::use(raw), soci::use(forged.raw_sha256),
            soci::use(size), soci::use(forged.signature_verdict), soci::use(forged.recorded_at),
            soci::use(forged.prev_hash), soci::use(forged.entry_hash);
    });
}

inline void transport_state_lives_beside_the_log(const Backend& backend) {
    const auto store = fresh_store(backend, "transport");
    const MessageEntry stored = store->append_message(sample_entry(1));
    BOOST_TEST(!store->transport_state(stored.sequence).has_value());
    const auto state = [&](std::int64_t sequence) {
        return store->transport_state(sequence).value_or(TransportEntry{}).state;
    };
    // Compare-and-set: a first state from none; then only from the states named.
    BOOST_TEST(store->move_transport_state({stored.sequence, "queued", "", "", {}}, true, {}));
    BOOST_TEST(!store->move_transport_state({stored.sequence, "queued", "", "", {}}, true, {}));
    BOOST_TEST(
        !store->move_transport_state({stored.sequence, "delivered", "", "", {}}, false, {"sent"}));
    BOOST_TEST(state(stored.sequence) == "queued");
    BOOST_TEST(store->move_transport_state({stored.sequence, "sent", "", "0123abcd", {}}, true,
                                           {"queued", "retry_wait"}));
    // The reason in its column; an empty knobstick keeps the one recorded when sent.
    BOOST_TEST(store->move_transport_state(
        {stored.sequence, "undelivered", "no acknowledgement; it's 'quoted'", "", {}}, false,
        {"sent"}));
    const auto undelivered = store->transport_state(stored.sequence);
    BOOST_REQUIRE(undelivered.has_value());
    BOOST_TEST(undelivered->state == "undelivered");
    BOOST_TEST(undelivered->reason == "no acknowledgement; it's 'quoted'");
    BOOST_TEST(undelivered->knobstick == "0123abcd");
    // Names are the machines' words only: anything else is refused, nothing written.
    BOOST_CHECK_THROW(
        store->move_transport_state({stored.sequence, "sent') OR 1=1 --", "", "", {}}, true, {}),
        PermanentError);
    BOOST_CHECK_THROW(store->move_transport_state({stored.sequence, "failed", "", "", {}}, false,
                                                  {"undelivered'); DROP TABLE messages; --"}),
                      PermanentError);
    BOOST_TEST(state(stored.sequence) == "undelivered");

    const MessageEntry second = store->append_message(sample_entry(2));
    const MessageEntry third = store->append_message(sample_entry(3));
    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    BOOST_TEST(store->move_transport_state({second.sequence, "sent", "", "k-2", {}}, true, {}));
    BOOST_TEST(store->move_transport_state({third.sequence, "queued", "", "", {}}, true, {}));
    const auto sent = store->messages_in_state("sent", 10);
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    BOOST_TEST(sent[0].sequence == second.sequence);
    BOOST_TEST(sent[0].knobstick == "k-2");
    // Since when: the moment the state was written, on the store's clock.
    BOOST_TEST((sent[0].since > before));
    BOOST_TEST((sent[0].since < std::chrono::system_clock::now() + std::chrono::seconds(1)));
    BOOST_TEST(store->messages_in_state("sen", 10).empty());
    BOOST_TEST(store->messages_in_state("%", 10).empty());
    BOOST_TEST(store->messages(0, 1).at(0).entry_hash == stored.entry_hash);
    BOOST_TEST(report_for(*store, "messages").ok);
}

inline void leases(const Backend& backend) {
    const auto store = fresh_store(backend, "leases");
    const std::int64_t first = store->enqueue(WorkQueue::outbox, "doc-1|000.00.00.H20", "one");
    store->enqueue(WorkQueue::outbox, "doc-2|000.00.00.H20", "two");
    BOOST_CHECK_THROW(store->enqueue(WorkQueue::outbox, "doc-1|000.00.00.H20", "again"),
                      DuplicateError);
    BOOST_TEST(store->pending_count(WorkQueue::outbox) == 2);
    BOOST_TEST(store->pending_count(WorkQueue::inbox) == 0);

    const auto a = store->claim(WorkQueue::outbox, "daemon-a", std::chrono::minutes(5));
    const auto b = store->claim(WorkQueue::outbox, "daemon-b", std::chrono::minutes(5));
    BOOST_REQUIRE(a && b);
    BOOST_TEST(a->id == first);
    BOOST_TEST(a->payload == "one");
    BOOST_TEST(a->attempts == 1);
    BOOST_TEST(b->id != a->id);
    BOOST_TEST(!store->claim(WorkQueue::outbox, "daemon-c", std::chrono::minutes(5)).has_value());
    BOOST_TEST(!store->complete(WorkQueue::outbox, a->id, "daemon-b"));  // not its lease
    BOOST_TEST(store->complete(WorkQueue::outbox, a->id, "daemon-a"));
    BOOST_TEST(!store->complete(WorkQueue::outbox, a->id, "daemon-a"));  // done is done
    BOOST_TEST(store->release(WorkQueue::outbox, b->id, "daemon-b"));
    const auto again = store->claim(WorkQueue::outbox, "daemon-c", std::chrono::minutes(5));
    BOOST_REQUIRE(again.has_value());
    BOOST_TEST(again->id == b->id);
    BOOST_TEST(again->attempts == 2);
    BOOST_TEST(store->complete(WorkQueue::outbox, again->id, "daemon-c"));
    BOOST_TEST(store->pending_count(WorkQueue::outbox) == 0);
    BOOST_TEST(!store->claim(WorkQueue::outbox, "daemon-a", std::chrono::minutes(5)).has_value());
}

inline void expired_lease_is_claimable_again(const Backend& backend) {
    const auto store = fresh_store(backend, "expired_lease");
    store->enqueue(WorkQueue::inbox, "knob-1", "payload");
    // A lease that ended in the past stands for a daemon that died holding it.
    const auto dead =
        store->claim(WorkQueue::inbox, "dead-daemon", std::chrono::milliseconds(-1000));
    BOOST_REQUIRE(dead.has_value());
    const auto taken_over = store->claim(WorkQueue::inbox, "live-daemon", std::chrono::minutes(5));
    BOOST_REQUIRE(taken_over.has_value());
    BOOST_TEST(taken_over->id == dead->id);
    BOOST_TEST(taken_over->attempts == 2);
    BOOST_TEST(!store->complete(WorkQueue::inbox, dead->id, "dead-daemon"));  // its lease is gone
    BOOST_TEST(store->complete(WorkQueue::inbox, taken_over->id, "live-daemon"));
}

inline void errors_name_the_operation(const Backend& backend) {
    const auto store = fresh_store(backend, "errors");
    store->enqueue(WorkQueue::inbox, "knob-7", "x");
    try {
        store->enqueue(WorkQueue::inbox, "knob-7", "x");
        BOOST_ERROR("duplicate accepted");
    } catch (const DuplicateError& error) {
        BOOST_TEST(
            std::string(error.what()).find("enqueue into inbox 'knob-7'") != std::string::npos,
            error.what());
    }
    BOOST_CHECK_THROW(store::open_store("mysql://somewhere/db"), ConfigError);
    BOOST_CHECK_THROW(store::open_store("sqlite3:"), ConfigError);
}

inline Task sample_task(const std::string& code) {
    Task task;
    task.task_code = code;
    task.side = TaskSide::received;
    task.source_document_id = "000.00.00.H20,2025/04/15,125/KH-UBND";
    task.title = "Triển khai Phân hệ theo dõi nhiệm vụ tích hợp trên phần mềm quản lý văn bản";
    task.content = "'; DROP TABLE tasks; -- \"quoted\" \\ backslash";
    task.issuer = "000.00.00.H20";
    task.assignees = {{edxml::AssigneeRole::lead, "000.00.14.H20", "Sở Khoa học và Công nghệ"},
                      {edxml::AssigneeRole::coordinating, "000.00.01.H20", "Văn phòng UBND Tỉnh"},
                      {edxml::AssigneeRole::coordinating, "", "các sở, ban, ngành Tỉnh"}};
    task.due_date = edxml::Date{2025, 12, 31};
    task.due_text = "Tháng 12/2025";
    task.priority = 2;
    task.expected_result = "Phân hệ vận hành; 'kết quả' \\ cần đạt";  // migration 0016
    return task;
}

// Tasks round-trip every field, insertion is once per code, and an update carried by a
// message is applied once even when the message is applied again (after a crash).
inline void tasks_are_idempotent(const Backend& backend) {
    const auto store = fresh_store(backend, "tasks");
    const MessageEntry assignment = store->append_message(sample_entry(1));
    const MessageEntry report = store->append_message(sample_entry(2));
    Task task = sample_task("000.00.00.H20,2025/04/15,125/KH-UBND#III.3");
    const TaskEvent created{0, task.task_code, "assigned", "from the plan", assignment.sequence,
                            ""};
    BOOST_TEST(store->insert_task(task, created));
    BOOST_TEST(!store->insert_task(task, created));  // the same assignment again

    auto stored = store->task(task.task_code);
    BOOST_REQUIRE(stored.has_value());
    BOOST_TEST(!stored->created_at.empty());
    task.created_at = stored->created_at;
    task.updated_at = stored->updated_at;
    BOOST_TEST(stored->version == 1);
    task.version = stored->version;
    BOOST_TEST((*stored == task));

    Task progressed = task;
    progressed.progress = 60;
    progressed.progress_note = "Đã kết nối thử nghiệm";
    progressed.status.current = edxml::StatusKind::processing;
    progressed.completion_date = edxml::Date{2025, 11, 30};
    const TaskEvent reported{0, task.task_code, "progress", "60 %", report.sequence, ""};
    BOOST_TEST(store->update_task(progressed, reported));
    Task replayed = progressed;
    replayed.progress = 99;  // what a second application would write: it must not
    BOOST_TEST(!store->update_task(replayed, reported));
    stored = store->task(task.task_code);
    BOOST_REQUIRE(stored.has_value());
    BOOST_TEST(stored->progress == 60);
    BOOST_TEST(stored->progress_note == "Đã kết nối thử nghiệm");
    BOOST_TEST((stored->status.current == edxml::StatusKind::processing));
    BOOST_TEST((stored->completion_date == edxml::Date{2025, 11, 30}));

    // Events without a message are never deduplicated.
    BOOST_TEST(store->add_task_event({0, task.task_code, "note", "a", 0, ""}));
    BOOST_TEST(store->add_task_event({0, task.task_code, "note", "a", 0, ""}));
    const auto events = store->task_events(task.task_code);
    BOOST_REQUIRE_EQUAL(events.size(), 4u);
    BOOST_TEST(events[0].kind == "assigned");
    BOOST_TEST(events[0].message_sequence == assignment.sequence);
    BOOST_TEST(events[1].kind == "progress");
    BOOST_TEST(events[3].message_sequence == 0);

    // Paging by code.
    for (const char* code : {"A#1", "A#2", "A#3"})
        store->insert_task(sample_task(code), {0, code, "assigned", "", 0, ""});
    const auto first = store->tasks("", 2);
    BOOST_REQUIRE_EQUAL(first.size(), 2u);
    BOOST_TEST(first[0].task_code == "000.00.00.H20,2025/04/15,125/KH-UBND#III.3");
    const auto rest = store->tasks(first[1].task_code, 10);
    BOOST_REQUIRE_EQUAL(rest.size(), 2u);
    BOOST_TEST(rest[1].task_code == "A#3");
    BOOST_TEST(rest[1].assignees.size() == 3u);
    const auto of_document = store->tasks_of_document("000.00.00.H20,2025/04/15,125/KH-UBND");
    BOOST_TEST(of_document.size() == 4u);
    BOOST_TEST(store->tasks_of_document("000.00.00.H20,2025/04/15,999/KH-UBND").empty());
    BOOST_CHECK_THROW(
        store->update_task(sample_task("no-such-task"), {0, "no-such-task", "x", "", 0, ""}),
        PermanentError);
}

// The change feed follows the task events exactly: one event per recorded task event,
// none for a write that was skipped (a message applied twice) or rolled back (no such
// task). Webhook deliveries move the "next event" on; idempotency keys keep an answer.
// GET /metrics' webhook lag: per target served, the events after the last one it was
// given (delivered or abandoned; where it was first served when later) and the oldest
// of them; a target nothing waits for has none.
inline void webhook_backlogs_are_measured(const Backend& backend) {
    const auto store = fresh_store(backend, "webhook_figures");
    BOOST_TEST(store->operations_figures().webhooks.empty());
    for (int i = 1; i <= 3; ++i)
        BOOST_TEST(store->insert_task(sample_task("W#" + std::to_string(i)),
                                      {0, "W#" + std::to_string(i), "assigned", "", 0, ""}));
    const auto events = store->backend_events(0, 100);
    BOOST_REQUIRE_EQUAL(events.size(), 3u);
    const std::string behind = "http://idesk.local/hooks?x='; DROP TABLE backend_events; --";
    const std::string late = "http://late.local/";
    BOOST_TEST(store->first_serve_of_webhook_target(behind, 0));
    BOOST_TEST(store->first_serve_of_webhook_target(late, events[2].sequence));
    connector::WebhookDelivery delivery = store->next_webhook_event(behind)->second;
    delivery.state = WebhookState::delivered;
    store->record_webhook_delivery(behind, delivery);
    delivery.event_sequence = events[1].sequence;
    delivery.state = WebhookState::pending;  // being retried: still waiting
    delivery.attempts = 3;
    store->record_webhook_delivery(behind, delivery);

    auto figures = store->operations_figures().webhooks;
    BOOST_REQUIRE_EQUAL(figures.size(), 2u);
    BOOST_TEST(figures[0].target == behind);  // by target
    BOOST_TEST(figures[0].undelivered == 2);
    BOOST_TEST(figures[0].oldest_undelivered == events[1].recorded_at);
    BOOST_TEST(figures[1].target == late);  // first served after all three
    BOOST_TEST(figures[1].undelivered == 0);
    BOOST_TEST(figures[1].oldest_undelivered.empty());

    delivery.state = WebhookState::abandoned;
    store->record_webhook_delivery(behind, delivery);
    figures = store->operations_figures().webhooks;
    BOOST_TEST(figures[0].undelivered == 1);
    BOOST_TEST(figures[0].oldest_undelivered == events[2].recorded_at);
}

inline void feed_webhooks_and_idempotency_keys(const Backend& backend) {
    std::string url;
    const auto store = fresh_store(backend, "feed", &url);
    const auto other = store::open_store(url);  // a second writer, as the API server is
    const MessageEntry message = store->append_message(sample_entry(1));
    Task task = sample_task("F#1");
    BOOST_TEST(store->insert_task(task, {0, "F#1", "assigned", "by G22", message.sequence, ""}));
    BOOST_TEST(!store->insert_task(task, {0, "F#1", "assigned", "by G22", message.sequence, ""}));
    task = *store->task("F#1");
    task.progress = 50;
    BOOST_TEST(other->update_task(task, {0, "F#1", "progress", "50 %", message.sequence, ""}));
    BOOST_TEST(!store->update_task(task, {0, "F#1", "progress", "50 %", message.sequence, ""}));
    BOOST_CHECK_THROW(other->update_task(sample_task("none"), {0, "none", "progress", "", 0, ""}),
                      PermanentError);
    BOOST_TEST(store->add_task_event({0, "F#1", "delivery_failed", "not delivered", 0, ""}));
    const auto events = other->backend_events(0, 100);
    BOOST_REQUIRE_EQUAL(events.size(), 3u);
    BOOST_TEST(events[0].kind == "task.assigned");
    BOOST_TEST(events[0].message_sequence == message.sequence);
    BOOST_TEST(events[1].kind == "task.progress");
    BOOST_TEST(events[1].detail == "50 %");
    BOOST_TEST(events[2].kind == "task.delivery_failed");
    BOOST_TEST(events[0].sequence < events[1].sequence);
    BOOST_TEST(events[1].sequence < events[2].sequence);
    BOOST_TEST(store->last_backend_event() == events[2].sequence);
    BOOST_TEST(store->backend_events(events[0].sequence, 1).front().sequence == events[1].sequence);

    const std::string target = "http://idesk.local/hooks?x='; DROP TABLE backend_events; --";
    auto next = store->next_webhook_event(target);
    BOOST_REQUIRE(next.has_value());
    BOOST_TEST(next->first.sequence == events[0].sequence);
    BOOST_TEST(next->second.attempts == 0);
    connector::WebhookDelivery delivery = next->second;
    delivery.attempts = 1;
    delivery.last_error = "HTTP 503";
    delivery.next_attempt_at_ms = 42;
    store->record_webhook_delivery(target, delivery);
    next = other->next_webhook_event(target);
    BOOST_TEST(next->first.sequence == events[0].sequence);  // still the first: in order
    BOOST_TEST(next->second.attempts == 1);
    BOOST_TEST(next->second.next_attempt_at_ms == 42);
    BOOST_TEST(next->second.last_error == "HTTP 503");
    delivery.state = WebhookState::delivered;
    store->record_webhook_delivery(target, delivery);
    delivery.event_sequence = events[1].sequence;
    delivery.state = WebhookState::abandoned;
    store->record_webhook_delivery(target, delivery);
    BOOST_TEST(store->next_webhook_event(target)->first.sequence == events[2].sequence);
    // Another target has its own place in the feed.
    BOOST_TEST(store->next_webhook_event("http://other/")->first.sequence == events[0].sequence);

    const auto keep = std::chrono::hours(24);
    BOOST_TEST(!store->claim_idempotency_key("idesk", "k1", "hash-a", keep).has_value());
    auto earlier = other->claim_idempotency_key("idesk", "k1", "hash-a", keep);
    BOOST_REQUIRE(earlier.has_value());
    BOOST_TEST(earlier->status == 0);  // claimed, no answer yet
    store->record_idempotent_answer("idesk", "k1", 202, "{\"message\": 7}");
    earlier = other->claim_idempotency_key("idesk", "k1", "hash-b", keep);
    BOOST_TEST(earlier->status == 202);
    BOOST_TEST(earlier->request_hash == "hash-a");
    BOOST_TEST(earlier->body == "{\"message\": 7}");
    BOOST_TEST(!store->claim_idempotency_key("clerk", "k1", "hash-a", keep).has_value());
    // A key whose call failed is freed; an answered one is not.
    store->release_idempotency_key("clerk", "k1");
    BOOST_TEST(!store->claim_idempotency_key("clerk", "k1", "hash-a", keep).has_value());
    store->release_idempotency_key("idesk", "k1");
    BOOST_TEST(store->claim_idempotency_key("idesk", "k1", "hash-a", keep).has_value());
    // Keys older than `keep` are forgotten.
    BOOST_TEST(!store->claim_idempotency_key("idesk", "k1", "hash-a", std::chrono::seconds(-1))
                    .has_value());
}

// A postponed item waits (its lease runs on); one postponed into the past is free again.
inline void postponed_items_wait(const Backend& backend) {
    const auto store = fresh_store(backend, "postpone");
    store->enqueue(WorkQueue::outbox, "doc|000.00.00.G22", "p");
    const auto claimed = store->claim(WorkQueue::outbox, "daemon-a", std::chrono::seconds(30));
    BOOST_REQUIRE(claimed.has_value());
    BOOST_TEST(!store->postpone(WorkQueue::outbox, claimed->id, "daemon-b", std::chrono::hours(1)));
    BOOST_TEST(store->postpone(WorkQueue::outbox, claimed->id, "daemon-a", std::chrono::hours(1)));
    BOOST_TEST(!store->claim(WorkQueue::outbox, "daemon-b", std::chrono::seconds(30)).has_value());
    BOOST_TEST(store->postpone(WorkQueue::outbox, claimed->id, "daemon-a",
                               std::chrono::milliseconds(-1000)));
    const auto retried = store->claim(WorkQueue::outbox, "daemon-b", std::chrono::seconds(30));
    BOOST_REQUIRE(retried.has_value());
    BOOST_TEST(retried->attempts == 2);
}

// How an inbound knobstick offered twice, or the same document under two knobsticks,
// is recognised.
inline void messages_are_found_by_knobstick_and_document(const Backend& backend) {
    const auto store = fresh_store(backend, "lookup");
    for (int n = 1; n <= 4; ++n)
        store->append_message(sample_entry(n));
    const auto found = store->message_by_knobstick(Direction::inbound, "knob-1");
    BOOST_REQUIRE(found.has_value());
    BOOST_TEST(found->sequence == 1);
    BOOST_TEST(found->raw == sample_entry(1).raw);
    BOOST_TEST(!store->message_by_knobstick(Direction::outbound, "knob-1").has_value());
    BOOST_TEST(!store->message_by_knobstick(Direction::inbound, "knob-1' OR '1'='1").has_value());
    const auto same =
        store->messages_by_document(Direction::inbound, "edoc", sample_entry(1).document_id);
    BOOST_REQUIRE_EQUAL(same.size(), 1u);
    BOOST_TEST(same[0] == 1);
    BOOST_TEST(
        store->messages_by_document(Direction::inbound, "status", sample_entry(1).document_id)
            .empty());
}

// Issue 16: the auditors had no way to list the log but SQL. The search filters by each
// column, newest first in keyset pages, with a total; a recipient matches whole codes
// only; hostile values are data; every transport state is kept, and the task events a
// message caused are found from it.
inline void the_log_is_searched_for_auditors(const Backend& backend) {
    std::string backend_url;
    const auto store = fresh_store(backend, "auditor_search", &backend_url);
    for (int n = 1; n <= 12; ++n) {
        MessageEntry entry = sample_entry(n);
        if (n == 5) {
            entry.signature_verdict = "invalid";
            entry.from_agency = "000.00.00.H2";
            entry.to_agencies = "000.00.00.G22";
        }
        store->append_message(entry);
    }
    const auto sequences = [](const MessagePage& page) {
        std::vector<std::int64_t> found;
        for (const LoggedMessage& message : page.messages)
            found.push_back(message.entry.sequence);
        return found;
    };
    MessageQuery all;
    all.limit = 5;
    const MessagePage first = store->find_messages(all);
    BOOST_TEST(sequences(first) == (std::vector<std::int64_t>{12, 11, 10, 9, 8}));
    BOOST_TEST(first.total == 12);
    BOOST_TEST(first.total_exact);
    BOOST_TEST(first.messages[0].entry.raw.empty());
    BOOST_TEST(first.messages[0].entry.raw_size ==
               static_cast<std::int64_t>(sample_entry(12).raw.size()));
    all.before_sequence = 8;
    BOOST_TEST(sequences(store->find_messages(all)) == (std::vector<std::int64_t>{7, 6, 5, 4, 3}));

    MessageQuery by_document;
    by_document.document_id = sample_entry(7).document_id;
    BOOST_TEST(sequences(store->find_messages(by_document)) == (std::vector<std::int64_t>{7}));
    MessageQuery by_knobstick;
    by_knobstick.knobstick_id = "knob-9";
    BOOST_TEST(sequences(store->find_messages(by_knobstick)) == (std::vector<std::int64_t>{9}));
    MessageQuery by_verdict;
    by_verdict.verdict = "invalid";
    const MessagePage invalid = store->find_messages(by_verdict);
    BOOST_TEST(sequences(invalid) == (std::vector<std::int64_t>{5}));
    BOOST_TEST(invalid.total == 1);
    MessageQuery statuses;
    statuses.kind = "status";
    statuses.direction = "outbound";
    statuses.status_code = "03";
    BOOST_TEST(sequences(store->find_messages(statuses)) == (std::vector<std::int64_t>{12, 6}));
    MessageQuery revocations;
    revocations.business_type = 1;
    BOOST_TEST(sequences(store->find_messages(revocations)) ==
               (std::vector<std::int64_t>{9, 5, 1}));
    // An agency is the sender or one whole code of the recipients: H2 is not H20.
    MessageQuery h2;
    h2.agency = "000.00.00.H2";
    BOOST_TEST(sequences(store->find_messages(h2)) == (std::vector<std::int64_t>{5}));
    MessageQuery g14;
    g14.agency = "000.00.00.G14";
    BOOST_TEST(store->find_messages(g14).total == 11);
    MessageQuery wildcard;
    wildcard.agency = "%";
    BOOST_TEST(store->find_messages(wildcard).messages.empty());
    // Newest first in keyset pages with the agency too, other filters applied on top.
    MessageQuery g14_page;
    g14_page.agency = "000.00.00.G14";
    g14_page.limit = 4;
    g14_page.before_sequence = 9;
    const MessagePage g14_older = store->find_messages(g14_page);
    BOOST_TEST(sequences(g14_older) == (std::vector<std::int64_t>{8, 7, 6, 4}));
    BOOST_TEST(g14_older.total == 11);
    g14_page.kind = "status";
    BOOST_TEST(sequences(store->find_messages(g14_page)) == (std::vector<std::int64_t>{6, 3}));
    MessageQuery hostile;
    hostile.document_id = "x' OR '1'='1";
    hostile.verdict = "absent'); DROP TABLE messages; --";
    BOOST_TEST(store->find_messages(hostile).messages.empty());
    BOOST_TEST(store->find_messages(all).total == 12);
    // A recipient list written loosely is read as the API reads it, one code at a time.
    MessageEntry loose = sample_entry(13);
    loose.to_agencies = " 000.00.14.H20 ,, 000.00.22.H20 ";
    store->append_message(loose);
    MessageQuery second_recipient;
    second_recipient.agency = "000.00.22.H20";
    BOOST_TEST(sequences(store->find_messages(second_recipient)) ==
               (std::vector<std::int64_t>{13}));
    // Entries logged before migration 0014 are split by the migration the same way (the
    // database taken back to schema 13: 0015 and 0016 undone too).
    {
        soci::session raw = store_backends::raw_session(backend_url);
        raw << "DROP INDEX tasks_by_update";
        raw << "ALTER TABLE tasks DROP COLUMN expected_result";
        raw << "ALTER TABLE api_clients DROP COLUMN expires_at";
        raw << "DROP TABLE message_agencies";
        raw << "DROP INDEX messages_by_kind";
        raw << "DROP TABLE message_tallies";
        if (raw.get_backend_name() == std::string("sqlite3")) {
            raw << "DROP TRIGGER message_tallied";
        } else {
            raw << "DROP TRIGGER message_tallied ON messages";
            raw << "DROP FUNCTION message_tallied()";
        }
        raw << "DELETE FROM schema_version WHERE version >= 14";
    }
    BOOST_TEST(store::migrate(backend_url).from == 13);
    BOOST_TEST(sequences(store->find_messages(second_recipient)) ==
               (std::vector<std::int64_t>{13}));
    second_recipient.agency = "000.00.14.H20";
    BOOST_TEST(sequences(store->find_messages(second_recipient)) ==
               (std::vector<std::int64_t>{13}));
    BOOST_TEST(store->find_messages(h2).total == 1);
    BOOST_TEST(store->find_messages(g14).total == 11);
    BOOST_TEST(store->find_messages(wildcard).messages.empty());
    all.before_sequence = 0;
    BOOST_TEST(store->find_messages(all).total == 13);
    all.before_sequence = 8;
    // Time range: everything was recorded before now and after a minute ago.
    MessageQuery later;
    later.since = utc_text(std::chrono::system_clock::now() + std::chrono::minutes(1));
    BOOST_TEST(store->find_messages(later).total == 0);
    MessageQuery window;
    window.since = utc_text(std::chrono::system_clock::now() - std::chrono::minutes(1));
    window.until = utc_text(std::chrono::system_clock::now() + std::chrono::minutes(1));
    BOOST_TEST(store->find_messages(window).total == 13);

    // Transport: the state is in the page, its history in the order it was entered.
    BOOST_TEST(store->move_transport_state({4, "queued", "", "", {}}, true, {}));
    BOOST_TEST(store->move_transport_state({4, "sent", "", "k-4", {}}, false, {"queued"}));
    BOOST_TEST(store->move_transport_state({4, "delivered", "", "", {}}, false, {"sent"}));
    BOOST_TEST(!store->move_transport_state({4, "failed", "", "", {}}, false, {"queued"}));
    MessageQuery delivered;
    delivered.transport_state = "delivered";
    const MessagePage found = store->find_messages(delivered);
    BOOST_REQUIRE_EQUAL(found.messages.size(), 1u);
    BOOST_REQUIRE(found.messages[0].transport.has_value());
    BOOST_TEST(found.messages[0].transport->knobstick == "k-4");
    std::vector<std::string> states;
    for (const TransportEntry& step : store->transport_history(4))
        states.push_back(step.state + "/" + step.knobstick);
    BOOST_TEST(states == (std::vector<std::string>{"queued/", "sent/k-4", "delivered/k-4"}));
    BOOST_TEST(store->transport_history(3).empty());
    // What we sent is found by the knobstick the axis gave it.
    MessageQuery sent_knobstick;
    sent_knobstick.knobstick_id = "k-4";
    BOOST_TEST(sequences(store->find_messages(sent_knobstick)) == (std::vector<std::int64_t>{4}));

    // The task events a message caused.
    Task task;
    task.task_code = "AUD-1";
    task.side = TaskSide::received;
    task.source_document_id = sample_entry(7).document_id;
    task.title = "Nhiệm vụ kiểm toán";
    task.issuer = "000.00.00.G22";
    BOOST_TEST(store->insert_task(task, {0, "AUD-1", "assigned", "from message 7", 7, ""}));
    const auto touched = store->events_of_message(7);
    BOOST_REQUIRE_EQUAL(touched.size(), 1u);
    BOOST_TEST(touched[0].task_code == "AUD-1");
    BOOST_TEST(store->events_of_message(8).empty());

    // The audit events, searched.
    store->append_audit({0, "admin", "USER_CREATED", "van-thu", "role=clerk", "", "", ""});
    store->append_audit({0, "van-thu", "LOGIN", "van-thu", "", "", "", ""});
    store->append_audit({0, "admin", "TOKEN_CREATED", "idesk", "role=backend", "", "", ""});
    AuditQuery by_actor;
    by_actor.actor = "admin";
    const auto admins = store->find_audit_entries(by_actor);
    BOOST_REQUIRE_EQUAL(admins.size(), 2u);
    BOOST_TEST(admins[0].action == "TOKEN_CREATED");
    AuditQuery by_action;
    by_action.action = "LOGIN";
    by_action.actor = "admin' OR '1'='1";
    BOOST_TEST(store->find_audit_entries(by_action).empty());
    AuditQuery paged;
    paged.before_sequence = 3;
    paged.limit = 1;
    const auto older = store->find_audit_entries(paged);
    BOOST_REQUIRE_EQUAL(older.size(), 1u);
    BOOST_TEST(older[0].sequence == 2);
}

// Issue 17: an operator upgrades, years later, a database the first release (schema 3)
// left, with its log, a transport state and a task in it. Until asked to, the connector
// refuses it, naming the way; upgraded, the chains written by the first release still
// verify, and every later table derived from the log (transport history, agencies) holds
// the old rows.
inline void an_older_release_is_upgraded_with_its_data(const Backend& backend) {
    const std::string url = backend.fresh_url("upgrade");
    BOOST_TEST(store::migrate(url, 3).to == 3);
    std::string head = kGenesisHash;
    {
        soci::session raw = store_backends::raw_session(url);
        for (int n = 1; n <= 3; ++n) {
            MessageEntry e = sample_entry(n);
            e.sequence = n;
            e.raw_sha256 = edxml::sha256_hex(e.raw);
            e.raw_size = static_cast<std::int64_t>(e.raw.size());
            e.recorded_at = "2025-04-10T08:00:0" + std::to_string(n) + ".000Z";
            e.prev_hash = head;
            e.entry_hash = chain_hash(head, e);  // as release 1 hashed: no later fields set
            head = e.entry_hash;
            const std::string direction = to_string(e.direction);
            const std::string base64 = edxml::encode_base64(e.raw, 0);
            const long long sequence = n, size = e.raw_size;
            raw << "INSERT INTO messages (sequence, direction, kind, business_type, document_id, "
                   "knobstick_id, from_agency, to_agencies, status_code, subject, raw_base64, "
                   "raw_sha256, raw_size, signature_verdict, signer, recorded_at, prev_hash, "
                   "entry_hash) VALUES (:sequence, :direction, :kind, :business_type, :document, "
                   ":knobstick, :sender, :recipients, :code, :subject, :raw, :sha, :size, "
                   ":verdict, :signer, :at, :prev, :hash)",
                soci::use(sequence), soci::use(direction), soci::use(e.kind),
                soci::use(e.business_type), soci::use(e.document_id), soci::use(e.knobstick_id),
                soci::use(e.from_agency), soci::use(e.to_agencies), soci::use(e.status_code),
                soci::use(e.subject), soci::use(base64), soci::use(e.raw_sha256), soci::use(size),
                soci::use(e.signature_verdict), soci::use(e.signer), soci::use(e.recorded_at),
                soci::use(e.prev_hash), soci::use(e.entry_hash);
        }
        raw << "UPDATE chain_heads SET sequence = 3, hash = :hash WHERE chain = 'messages'",
            soci::use(head);
        raw << "INSERT INTO message_transport (sequence, state, updated_at) VALUES (2, "
               "'delivered', '2025-04-10T08:00:05.000Z')";
        raw << "INSERT INTO tasks (task_code, source_document_id, title, issuer, due_text, "
               "created_at, updated_at) VALUES ('R1#1', 'R1-DOC', 'Nhiệm vụ từ bản phát hành "
               "đầu', '000.00.00.G22', 'Quý IV năm 2026', '2025-04-10T08:00:00.000Z', "
               "'2025-04-10T08:00:00.000Z')";
    }
    // Refused until asked, naming the way; an empty database is simply set up.
    for (const store::Migrations refused :
         {store::Migrations::refuse, store::Migrations::set_up_when_empty}) {
        try {
            store::open_store(url, refused);
            BOOST_ERROR("an older database was opened without an upgrade");
        } catch (const PermanentError& error) {
            BOOST_TEST(std::string(error.what()).find("at version 3") != std::string::npos,
                       error.what());
            BOOST_TEST(std::string(error.what()).find("connector backup") != std::string::npos,
                       error.what());
        }
    }
    BOOST_TEST(
        store::open_store(backend.fresh_url("upgrade_empty"), store::Migrations::set_up_when_empty)
            ->schema_version() == store::expected_schema_version());

    const store::MigrationResult upgraded = store::migrate(url);
    BOOST_TEST(upgraded.from == 3);
    BOOST_TEST(upgraded.to == store::expected_schema_version());
    const auto store = store::open_store(url);
    for (const ChainReport& report : verify_chains(*store))
        BOOST_TEST(report.ok, report.chain << ": " << report.problem);
    BOOST_TEST(report_for(*store, "messages").count == 3);
    BOOST_TEST(store->message_head().hash == head);
    const auto transport = store->transport_state(2);
    BOOST_REQUIRE(transport.has_value());
    BOOST_TEST(transport->state == "delivered");
    BOOST_TEST(store->transport_history(2).size() == 1u);
    MessageQuery by_recipient;
    by_recipient.agency = "000.00.00.G14";
    BOOST_TEST(store->find_messages(by_recipient).total == 3);
    const auto task = store->task("R1#1");
    BOOST_REQUIRE(task.has_value());
    BOOST_TEST(task->title == "Nhiệm vụ từ bản phát hành đầu");
    BOOST_TEST(task->due_text == "Quý IV năm 2026");
    // The upgraded log goes on: a new entry chains onto the old head.
    const MessageEntry next = store->append_message(sample_entry(4));
    BOOST_TEST(next.sequence == 4);
    BOOST_TEST(next.prev_hash == head);
    BOOST_TEST(report_for(*store, "messages").ok);
}

// Issue 14: two writers of one database read the same log head and gave two reports the
// same number (head + 1); a knobstick could be logged twice, once per daemon. Numbers now
// come from one counter, and unique keys refuse a second copy of a knobstick or of a
// document we originate, naming it, without touching the chain.
inline void document_numbers_and_unique_keys(const Backend& backend) {
    std::string url;
    const auto first = fresh_store(backend, "unique_keys", &url);
    const auto second = store::open_store(url);
    std::int64_t last = 0;
    for (int i = 0; i < 6; ++i) {
        const std::int64_t number = (i % 2 ? *first : *second).next_document_number();
        BOOST_TEST(number > last);
        last = number;
    }
    // Writers at the same moment, each on its own connection.
    std::vector<std::vector<std::int64_t>> drawn(3);
    std::vector<std::thread> writers;
    for (auto& numbers : drawn)
        writers.emplace_back([&url, &numbers] {
            const auto store = store::open_store(url);
            for (int i = 0; i < 40; ++i)
                numbers.push_back(store->next_document_number());
        });
    for (auto& writer : writers)
        writer.join();
    std::set<std::int64_t> distinct;
    for (const auto& numbers : drawn)
        distinct.insert(numbers.begin(), numbers.end());
    BOOST_TEST(distinct.size() == 120u);
    BOOST_TEST(*distinct.begin() > last);

    const auto names = [](const std::string& part) {
        return [part](const DuplicateError& error) {
            return std::string(error.what()).find(part) != std::string::npos;
        };
    };
    MessageEntry inbound = sample_entry(1);  // inbound, knob-1
    first->append_message(inbound);
    inbound.document_id = "000.00.00.G22,2025/04/10,1/other";
    BOOST_CHECK_EXCEPTION(second->append_message(inbound), DuplicateError,
                          names("knobstick 'knob-1' is logged already"));
    MessageEntry report;
    report.direction = Direction::outbound;
    report.kind = "edoc";
    report.document_id = "000.00.00.H20,2026/12/02,7/BC";
    report.from_agency = "000.00.00.H20";
    report.to_agencies = "000.00.00.G22";
    report.raw = "<report/>";
    report.signature_verdict = "absent";
    first->append_message(report);
    BOOST_CHECK_EXCEPTION(second->append_message(report), DuplicateError,
                          names("document '000.00.00.H20,2026/12/02,7/BC' is logged already"));
    // The same DocumentId stays free for what is not a new document of ours: its
    // revocation, a status about it, a copy received from elsewhere.
    MessageEntry revocation = report;
    revocation.business_type = 1;
    MessageEntry status = report;
    status.kind = "status";
    MessageEntry received = report;
    received.direction = Direction::inbound;
    received.knobstick_id = "knob-99";
    for (const MessageEntry& entry : {revocation, status, status, received})
        BOOST_CHECK_NO_THROW(first->append_message(entry));
    // One 01 (received) per document and agency it goes back to; other codes repeat.
    MessageEntry reply = status;
    reply.status_code = "01";
    first->append_message(reply);
    BOOST_CHECK_EXCEPTION(second->append_message(reply), DuplicateError,
                          names("the 01 for document '000.00.00.H20,2026/12/02,7/BC' to "
                                "000.00.00.G22 is logged already"));
    MessageEntry reply_elsewhere = reply;
    reply_elsewhere.to_agencies = "000.00.00.H29";
    MessageEntry answer = status;
    answer.status_code = "16";
    for (const MessageEntry& entry : {reply_elsewhere, answer, answer})
        BOOST_CHECK_NO_THROW(first->append_message(entry));
    const ChainReport chain = report_for(*second, "messages");
    BOOST_TEST(chain.ok, chain.problem);
    BOOST_TEST(chain.count == 10);
}

// Issue 14: a unit of work (Store::in_one_transaction) is all or nothing, one commit;
// a call in it that fails is undone alone, so a DuplicateError the caller expects does
// not spoil the rest (on PostgreSQL a failed statement aborts its transaction).
inline void units_of_work_are_all_or_nothing(const Backend& backend) {
    std::string url;
    const auto store = fresh_store(backend, "units", &url);
    const auto other = store::open_store(url);
    struct Undone {};
    MessageEntry first = sample_entry(1);
    BOOST_CHECK_THROW(store->in_one_transaction([&] {
        const MessageEntry logged = store->append_message(first);
        BOOST_TEST(move(*store, logged.sequence, InboundState::stored));
        store->enqueue(WorkQueue::inbox, "knobstick:knob-1", std::to_string(logged.sequence));
        store->insert_task(sample_task("T-1"), {0, "T-1", "assigned", "", logged.sequence, ""});
        throw Undone{};
    }),
                      Undone);
    // Nothing of it is left, and the chain goes on from where it stood.
    BOOST_TEST(store->message_head().sequence == 0);
    BOOST_TEST(store->pending_count(WorkQueue::inbox) == 0);
    BOOST_TEST(!store->task("T-1").has_value());
    BOOST_TEST(other->message_head().sequence == 0);

    std::int64_t sequence = 0;
    store->in_one_transaction([&] {
        sequence = store->append_message(first).sequence;
        BOOST_CHECK_THROW(store->append_message(first), DuplicateError);  // knob-1 again
        store->enqueue(WorkQueue::inbox, "knobstick:knob-1", std::to_string(sequence));
        BOOST_CHECK_THROW(
            store->enqueue(WorkQueue::inbox, "knobstick:knob-1", std::to_string(sequence)),
            DuplicateError);
        store->in_one_transaction([&] {  // nested: part of this one
            BOOST_TEST(move(*store, sequence, InboundState::stored));
        });
        store->append_message(sample_entry(2));
    });
    BOOST_TEST(other->message_head().sequence == 2);
    BOOST_TEST(other->pending_count(WorkQueue::inbox) == 1);
    BOOST_TEST((inbound_transport(*other, sequence)->state == InboundState::stored));
    const ChainReport chain = report_for(*other, "messages");
    BOOST_TEST(chain.ok, chain.problem);
    BOOST_TEST(chain.count == 2);

    // A ConflictError inside a unit undoes its own writes (the event written before the
    // version check), so the retry on a fresh read records the update. The task was read
    // before the unit and changed by another writer in between (on PostgreSQL a unit
    // takes the change feed's lock as it begins, so no writer comes in while it is open;
    // SQLite's unit holds the write lock).
    if (url.rfind("postgresql", 0) != 0)
        return;
    other->insert_task(sample_task("T-2"), {0, "T-2", "assigned", "", 0, ""});
    bool retried = false;
    Task stale = *store->task("T-2");
    Task fresher = *other->task("T-2");
    fresher.progress = 10;
    other->update_task(fresher, {0, "T-2", "report", "10 %", 0, ""});  // commits first
    store->in_one_transaction([&] {
        stale.progress = 50;
        const TaskEvent event{0, "T-2", "report", "50 %", sequence, ""};
        try {
            store->update_task(stale, event);
        } catch (const ConflictError&) {
            retried = true;
            Task again = *store->task("T-2");
            again.progress = 50;
            BOOST_TEST(store->update_task(again, event));  // not "applied already"
        }
    });
    BOOST_TEST(retried);
    BOOST_TEST(other->task("T-2")->progress == 50);
    std::size_t fifty = 0;
    for (const TaskEvent& event : other->task_events("T-2"))
        fifty += event.detail == "50 %";
    BOOST_TEST(fifty == 1u);
}

// Issue 15: the users of the pages: kept with their units, one per name, a password
// change clears a lockout, disabled once; names and units that look like SQL are data.
inline void users_are_kept_with_their_units(const Backend& backend) {
    const auto store = fresh_store(backend, "users");
    User clerk;
    clerk.name = "van-thu.skhcn";
    clerk.role = "clerk";
    clerk.units = {"000.00.14.H20", "000.00.01.H20", "000.00.14.H20"};
    clerk.password_hash = "pbkdf2-sha256$600000$c2FsdA==$aGFzaA==";
    store->create_user(clerk);
    User leader;
    leader.name = "lanh-dao";
    leader.role = "leader";
    leader.password_hash = "pbkdf2-sha256$600000$c2FsdA==$b3RoZXI=";
    store->create_user(leader);
    BOOST_CHECK_THROW(store->create_user(leader), DuplicateError);
    User hostile = leader;
    hostile.name = "x'); DROP TABLE users; --";
    hostile.role = "clerk";
    hostile.units = {"' OR '1'='1"};
    store->create_user(hostile);
    User wrong_role = leader;
    wrong_role.name = "someone";
    wrong_role.role = "superuser";  // the schema allows the four roles only
    BOOST_CHECK_THROW(store->create_user(wrong_role), Error);

    const auto read = store->user("van-thu.skhcn");
    BOOST_TEST_REQUIRE(read.has_value());
    BOOST_TEST(read->role == "clerk");
    BOOST_TEST((read->units == std::vector<std::string>{"000.00.01.H20", "000.00.14.H20"}));
    BOOST_TEST(read->password_hash == clerk.password_hash);
    BOOST_TEST(!read->created_at.empty());
    BOOST_TEST(read->disabled_at.empty());
    BOOST_TEST(!store->user("nobody").has_value());
    BOOST_TEST(store->user(hostile.name)->units.front() == "' OR '1'='1");

    const auto all = store->users();
    BOOST_TEST_REQUIRE(all.size() == 3u);  // by name; the table is still there
    BOOST_TEST(all[0].name == "lanh-dao");
    BOOST_TEST(all[0].units.empty());
    BOOST_TEST(all[1].name == "van-thu.skhcn");
    BOOST_TEST(all[1].units.size() == 2u);
    BOOST_TEST(all[2].name == hostile.name);

    BOOST_TEST(store->set_user_password("lanh-dao", "pbkdf2-sha256$600000$bmV3$bmV3"));
    BOOST_TEST(store->user("lanh-dao")->password_hash == "pbkdf2-sha256$600000$bmV3$bmV3");
    BOOST_TEST(!store->set_user_password("nobody", "x"));
    BOOST_TEST(store->disable_user("lanh-dao"));
    BOOST_TEST(!store->disable_user("lanh-dao"));  // once
    BOOST_TEST(!store->disable_user("nobody"));
    BOOST_TEST(!store->user("lanh-dao")->disabled_at.empty());
}

// Issue 15: a login's lockout counts failures in a row and locks at the limit; sessions
// are found by their id's hash, touched forward only, ended once, ended with their user's
// new password or disabling, and forgotten when stale.
inline void logins_lock_out_and_sessions_end(const Backend& backend) {
    const auto store = fresh_store(backend, "sessions");
    User clerk;
    clerk.name = "van-thu";
    clerk.role = "clerk";
    clerk.units = {"000.00.14.H20"};
    clerk.password_hash = "pbkdf2-sha256$600000$c2FsdA==$aGFzaA==";
    store->create_user(clerk);
    const std::string until = "2026-12-02T10:15:00.000Z";
    for (int failure = 1; failure <= 4; ++failure) {
        BOOST_TEST(!store->record_failed_login("van-thu", 5, until));
        BOOST_TEST(store->user("van-thu")->failed_logins == failure);
    }
    BOOST_TEST(store->record_failed_login("van-thu", 5, until));  // the fifth locks
    BOOST_TEST(store->user("van-thu")->locked_until == until);
    BOOST_TEST(store->user("van-thu")->failed_logins == 0);
    BOOST_TEST(!store->record_failed_login("nobody", 5, until));
    store->record_login("van-thu");
    BOOST_TEST(store->user("van-thu")->locked_until.empty());

    LoginSession session{
        "hash-1", "van-thu", "csrf-1", "2026-12-02T09:00:00.000Z", "2026-12-02T09:00:00.000Z", ""};
    store->create_session(session, "2026-12-01T00:00:00.000Z");
    BOOST_CHECK_THROW(store->create_session(session, "2026-12-01T00:00:00.000Z"), Error);
    BOOST_TEST(!store->session("hash-2").has_value());
    BOOST_TEST(!store->session("' OR '1'='1").has_value());
    store->touch_session("hash-1", "2026-12-02T09:10:00.000Z");
    store->touch_session("hash-1", "2026-12-02T09:05:00.000Z");  // never backwards
    BOOST_TEST(store->session("hash-1")->last_seen_at == "2026-12-02T09:10:00.000Z");
    BOOST_TEST(store->session("hash-1")->csrf_token == "csrf-1");
    BOOST_TEST(store->end_session("hash-1", "2026-12-02T09:11:00.000Z"));
    BOOST_TEST(!store->end_session("hash-1", "2026-12-02T09:12:00.000Z"));  // once
    BOOST_TEST(store->session("hash-1")->ended_at == "2026-12-02T09:11:00.000Z");

    session.id_hash = "hash-2";
    store->create_session(session, "2026-12-02T09:30:00.000Z");  // forgets hash-1
    BOOST_TEST(!store->session("hash-1").has_value());
    BOOST_TEST(store->set_user_password("van-thu", "pbkdf2-sha256$600000$bmV3$bmV3"));
    BOOST_TEST(!store->session("hash-2")->ended_at.empty());
    session.id_hash = "hash-3";
    store->create_session(session, "2026-12-01T00:00:00.000Z");
    BOOST_TEST(store->disable_user("van-thu"));
    BOOST_TEST(!store->session("hash-3")->ended_at.empty());
}

// Issue 15: the store's timeliness (SQL, for the filters and the dashboard) is
// connector::derive_timeliness, class by class: tasks of every kind are counted by the
// store and by the core, grouped by lead unit and by document, filtered and scoped.
inline void tasks_are_counted_by_timeliness(const Backend& backend) {
    const auto store = fresh_store(backend, "task_counts");
    const edxml::Date today{2026, 12, 2};
    struct Case {
        std::string code;
        std::optional<edxml::Date> due, completed;
        std::optional<edxml::StatusKind> status;
        bool withdrawn;
        std::string lead, document;
    };
    const std::vector<Case> cases = {
        {"T#1",
         edxml::Date{2026, 12, 31},
         {},
         edxml::StatusKind::received,
         false,
         "000.00.14.H20",
         "D1"},
        {"T#2",
         edxml::Date{2026, 12, 1},
         {},
         edxml::StatusKind::processing,
         false,
         "000.00.14.H20",
         "D1"},
        {"T#3",
         edxml::Date{2026, 12, 2},
         {},
         edxml::StatusKind::accepted,
         false,
         "000.00.22.H20",
         "D1"},
        {"T#4", edxml::Date{2026, 6, 30}, edxml::Date{2026, 6, 30}, edxml::StatusKind::completed,
         false, "000.00.22.H20", "D2"},
        {"T#5", edxml::Date{2026, 6, 30}, edxml::Date{2026, 7, 1}, edxml::StatusKind::completed,
         false, "000.00.14.H20", "D2"},
        {"T#6",
         {},
         edxml::Date{2026, 7, 1},
         edxml::StatusKind::completed,
         false,
         "000.00.14.H20",
         "D2"},
        {"T#7",
         edxml::Date{2020, 1, 1},
         {},
         edxml::StatusKind::rejected,
         false,
         "000.00.22.H20",
         "D2"},
        {"T#8",
         edxml::Date{2020, 1, 1},
         {},
         edxml::StatusKind::processing,
         true,
         "000.00.22.H20",
         "D2"},
        {"T#9", {}, {}, std::nullopt, false, "", "D2"},
    };
    std::map<std::string, std::int64_t> expected_by_lead, expected_by_document, expected;
    for (const Case& c : cases) {
        Task task = sample_task(c.code);
        task.source_document_id = c.document;
        task.due_date = c.due;
        task.completion_date = c.completed;
        task.status.current = c.status;
        task.status.withdrawn = c.withdrawn;
        task.assignees.clear();
        if (!c.lead.empty())
            task.assignees.push_back({edxml::AssigneeRole::lead, c.lead, "Sở"});
        BOOST_REQUIRE(store->insert_task(task, {0, c.code, "assigned", "", 0, ""}));
        const std::string timeliness =
            to_string(derive_timeliness(task.status, task.due_date, task.completion_date, today));
        ++expected[timeliness];
        ++expected_by_lead[c.lead + "|" + timeliness];
        ++expected_by_document[c.document + "|" + timeliness];
    }
    TaskQuery query;
    query.today = edxml::format_date(today);
    const auto keyed = [](const std::vector<TaskCount>& counts) {
        std::map<std::string, std::int64_t> out;
        for (const TaskCount& count : counts)
            out[count.group + "|" + count.timeliness] += count.count;
        return out;
    };
    std::map<std::string, std::int64_t> overall;
    for (const TaskCount& count : store->count_tasks(query, TaskGrouping::none)) {
        BOOST_TEST(count.group.empty());
        overall[count.timeliness] = count.count;
    }
    BOOST_TEST(overall == expected);
    BOOST_TEST(expected.size() == 6u);  // every class is there
    BOOST_TEST(keyed(store->count_tasks(query, TaskGrouping::lead_unit)) == expected_by_lead);
    BOOST_TEST(keyed(store->count_tasks(query, TaskGrouping::source_document)) ==
               expected_by_document);
    // The documents ranked: most open tasks past their deadline, then most tasks, then id;
    // each counted as by source_document, and all of them counted.
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> overdue_and_all;
    for (const auto& [key, count] : expected_by_document) {
        const std::string document = key.substr(0, key.find('|'));
        if (key.substr(key.find('|') + 1) == "open_overdue")
            overdue_and_all[document].first += count;
        overdue_and_all[document].second += count;
    }
    std::vector<std::string> expected_order;
    for (const auto& [document, figures] : overdue_and_all)
        expected_order.push_back(document);
    std::sort(expected_order.begin(), expected_order.end(), [&](const auto& a, const auto& b) {
        return std::make_tuple(-overdue_and_all[a].first, -overdue_and_all[a].second, a) <
               std::make_tuple(-overdue_and_all[b].first, -overdue_and_all[b].second, b);
    });
    const DocumentRanking ranked = store->rank_documents(query, 10);
    BOOST_TEST(ranked.documents == 2);
    std::vector<std::string> order;
    for (const TaskCount& count : ranked.counts)
        if (order.empty() || order.back() != count.group)
            order.push_back(count.group);
    BOOST_TEST(order == expected_order);
    BOOST_TEST(keyed(ranked.counts) == expected_by_document);
    const DocumentRanking top = store->rank_documents(query, 1);
    BOOST_TEST(top.documents == 2);  // counted before the limit
    for (const TaskCount& count : top.counts)
        BOOST_TEST(count.group == expected_order.front());
    // The filter by timeliness agrees with the core, task by task.
    for (const auto& [timeliness, count] : expected) {
        query.timeliness = timeliness;
        const auto found = store->find_tasks(query);
        BOOST_TEST(static_cast<std::int64_t>(found.size()) == count, timeliness);
        for (const Task& task : found)
            BOOST_TEST(to_string(derive_timeliness(task.status, task.due_date, task.completion_date,
                                                   today)) == timeliness);
    }
    // Scoped to one unit, and to none.
    query.timeliness.clear();
    query.scoped = true;
    query.units = {"000.00.22.H20"};
    std::int64_t scoped = 0;
    for (const TaskCount& count : store->count_tasks(query, TaskGrouping::none))
        scoped += count.count;
    BOOST_TEST(scoped == 4);
    // A clerk's counts read their units' copies of each task (migration 0012): they follow
    // the task as it changes, and agree with the tasks themselves, one row a task even
    // for a unit both lead and coordinating.
    const auto counted_from_tasks = [&] {
        std::map<std::string, std::int64_t> out;
        for (const Task& task : store->find_tasks(query)) {
            std::string lead;
            for (const auto& assignee : task.assignees)
                if (assignee.role == edxml::AssigneeRole::lead)
                    lead = assignee.organ_id;
            ++out[lead + "|" +
                  to_string(
                      derive_timeliness(task.status, task.due_date, task.completion_date, today))];
        }
        return out;
    };
    BOOST_TEST(keyed(store->count_tasks(query, TaskGrouping::lead_unit)) == counted_from_tasks());
    auto changed = store->task("T#3");
    BOOST_REQUIRE(changed.has_value());
    changed->status.current = edxml::StatusKind::completed;
    changed->completion_date = edxml::Date{2026, 12, 1};
    changed->assignees.push_back(
        {edxml::AssigneeRole::coordinating, "000.00.22.H20", "Sở (phối hợp)"});
    BOOST_REQUIRE(store->update_task(*changed, {0, "T#3", "status", "06", 0, ""}));
    auto moved = store->task("T#4");
    BOOST_REQUIRE(moved.has_value());
    moved->status.current = edxml::StatusKind::processing;
    moved->completion_date.reset();
    moved->due_date = edxml::Date{2020, 2, 2};  // now open and overdue
    BOOST_REQUIRE(store->update_task(*moved, {0, "T#4", "updated", "", 0, ""}));
    const auto after = counted_from_tasks();
    BOOST_TEST(after.at("000.00.22.H20|done_on_time") == 1);  // T#3, counted once
    BOOST_TEST(after.at("000.00.22.H20|open_overdue") >= 1);
    BOOST_TEST(keyed(store->count_tasks(query, TaskGrouping::lead_unit)) == after);
    std::int64_t ranked_after = 0;
    for (const TaskCount& count : store->rank_documents(query, 10).counts)
        ranked_after += count.count;
    BOOST_TEST(ranked_after == 4);
    const DocumentRanking mine = store->rank_documents(query, 10);
    BOOST_TEST(mine.documents == 2);  // T#3 in D1; T#4, T#7, T#8 in D2
    std::int64_t ranked_scoped = 0;
    for (const TaskCount& count : mine.counts)
        ranked_scoped += count.count;
    BOOST_TEST(ranked_scoped == 4);
    // By deadline the clerk's tasks are checked one by one (not drawn from their set):
    // the same tasks, in deadline order, none without a deadline before one with.
    std::set<std::string> by_code, by_deadline;
    for (const Task& task : store->find_tasks(query))
        by_code.insert(task.task_code);
    query.order = TaskQuery::Order::due_date;
    const auto in_deadline_order = store->find_tasks(query);
    for (std::size_t i = 0; i < in_deadline_order.size(); ++i) {
        by_deadline.insert(in_deadline_order[i].task_code);
        if (i > 0 && in_deadline_order[i].due_date)
            BOOST_TEST(in_deadline_order[i - 1].due_date.has_value());
    }
    BOOST_TEST(by_code.size() == 4u);
    BOOST_TEST((by_deadline == by_code));
    query.order = TaskQuery::Order::code;
    query.units = {"x' OR '1'='1"};
    BOOST_TEST(store->rank_documents(query, 10).documents == 0);
    BOOST_TEST(store->find_tasks(query).empty());
    query.units.clear();
    BOOST_TEST(store->count_tasks(query, TaskGrouping::none).empty());
    BOOST_TEST(store->rank_documents(query, 10).counts.empty());
}

// Issue 14: two writers whose units of work take the same locks in opposite orders (one
// logs a package, then changes a task, as a queued report does; the other changes the
// task, then logs its 01 reply, as an applied package does) never wait for each other:
// on PostgreSQL each unit takes the change feed's lock first. (Before, the HA test's
// daemons deadlocked here: "deadlock detected ... chain_heads".)
inline void units_in_opposite_orders_do_not_deadlock(const Backend& backend) {
    std::string url;
    const auto setup = fresh_store(backend, "unit_orders", &url);
    setup->insert_task(sample_task("T-1"), {0, "T-1", "assigned", "", 0, ""});
    constexpr int kRounds = 40;
    std::atomic<int> failures{0};
    std::string first_failure;
    std::mutex failure_mutex;
    const auto writer = [&](int offset, bool log_first) {
        const auto store = store::open_store(url);
        for (int round = 0; round < kRounds; ++round) {
            const int n = 2 * (offset * kRounds + round) + 1;  // odd: inbound, knob-n
            const auto log = [&] { store->append_message(sample_entry(n)); };
            const auto change = [&] {
                for (;;) {
                    Task task = *store->task("T-1");
                    task.progress = (task.progress + 1) % 100;
                    try {
                        store->update_task(task, {0, "T-1", "report", std::to_string(n), 0, ""});
                        return;
                    } catch (const ConflictError&) {
                    }
                }
            };
            try {
                store->in_one_transaction([&] {
                    if (log_first) {
                        log();
                        change();
                    } else {
                        change();
                        log();
                    }
                });
            } catch (const std::exception& error) {
                std::lock_guard lock(failure_mutex);
                if (failures++ == 0)
                    first_failure = error.what();
            }
        }
    };
    std::thread reporting(writer, 0, true);
    std::thread applying(writer, 1, false);
    reporting.join();
    applying.join();
    BOOST_TEST(failures.load() == 0, first_failure);
    BOOST_TEST(setup->message_head().sequence == 2 * kRounds);
    BOOST_TEST(setup->task_events("T-1").size() == 1u + 2 * kRounds);
    const ChainReport chain = report_for(*setup, "messages");
    BOOST_TEST(chain.ok, chain.problem);
}

// Issue 14: the passes that no two daemons should run at once take turns under named
// leases (Store::hold_lease): one owner at a time, renewable, free when released or
// when its time has passed, on the database's clock.
inline void pass_leases_take_turns(const Backend& backend) {
    std::string url;
    const auto first = fresh_store(backend, "pass_leases", &url);
    const auto second = store::open_store(url);
    const auto minute = std::chrono::minutes(1);
    BOOST_TEST(first->hold_lease("poll.edoc", "daemon-a", minute));
    BOOST_TEST(!second->hold_lease("poll.edoc", "daemon-b", minute));
    BOOST_TEST(second->hold_lease("poll.status", "daemon-b", minute));  // another pass
    BOOST_TEST(first->hold_lease("poll.edoc", "daemon-a", minute));     // renewed
    second->release_lease("poll.edoc", "daemon-b");                     // not its own: no effect
    BOOST_TEST(!second->hold_lease("poll.edoc", "daemon-b", minute));
    first->release_lease("poll.edoc", "daemon-a");
    BOOST_TEST(second->hold_lease("poll.edoc", "daemon-b", minute));
    // A holder whose time has passed (a daemon that died) no longer keeps it.
    BOOST_TEST(first->hold_lease("track_deliveries", "daemon-a", -minute));
    BOOST_TEST(second->hold_lease("track_deliveries", "daemon-b", minute));
    BOOST_TEST(!first->hold_lease("track_deliveries", "daemon-a", minute));
    // Names and owners are data, not SQL.
    BOOST_TEST(
        first->hold_lease("webhook x'); DROP TABLE pass_leases; --", "o' OR '1'='1", minute));
    BOOST_TEST(!second->hold_lease("webhook x'); DROP TABLE pass_leases; --", "daemon-b", minute));
    BOOST_TEST(!second->hold_lease("poll.status", "o' OR '1'='1", minute));
}

// API clients: a name once, found by token hash until revoked.
inline void api_clients_by_hash(const Backend& backend) {
    const auto store = fresh_store(backend, "api_clients");
    store->create_api_client("idesk-backend", std::string(64, 'a'), "backend");
    store->create_api_client("kiem-toan", std::string(64, 'b'), "auditor");
    BOOST_CHECK_THROW(store->create_api_client("idesk-backend", std::string(64, 'c'), "admin"),
                      DuplicateError);
    const auto found = store->api_client_by_token_hash(std::string(64, 'a'));
    BOOST_REQUIRE(found.has_value());
    BOOST_TEST(found->name == "idesk-backend");
    BOOST_TEST(found->role == "backend");
    BOOST_TEST(!store->api_client_by_token_hash("' OR '1'='1").has_value());
    BOOST_TEST(store->revoke_api_client("idesk-backend"));
    BOOST_TEST(!store->revoke_api_client("idesk-backend"));
    BOOST_TEST(!store->api_client_by_token_hash(std::string(64, 'a')).has_value());
    const auto all = store->api_clients();
    BOOST_REQUIRE_EQUAL(all.size(), 2u);
    BOOST_TEST(!all[0].revoked_at.empty());
    BOOST_TEST(all[1].revoked_at.empty());
}

// Issue 12: the poll's duplicate check asks the store for a knobstick id; a row written
// past the head with an upcoming id must not count as "this came before".
inline void rows_past_the_head_are_not_log_entries(const Backend& backend) {
    std::string url;
    const auto store = fresh_store(backend, "past_head_lookup", &url);
    store->append_message(sample_entry(1));
    {
        soci::session raw = store_backends::raw_session(url);
        raw << "INSERT INTO messages SELECT 2, direction, kind, business_type, document_id, "
               "'knob-upcoming', from_agency, to_agencies, status_code, subject, raw_base64, "
               "raw_sha256, raw_size, signature_verdict, signer, recorded_at, prev_hash, "
               "entry_hash, signer_agency, requested_by FROM messages WHERE sequence = 1";
    }
    BOOST_TEST(!store->message_by_knobstick(Direction::inbound, "knob-upcoming").has_value());
    BOOST_TEST(store->message_by_knobstick(Direction::inbound, "knob-1").has_value());
}

// Issue 12: a task read by one connection and written by another in between lost the
// other's write (update_task overwrote every column). Now a write over a stale version is
// refused, and the store keeps the first writer's change.
inline void task_updates_check_the_version(const Backend& backend) {
    std::string url;
    const auto store = fresh_store(backend, "task_versions", &url);
    const auto other = store::open_store(url);  // the API server's own connection
    const MessageEntry first = store->append_message(sample_entry(1));
    const MessageEntry second = store->append_message(sample_entry(2));
    const Task task = sample_task("000.00.00.H20,2025/04/15,125/KH-UBND#I.1");
    BOOST_REQUIRE(
        store->insert_task(task, {0, task.task_code, "assigned", "", first.sequence, ""}));
    Task mine = *store->task(task.task_code);
    Task theirs = *other->task(task.task_code);
    theirs.progress = 40;
    BOOST_TEST(
        other->update_task(theirs, {0, task.task_code, "report", "40 %", second.sequence, ""}));
    mine.status.current = edxml::StatusKind::processing;
    BOOST_CHECK_EXCEPTION(
        store->update_task(mine, {0, task.task_code, "status", "03", first.sequence, ""}),
        ConflictError, [](const ConflictError& error) {
            return std::string(error.what()).find("changed by another writer") != std::string::npos;
        });
    const Task now = *store->task(task.task_code);
    BOOST_TEST(now.progress == 40);
    BOOST_TEST(now.version == 2);
    BOOST_TEST(!now.status.current.has_value());
    // Nothing of the refused write was kept: its event neither.
    for (const TaskEvent& event : store->task_events(task.task_code))
        BOOST_TEST(event.kind != "status");
    mine = now;
    mine.status.current = edxml::StatusKind::processing;
    BOOST_TEST(store->update_task(mine, {0, task.task_code, "status", "03", first.sequence, ""}));
    BOOST_TEST(store->task(task.task_code)->progress == 40);
}

// Issue 12: whoever can write the database can rewrite a whole chain and its head so
// that the walk holds. A checkpoint kept outside catches it, and an end that differs from
// the one expected is truncation or extension.
inline void checkpoints_catch_rewritten_truncated_and_extended_chains(const Backend& backend) {
    std::string url;
    const auto store = fresh_store(backend, "checkpoints", &url);
    for (int n = 1; n <= 4; ++n)
        store->append_message(sample_entry(n));
    const ChainHead at_four = store->message_head();
    ChainCheckpoint checkpoint{"messages",    at_four.sequence,
                               at_four.hash,  "2026-12-01T10:00:00Z",
                               "fingerprint", "signature"};
    store->append_checkpoint(checkpoint);
    BOOST_REQUIRE_EQUAL(store->checkpoints("messages").size(), 1u);
    BOOST_TEST(store->checkpoints("messages")[0].hash == at_four.hash);
    BOOST_TEST(store->checkpoints("audit_events").empty());
    store->append_message(sample_entry(5));

    ChainExpectations expectations;
    expectations.checkpoints = {checkpoint};
    auto messages_report = [&](const ChainExpectations& held) {
        return verify_chains(*store, held).front();
    };
    BOOST_TEST(messages_report(expectations).ok, messages_report(expectations).problem);
    ChainExpectations to_checkpoint = expectations;
    to_checkpoint.ends_at_last_checkpoint = true;
    const ChainReport extended = messages_report(to_checkpoint);
    BOOST_TEST(!extended.ok);
    BOOST_TEST(extended.problem.find("1 entries past the last checkpoint") != std::string::npos,
               extended.problem);
    ChainExpectations expect_head;
    expect_head.expected_message_head = at_four;
    BOOST_TEST(messages_report(expect_head).problem.find("(the chain was extended)") !=
               std::string::npos);

    // The whole chain rewritten from entry 2 on, each hash recomputed and the head moved:
    // the walk alone holds, the checkpoint does not.
    {
        soci::session raw = store_backends::raw_session(url);
        raw << "UPDATE messages SET subject = 'Đã sửa lại' WHERE sequence = 2";
        std::string previous;
        raw << "SELECT entry_hash FROM messages WHERE sequence = 1", soci::into(previous);
        for (std::int64_t sequence = 2; sequence <= 5; ++sequence) {
            MessageEntry entry = store->messages(sequence - 1, 1).front();
            entry.prev_hash = previous;
            entry.entry_hash = chain_hash(previous, entry);
            const long long key = sequence;
            raw << "UPDATE messages SET prev_hash = :prev, entry_hash = :hash WHERE sequence = :s",
                soci::use(entry.prev_hash), soci::use(entry.entry_hash), soci::use(key);
            previous = entry.entry_hash;
        }
        raw << "UPDATE chain_heads SET hash = :hash WHERE chain = 'messages'", soci::use(previous);
    }
    BOOST_TEST(messages_report({}).ok, "without expectations the rewrite cannot be seen");
    const ChainReport rewritten = messages_report(expectations);
    BOOST_TEST(!rewritten.ok);
    BOOST_TEST(rewritten.first_bad_sequence == 4);
    BOOST_TEST(rewritten.problem.find("(the chain was rewritten)") != std::string::npos,
               rewritten.problem);

    // Truncated below the checkpoint, head moved back to match.
    {
        soci::session raw = store_backends::raw_session(url);
        std::string hash;
        raw << "SELECT entry_hash FROM messages WHERE sequence = 2", soci::into(hash);
        raw << "DELETE FROM messages WHERE sequence > 2";
        raw << "UPDATE chain_heads SET sequence = 2, hash = :hash WHERE chain = 'messages'",
            soci::use(hash);
    }
    BOOST_TEST(messages_report({}).ok);
    const ChainReport truncated = messages_report(expectations);
    BOOST_TEST(!truncated.ok);
    BOOST_TEST(truncated.problem.find("(truncated)") != std::string::npos, truncated.problem);
}

// `connector audit verify-chain` on a tampered database: exit 1, naming the sequence.
inline void verify_chain_command(const Backend& backend) {
    std::string url;
    {
        const auto store = fresh_store(backend, "verify_command", &url);
        for (int n = 1; n <= 4; ++n)
            store->append_message(sample_entry(n));
    }
    auto run = [&] {
        Poco::Pipe output;
        const std::string binary =
            std::string(CONNECTOR_BINARY_DIR) + "/connector/daemon/connector";
        Poco::ProcessHandle process = Poco::Process::launch(
            binary, {"audit", "verify-chain", "--store", url}, nullptr, &output, &output);
        Poco::PipeInputStream stream(output);
        std::string text((std::istreambuf_iterator<char>(stream)),
                         std::istreambuf_iterator<char>());
        return std::make_pair(process.wait(), text);
    };
    const auto [clean_code, clean] = run();
    BOOST_TEST(clean_code == 0, clean);
    BOOST_TEST(clean.find("messages: OK, 4 entries, head ") != std::string::npos, clean);
    {
        soci::session raw = store_backends::raw_session(url);
        raw << "UPDATE messages SET from_agency = '000.00.00.X99' WHERE sequence = 2";
    }
    const auto [broken_code, broken] = run();
    BOOST_TEST(broken_code == 1);
    BOOST_TEST(broken.find("messages: BROKEN at sequence 2") != std::string::npos, broken);
}

}  // namespace store_conformance
