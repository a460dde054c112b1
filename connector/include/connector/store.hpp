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
#include <vector>

#include "connector/message_log.hpp"

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

class Store {
  public:
    virtual ~Store() = default;

    // Schema version of the open database, and the one this binary knows.
    virtual int schema_version() = 0;

    // Appends to the message log; fills sequence, hashes, raw_sha256, raw_size and
    // recorded_at, and returns the entry as stored.
    virtual MessageEntry append_message(MessageEntry entry) = 0;
    // Appends several in one transaction (a burst from the axis): all or none.
    virtual std::vector<MessageEntry> append_messages(std::vector<MessageEntry> entries) = 0;
    virtual AuditEntry append_audit(AuditEntry entry) = 0;
    // Entries after `after_sequence`, ordered, at most `limit`.
    virtual std::vector<MessageEntry> messages(std::int64_t after_sequence, std::size_t limit) = 0;
    virtual std::vector<AuditEntry> audit_entries(std::int64_t after_sequence,
                                                  std::size_t limit) = 0;
    virtual ChainHead message_head() = 0;
    virtual ChainHead audit_head() = 0;
    // Transport state of a logged message lives beside the log, which never changes.
    virtual void set_transport_state(std::int64_t sequence, const std::string& state) = 0;
    virtual std::optional<std::string> transport_state(std::int64_t sequence) = 0;

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
};

// Walks both chains of a store (pages of 1 000 entries).
std::vector<ChainReport> verify_chains(Store& store);

}  // namespace connector
