#include "connector/store.hpp"

#include <limits>

namespace connector {

const char* to_string(WorkQueue queue) {
    return queue == WorkQueue::outbox ? "outbox" : "inbox";
}

namespace {

// Walks one chain page by page, up to the head read first: entries appended meanwhile
// are beyond it and are left for the next check. Starts below 1 so that rows given a
// sequence of 0 or less are seen (and reported out of order).
template <typename Entry, typename Fetch>
ChainReport walk(const std::string& name, const ChainHead& head, Fetch fetch) {
    constexpr std::size_t kPage = 100;  // entries carry their raw bytes: keep pages small
    ChainWalker walker(name);
    for (std::int64_t after = std::numeric_limits<std::int64_t>::min();;) {
        const std::vector<Entry> page = fetch(after, kPage);
        bool go_on = page.size() == kPage;
        for (const Entry& entry : page) {
            if (entry.sequence > head.sequence) {
                go_on = false;
                break;
            }
            if (!walker.add(entry)) {
                go_on = false;
                break;
            }
        }
        if (!go_on)
            break;
        after = page.back().sequence;
    }
    return walker.finish(head.sequence, head.hash);
}

}  // namespace

std::vector<ChainReport> verify_chains(Store& store) {
    const ChainHead message_head = store.message_head();
    const ChainHead audit_head = store.audit_head();
    return {
        walk<MessageEntry>(
            "messages", message_head,
            [&](std::int64_t after, std::size_t limit) { return store.messages(after, limit); }),
        walk<AuditEntry>("audit_events", audit_head, [&](std::int64_t after, std::size_t limit) {
            return store.audit_entries(after, limit);
        })};
}

}  // namespace connector
