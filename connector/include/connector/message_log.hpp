// The append-only, hash-chained logs: every package in and out (messages), and every
// administrative action (audit events). Each entry's hash covers the previous entry's
// hash, its own fields and the SHA-256 of its raw bytes, so that changing, deleting,
// inserting or reordering a row breaks the chain from that row on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace connector {

// "0" x 64: the prev_hash of the first entry of a chain.
extern const std::string kGenesisHash;

// `unknown` is what a stored value other than the two names reads as: it hashes
// differently, so a corrupted direction shows as a modified entry.
enum class Direction { inbound, outbound, unknown };
const char* to_string(Direction direction);

struct MessageEntry {
    std::int64_t sequence = 0;  // 1, 2, 3… assigned by the store, no gaps
    Direction direction = Direction::inbound;
    std::string kind;       // "edoc" or "status"
    int business_type = 0;  // 0 new, 1 revoke, 2 update, 3 replace
    std::string document_id;
    std::string knobstick_id;  // the axis' id of the package
    std::string from_agency;
    std::string to_agencies;  // codes separated by ','
    std::string status_code;  // for status packages, verbatim
    std::string subject;
    std::string raw;            // the package bytes as received or sent
    std::string raw_sha256;     // hex, filled by the store
    std::int64_t raw_size = 0;  // filled by the store
    std::string signature_verdict;
    std::string signer;         // the signing certificate's subject
    std::string signer_agency;  // the agency that certificate maps to (signer policy)
    // Outbound: who asked us to send it ("user:van-thu.ubnd", "api:idesk", "cli");
    // empty for what the exchange sends by itself (01 on receipt) and for inbound.
    std::string requested_by;
    std::string recorded_at;  // yyyy-MM-ddTHH:mm:ss.mmmZ (UTC), filled by the store
    std::string prev_hash;    // filled by the store
    std::string entry_hash;   // filled by the store
};

// The agency codes of a to_agencies value: split on ',', trimmed, empty parts dropped.
// The one reading of the list, for the API and for the store's recipients index.
std::vector<std::string> recipients_of(const std::string& to_agencies);

struct AuditEntry {
    std::int64_t sequence = 0;
    std::string actor;   // user or client name
    std::string action;  // UPPER_SNAKE, e.g. USER_CREATED
    std::string target;
    std::string detail;
    std::string recorded_at;
    std::string prev_hash;
    std::string entry_hash;
};

// The canonical encoding the hash covers: each field as "<byte length>:<bytes>;" in a
// fixed order, so that no two different rows encode alike. signer_agency (schema 4)
// comes last and only when set, so entries written before it keep their hashes;
// requested_by (schema 10) after it, only when set, with signer_agency then always
// written (empty or not), so that neither can pass for the other.
std::string canonical_encoding(const MessageEntry& entry);
std::string canonical_encoding(const AuditEntry& entry);

// SHA-256 (hex) of prev_hash ‖ canonical encoding ‖ raw SHA-256 (empty for audit entries).
std::string chain_hash(const std::string& prev_hash, const MessageEntry& entry);
std::string chain_hash(const std::string& prev_hash, const AuditEntry& entry);

// The verdict of a walk over one chain.
struct ChainReport {
    std::string chain;  // "messages" or "audit_events"
    bool ok = true;
    std::int64_t count = 0;               // entries checked
    std::string head_hash;                // the last entry's hash (kGenesisHash when empty)
    std::int64_t first_bad_sequence = 0;  // when not ok
    std::string problem;                  // when not ok: what is wrong there
};

// Checks one chain entry by entry, in sequence order, without holding them all:
// sequence continuity, each prev_hash, each entry_hash and (messages) the SHA-256 of the
// raw bytes. Stops at the first bad entry.
class ChainWalker {
  public:
    explicit ChainWalker(std::string chain);
    bool add(const MessageEntry& entry);  // false once the chain is broken
    bool add(const AuditEntry& entry);
    // The entry at `sequence` must have `hash` (a checkpoint or an expected head says
    // so; `source` names it in the report): another hash means the chain was rewritten,
    // a chain that ends before it was truncated.
    void expect(std::int64_t sequence, std::string hash, std::string source);
    // Fails the walk: a row found past the chain head.
    void past_head(std::int64_t sequence, std::int64_t head_sequence);
    // `head_sequence`/`head_hash`: where the store's chain head says the chain ends, so
    // that a deleted or replaced tail is caught. Entries past the head (appended while
    // walking) must not be added.
    ChainReport finish(std::int64_t head_sequence, const std::string& head_hash);

  private:
    bool fail(std::int64_t sequence, std::string problem);
    template <typename Entry>
    bool check(const Entry& entry);

    struct Expectation {
        std::int64_t sequence;
        std::string hash;
        std::string source;
    };
    ChainReport report_;
    std::string previous_;
    std::vector<Expectation> expectations_;
};

}  // namespace connector
