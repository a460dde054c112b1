#include "connector/store.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace connector {

const char* to_string(WorkQueue queue) {
    return queue == WorkQueue::outbox ? "outbox" : "inbox";
}

namespace {

// Walks one chain page by page. Starts below 1 so that rows given a sequence of 0 or
// less are seen (and reported out of order). A row past the head read first is either
// an append made while walking (its transaction moved the head too: read again, the head
// covers it) or a row no append made: the walk fails there.
// The bytes an entry holds in memory, for sizing the pages of a walk.
std::size_t bytes_of(const MessageEntry& entry) {
    return entry.raw.size() + entry.subject.size() + 512;
}
std::size_t bytes_of(const AuditEntry& entry) {
    return entry.detail.size() + entry.target.size() + 512;
}

// Pages of about 8 MiB: message entries carry their packages, from a few KB to many MB.
// Each page is a query (a round trip and, on PostgreSQL, a prepared statement), so small
// entries are read many to a page and large ones few.
std::size_t next_page_size(std::size_t entries, std::size_t bytes) {
    constexpr std::size_t kPageBytes = 8 * 1024 * 1024, kFewest = 1, kMost = 2000;
    if (entries == 0 || bytes == 0)
        return kFewest;
    return std::clamp(kPageBytes / std::max<std::size_t>(1, bytes / entries), kFewest, kMost);
}

template <typename Entry, typename Fetch, typename ReadHead>
ChainReport walk(const std::string& chain, ChainWalker walker, ReadHead read_head, Fetch fetch,
                 const ChainProgress& progress) {
    std::int64_t checked = 0;
    std::size_t page_size = 20;  // grows once the size of the entries is known
    ChainHead head = read_head();
    for (std::int64_t after = std::numeric_limits<std::int64_t>::min();;) {
        const std::vector<Entry> page = fetch(after, page_size);
        bool go_on = page.size() == page_size;
        std::size_t bytes = 0;
        for (const Entry& entry : page)
            bytes += bytes_of(entry);
        page_size = next_page_size(page.size(), bytes);
        for (const Entry& entry : page) {
            if (entry.sequence > head.sequence)
                head = read_head();
            if (entry.sequence > head.sequence) {
                walker.past_head(entry.sequence, head.sequence);
                go_on = false;
                break;
            }
            if (!walker.add(entry)) {
                go_on = false;
                break;
            }
            ++checked;
        }
        if (progress)
            progress(chain, checked);
        if (!go_on)
            break;
        after = page.back().sequence;
    }
    return walker.finish(head.sequence, head.hash);
}

ChainWalker expecting(const std::string& chain, const ChainExpectations& expectations,
                      const std::optional<ChainHead>& expected_head) {
    ChainWalker walker(chain);
    for (const ChainCheckpoint& checkpoint : expectations.checkpoints) {
        if (checkpoint.chain == chain)
            walker.expect(checkpoint.sequence, checkpoint.hash,
                          "the checkpoint of " + checkpoint.recorded_at + " (entry " +
                              std::to_string(checkpoint.sequence) + ")");
    }
    if (expected_head)
        walker.expect(expected_head->sequence, expected_head->hash,
                      "the expected head " + std::to_string(expected_head->sequence));
    return walker;
}

// What the head says against what the auditor expects it to be: past the expected
// head (or the last checkpoint, when the chain must end there) is an extension.
void check_end(ChainReport& report, std::int64_t end, const std::string& what) {
    if (report.ok && report.count > end) {
        report.ok = false;
        report.first_bad_sequence = end + 1;
        report.problem = std::to_string(report.count - end) + " entries past " + what +
                         " (the chain was extended)";
    }
}

// The end an auditor accepts for one chain: the expected head, else (when asked) the
// last checkpoint.
std::optional<std::pair<std::int64_t, std::string>> accepted_end(
    const std::string& chain, const ChainExpectations& expectations,
    const std::optional<ChainHead>& expected_head) {
    if (expected_head)
        return std::make_pair(expected_head->sequence,
                              "the expected head " + std::to_string(expected_head->sequence));
    if (!expectations.ends_at_last_checkpoint)
        return std::nullopt;
    std::optional<std::pair<std::int64_t, std::string>> last;
    for (const ChainCheckpoint& checkpoint : expectations.checkpoints) {
        if (checkpoint.chain == chain)
            last = std::make_pair(checkpoint.sequence,
                                  "the last checkpoint (" + checkpoint.recorded_at + ")");
    }
    return last;
}

}  // namespace

std::vector<ChainReport> verify_chains(MessageLogStore& store,
                                       const ChainExpectations& expectations,
                                       const ChainProgress& progress) {
    ChainReport messages = walk<MessageEntry>(
        "messages", expecting("messages", expectations, expectations.expected_message_head),
        [&] { return store.message_head(); },
        [&](std::int64_t after, std::size_t limit) { return store.messages(after, limit); },
        progress);
    ChainReport audit = walk<AuditEntry>(
        "audit_events", expecting("audit_events", expectations, expectations.expected_audit_head),
        [&] { return store.audit_head(); },
        [&](std::int64_t after, std::size_t limit) { return store.audit_entries(after, limit); },
        progress);
    if (const auto end = accepted_end("messages", expectations, expectations.expected_message_head))
        check_end(messages, end->first, end->second);
    if (const auto end =
            accepted_end("audit_events", expectations, expectations.expected_audit_head))
        check_end(audit, end->first, end->second);
    return {messages, audit};
}

}  // namespace connector
