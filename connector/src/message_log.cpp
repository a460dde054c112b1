#include "connector/message_log.hpp"

#include <cctype>
#include <type_traits>

#include "edxml/attachments.hpp"

namespace connector {
namespace {

void field(std::string& out, const std::string& value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += ';';
}

}  // namespace

const std::string kGenesisHash(64, '0');

const char* to_string(Direction direction) {
    switch (direction) {
        case Direction::inbound:
            return "inbound";
        case Direction::outbound:
            return "outbound";
        case Direction::unknown:
            break;
    }
    return "unknown";
}

std::vector<std::string> recipients_of(const std::string& to_agencies) {
    std::vector<std::string> codes;
    std::size_t start = 0;
    while (start <= to_agencies.size()) {
        std::size_t end = to_agencies.find(',', start);
        if (end == std::string::npos)
            end = to_agencies.size();
        std::size_t first = start, last = end;
        while (first < last && std::isspace(static_cast<unsigned char>(to_agencies[first])))
            ++first;
        while (last > first && std::isspace(static_cast<unsigned char>(to_agencies[last - 1])))
            --last;
        if (last > first)
            codes.push_back(to_agencies.substr(first, last - first));
        start = end + 1;
    }
    return codes;
}

std::string canonical_encoding(const MessageEntry& e) {
    std::string out;
    field(out, std::to_string(e.sequence));
    field(out, to_string(e.direction));
    field(out, e.kind);
    field(out, std::to_string(e.business_type));
    field(out, e.document_id);
    field(out, e.knobstick_id);
    field(out, e.from_agency);
    field(out, e.to_agencies);
    field(out, e.status_code);
    field(out, e.subject);
    field(out, std::to_string(e.raw_size));
    field(out, e.signature_verdict);
    field(out, e.signer);
    field(out, e.recorded_at);
    if (!e.signer_agency.empty() || !e.requested_by.empty())
        field(out, e.signer_agency);
    if (!e.requested_by.empty())
        field(out, e.requested_by);
    return out;
}

std::string canonical_encoding(const AuditEntry& e) {
    std::string out;
    field(out, std::to_string(e.sequence));
    field(out, e.actor);
    field(out, e.action);
    field(out, e.target);
    field(out, e.detail);
    field(out, e.recorded_at);
    return out;
}

std::string chain_hash(const std::string& prev_hash, const MessageEntry& entry) {
    return edxml::sha256_hex(prev_hash + canonical_encoding(entry) + entry.raw_sha256);
}

std::string chain_hash(const std::string& prev_hash, const AuditEntry& entry) {
    return edxml::sha256_hex(prev_hash + canonical_encoding(entry));
}

ChainWalker::ChainWalker(std::string chain) : previous_(kGenesisHash) {
    report_.chain = std::move(chain);
    report_.head_hash = kGenesisHash;
}

bool ChainWalker::fail(std::int64_t sequence, std::string problem) {
    report_.ok = false;
    report_.first_bad_sequence = sequence;
    report_.problem = std::move(problem);
    return false;
}

template <typename Entry>
bool ChainWalker::check(const Entry& entry) {
    if (!report_.ok)
        return false;
    const std::int64_t expected = report_.count + 1;
    if (entry.sequence != expected) {
        return fail(expected, entry.sequence > expected
                                  ? "entry " + std::to_string(expected) + " is missing (deleted)"
                                  : "entry " + std::to_string(entry.sequence) + " is out of order");
    }
    if (entry.prev_hash != previous_) {
        return fail(
            entry.sequence,
            "prev_hash does not match the previous entry (an entry was inserted, deleted or "
            "reordered before it)");
    }
    if constexpr (std::is_same_v<Entry, MessageEntry>) {
        if (edxml::sha256_hex(entry.raw) != entry.raw_sha256)
            return fail(entry.sequence,
                        "the raw bytes do not match their recorded SHA-256 (modified)");
    }
    if (chain_hash(previous_, entry) != entry.entry_hash)
        return fail(entry.sequence, "entry_hash does not match the entry's fields (modified)");
    for (const Expectation& checkpoint : expectations_) {
        if (checkpoint.sequence == entry.sequence && checkpoint.hash != entry.entry_hash)
            return fail(entry.sequence, "entry " + std::to_string(entry.sequence) +
                                            " differs from " + checkpoint.source +
                                            " (the chain was rewritten)");
    }
    previous_ = entry.entry_hash;
    ++report_.count;
    return true;
}

bool ChainWalker::add(const MessageEntry& entry) {
    return check(entry);
}
bool ChainWalker::add(const AuditEntry& entry) {
    return check(entry);
}

void ChainWalker::expect(std::int64_t sequence, std::string hash, std::string source) {
    expectations_.push_back({sequence, std::move(hash), std::move(source)});
}

void ChainWalker::past_head(std::int64_t sequence, std::int64_t head_sequence) {
    if (report_.ok)
        fail(sequence, "row " + std::to_string(sequence) + " lies past the chain head (" +
                           std::to_string(head_sequence) +
                           "): no append wrote it (inserted around the store)");
}

ChainReport ChainWalker::finish(std::int64_t head_sequence, const std::string& head_hash) {
    for (const Expectation& expected : expectations_) {
        if (report_.ok && expected.sequence > report_.count && expected.sequence > 0)
            fail(report_.count + 1, "the chain ends at entry " + std::to_string(report_.count) +
                                        " but " + expected.source + " saw entry " +
                                        std::to_string(expected.sequence) + " (truncated)");
    }
    if (report_.ok && head_sequence != report_.count) {
        fail(report_.count + 1,
             "the chain head records " + std::to_string(head_sequence) + " entries but " +
                 std::to_string(report_.count) +
                 " were found (deleted at the end, or appended around the store)");
    }
    if (report_.ok && previous_ != head_hash) {
        fail(report_.count,
             "the last entry's hash differs from the chain head's (the tail was replaced)");
    }
    if (report_.ok)
        report_.head_hash = previous_;
    return report_;
}

}  // namespace connector
