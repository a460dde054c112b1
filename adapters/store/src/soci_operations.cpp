// What monitoring reads of the database: the work queues and the log's tallies.
#include <soci/soci.h>

#include <algorithm>

#include "soci_store_parts.hpp"

namespace store::detail {

connector::OperationsFigures SociStore::operations_figures() {
    return guarded(
        "operations_figures", [] { return std::string(); },
        [&]() -> connector::OperationsFigures {
            connector::OperationsFigures figures;
            for (const connector::WorkQueue queue :
                 {connector::WorkQueue::outbox, connector::WorkQueue::inbox}) {
                connector::QueueFigures found;
                found.queue = connector::to_string(queue);
                long long pending = 0, retrying = 0;
                std::string oldest;
                soci::indicator retrying_known = soci::i_ok, oldest_known = soci::i_ok;
                // The table name is one of two constants, never input.
                sql_ << "SELECT COUNT(*), SUM(CASE WHEN attempts > 1 THEN 1 ELSE 0 END), "
                        "MIN(created_at) FROM " +
                            found.queue + " WHERE state = 'pending'",
                    soci::into(pending), soci::into(retrying, retrying_known),
                    soci::into(oldest, oldest_known);
                found.pending = pending;
                found.retrying = retrying_known == soci::i_ok ? retrying : 0;
                found.oldest_created = oldest_known == soci::i_ok ? oldest : std::string();
                figures.queues.push_back(std::move(found));
            }
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT direction, kind, business_type, signature_verdict, "
                                 "entries FROM message_tallies ORDER BY direction, kind, "
                                 "business_type, signature_verdict");
            for (const soci::row& row : rows) {
                connector::MessageTally tally;
                tally.direction = row.get<std::string>(0);
                tally.kind = row.get<std::string>(1);
                tally.business_type = static_cast<int>(integer(row, 2));
                tally.verdict = row.get<std::string>(3);
                tally.entries = integer(row, 4);
                figures.messages.push_back(std::move(tally));
            }
            for (const std::string chain : {"messages", "audit_events"}) {
                std::string recorded_at;
                soci::indicator found = soci::i_null;
                sql_ << "SELECT recorded_at FROM chain_checkpoints WHERE chain = :chain ORDER BY "
                        "sequence DESC LIMIT 1",
                    soci::use(chain, "chain"), soci::into(recorded_at, found);
                if (sql_.got_data() && found == soci::i_ok)
                    figures.last_checkpoints.emplace_back(chain, recorded_at);
            }
            // Per target: where its deliveries stand (the (target, event_id) index), or
            // where it was first served when nothing is recorded past that.
            std::vector<std::pair<std::string, long long>> targets;
            soci::rowset<soci::row> served =
                (sql_.prepare << "SELECT t.target, t.first_served_after, (SELECT max(d.event_id) "
                                 "FROM webhook_deliveries d WHERE d.target = t.target AND "
                                 "d.state <> 'pending') FROM webhook_targets t ORDER BY t.target");
            for (const soci::row& row : served) {
                long long after = integer(row, 1);
                if (row.get_indicator(2) == soci::i_ok)
                    after = std::max<long long>(after, integer(row, 2));
                targets.emplace_back(row.get<std::string>(0), after);
            }
            for (auto& [target, after] : targets) {
                connector::WebhookFigures found;
                found.target = target;
                long long waiting = 0;
                sql_ << "SELECT count(*) FROM backend_events WHERE id > :after",
                    soci::use(after, "after"), soci::into(waiting);
                found.undelivered = waiting;
                if (waiting > 0) {
                    std::string oldest;
                    sql_ << "SELECT recorded_at FROM backend_events WHERE id > :after ORDER BY id "
                            "LIMIT 1",
                        soci::use(after, "after"), soci::into(oldest);
                    found.oldest_undelivered = oldest;
                }
                figures.webhooks.push_back(std::move(found));
            }
            return figures;
        });
}

}  // namespace store::detail
