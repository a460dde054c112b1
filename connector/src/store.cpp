#include "connector/store.hpp"

namespace connector {

const char* to_string(WorkQueue queue) {
    return queue == WorkQueue::outbox ? "outbox" : "inbox";
}

std::vector<ChainReport> verify_chains(Store& store) {
    constexpr std::size_t kPage = 1000;
    ChainWalker messages("messages");
    const ChainHead message_head = store.message_head();
    for (std::int64_t after = 0;;) {
        const std::vector<MessageEntry> page = store.messages(after, kPage);
        bool intact = true;
        for (const MessageEntry& entry : page)
            intact = messages.add(entry) && intact;
        if (page.size() < kPage || !intact)
            break;
        after = page.back().sequence;
    }
    ChainWalker audit("audit_events");
    const ChainHead audit_head = store.audit_head();
    for (std::int64_t after = 0;;) {
        const std::vector<AuditEntry> page = store.audit_entries(after, kPage);
        bool intact = true;
        for (const AuditEntry& entry : page)
            intact = audit.add(entry) && intact;
        if (page.size() < kPage || !intact)
            break;
        after = page.back().sequence;
    }
    return {messages.finish(message_head.sequence), audit.finish(audit_head.sequence)};
}

}  // namespace connector
