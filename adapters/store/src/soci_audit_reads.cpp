// The auditors' reads: the message log searched by its columns (newest first, keyset
// pages, a capped total), a message's transport history and the task events it caused,
// and the audit events searched.
#include <soci/soci.h>

#include <deque>

#include "connector/clock.hpp"
#include "soci_store_parts.hpp"

namespace store::detail {

namespace {

// kMessageColumns of the table aliased `m`, without the bytes (raw_size and raw_sha256
// stay): a page of results never loads the packages.
std::string message_columns_without_raw() {
    std::string columns;
    const std::string all = kMessageColumns;
    std::size_t start = 0;
    while (start < all.size()) {
        std::size_t end = all.find(',', start);
        if (end == std::string::npos)
            end = all.size();
        std::string name = all.substr(start, end - start);
        name.erase(0, name.find_first_not_of(' '));
        columns += columns.empty() ? "" : ", ";
        columns += name == "raw_base64" ? std::string("'' AS raw_base64") : "m." + name;
        start = end + 1;
    }
    return columns;
}

// The WHERE clause of a search and the values it binds (kept alive in `values`: SOCI binds
// by reference).
struct Filters {
    // The rows walked newest first, by `key`: the messages, or with an agency the index of
    // the agencies the messages name (migration 0014), which then drives the walk so that
    // a page stops after its rows instead of gathering every match first.
    std::string from = " FROM messages m LEFT JOIN message_transport t ON t.sequence = m.sequence";
    std::string key = "m.sequence";
    std::string where;
    std::deque<std::pair<std::string, std::string>> values;  // bind name, value
    std::optional<int> business_type;

    void equal(const std::string& column, const std::string& name, const std::string& value) {
        if (value.empty())
            return;
        where += " AND " + column + " = :" + name;
        values.emplace_back(name, value);
    }
    void bind(soci::details::prepare_temp_type& prepared) const {
        for (const auto& [name, value] : values)
            prepared, soci::use(value, name);
        if (business_type)
            prepared, soci::use(*business_type, "business_type");
    }
};

Filters message_filters(const connector::MessageQuery& query) {
    Filters filters;
    if (!query.agency.empty()) {
        filters.from =
            " FROM message_agencies a JOIN messages m ON m.sequence = a.sequence LEFT JOIN "
            "message_transport t ON t.sequence = m.sequence";
        filters.key = "a.sequence";
    }
    filters.where =
        " WHERE " + filters.key + " <= (SELECT sequence FROM chain_heads WHERE chain = 'messages')";
    if (!query.agency.empty()) {
        // The bounds on m too: PostgreSQL merge-joins the two keys and would otherwise walk
        // the messages down from the head to the cursor.
        filters.where +=
            " AND m.sequence <= (SELECT sequence FROM chain_heads WHERE chain = 'messages') AND "
            "a.agency = :agency";
        filters.values.emplace_back("agency", query.agency);
    }
    filters.equal("m.direction", "direction", query.direction);
    filters.equal("m.kind", "kind", query.kind);
    filters.equal("m.document_id", "document_id", query.document_id);
    if (!query.knobstick_id.empty()) {
        // Inbound the knobstick is logged with the entry; outbound the axis gives it when it
        // takes the package, and the transport state keeps it.
        filters.where +=
            " AND m.sequence IN (SELECT sequence FROM messages WHERE knobstick_id = :knobstick "
            "UNION SELECT sequence FROM message_transport WHERE knobstick = :sent_knobstick)";
        filters.values.emplace_back("knobstick", query.knobstick_id);
        filters.values.emplace_back("sent_knobstick", query.knobstick_id);
    }
    filters.equal("m.status_code", "status_code", query.status_code);
    filters.equal("m.signature_verdict", "verdict", query.verdict);
    filters.equal("t.state", "transport_state", query.transport_state);
    if (query.business_type) {
        filters.where += " AND m.business_type = :business_type";
        filters.business_type = query.business_type;
    }
    if (!query.since.empty()) {
        filters.where += " AND m.recorded_at >= :since";
        filters.values.emplace_back("since", query.since);
    }
    if (!query.until.empty()) {
        filters.where += " AND m.recorded_at < :until";
        filters.values.emplace_back("until", query.until);
    }
    return filters;
}

}  // namespace

connector::MessagePage SociStore::find_messages(const connector::MessageQuery& query) {
    return guarded(
        "find_messages", [&] { return std::string(query.document_id); },
        [&]() -> connector::MessagePage {
            connector::MessagePage page;
            const Filters filters = message_filters(query);
            const std::string& from = filters.from;
            {
                const long long before = query.before_sequence;
                const long long limit = static_cast<long long>(query.limit);
                std::string text = "SELECT " + message_columns_without_raw() +
                                   ", t.state, t.reason, t.knobstick, t.updated_at" + from +
                                   filters.where;
                const bool by_agency = !query.agency.empty();  // the walk is on a.sequence
                if (query.before_sequence > 0)
                    text += " AND m.sequence < :before" +
                            (by_agency ? " AND " + filters.key + " < :before_key" : std::string());
                text += " ORDER BY " + filters.key + " DESC LIMIT :limit";
                soci::details::prepare_temp_type prepared = (sql_.prepare << text);
                filters.bind(prepared);
                if (query.before_sequence > 0)
                    prepared, soci::use(before, "before");
                if (query.before_sequence > 0 && by_agency)
                    prepared, soci::use(before, "before_key");
                prepared, soci::use(limit, "limit");
                soci::rowset<soci::row> rows = prepared;
                for (const soci::row& row : rows) {
                    connector::LoggedMessage found{message_from_row(row), std::nullopt};
                    if (row.get_indicator(20) != soci::i_null) {
                        connector::TransportEntry state;
                        state.sequence = found.entry.sequence;
                        state.state = row.get<std::string>(20);
                        state.reason = row.get<std::string>(21);
                        state.knobstick = row.get<std::string>(22);
                        state.since = connector::parse_utc_text(row.get<std::string>(23))
                                          .value_or(std::chrono::system_clock::time_point{});
                        found.transport = std::move(state);
                    }
                    page.messages.push_back(std::move(found));
                }
            }
            // A first page that is not full holds every match: nothing more to count.
            if (query.before_sequence <= 0 && page.messages.size() < query.limit) {
                page.total = static_cast<std::int64_t>(page.messages.size());
                page.total_exact = true;
                return page;
            }
            // Counted up to one past the cap: the index ranges stop there.
            const long long cap = connector::kMessageCountCap + 1;
            long long total = 0;
            soci::details::prepare_temp_type counting =
                (sql_.prepare << "SELECT COUNT(*) FROM (SELECT 1" + from + filters.where +
                                     " LIMIT :cap) AS found",
                 soci::into(total));
            filters.bind(counting);
            counting, soci::use(cap, "cap");
            soci::statement(counting).execute(true);
            page.total_exact = total <= connector::kMessageCountCap;
            page.total = std::min<std::int64_t>(total, connector::kMessageCountCap);
            return page;
        });
}

std::vector<connector::TransportEntry> SociStore::transport_history(std::int64_t sequence) {
    return guarded(
        "transport_history", [&] { return std::to_string(sequence); },
        [&]() -> std::vector<connector::TransportEntry> {
            const long long key = sequence;
            std::vector<connector::TransportEntry> history;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT sequence, state, reason, knobstick, entered_at FROM "
                                 "message_transport_history WHERE sequence = :sequence ORDER BY id",
                 soci::use(key, "sequence"));
            for (const soci::row& row : rows)
                history.push_back(transport_entry_from(row));
            return history;
        });
}

std::vector<connector::TaskEvent> SociStore::events_of_message(std::int64_t sequence) {
    return guarded(
        "events_of_message", [&] { return std::to_string(sequence); },
        [&]() -> std::vector<connector::TaskEvent> {
            const long long key = sequence;
            std::vector<connector::TaskEvent> events;
            soci::rowset<soci::row> rows =
                (sql_.prepare << std::string("SELECT ") + kTaskEventColumns +
                                     " FROM task_events WHERE message_sequence = :sequence "
                                     "ORDER BY id",
                 soci::use(key, "sequence"));
            for (const soci::row& row : rows)
                events.push_back(task_event_from(row));
            return events;
        });
}

std::vector<connector::AuditEntry> SociStore::find_audit_entries(
    const connector::AuditQuery& query) {
    return guarded(
        "find_audit_entries", [&] { return std::string(query.action); },
        [&]() -> std::vector<connector::AuditEntry> {
            Filters filters;
            filters.where =
                " WHERE sequence <= (SELECT sequence FROM chain_heads WHERE chain = "
                "'audit_events')";
            filters.equal("actor", "actor", query.actor);
            filters.equal("action", "action", query.action);
            filters.equal("target", "target", query.target);
            if (!query.since.empty()) {
                filters.where += " AND recorded_at >= :since";
                filters.values.emplace_back("since", query.since);
            }
            if (!query.until.empty()) {
                filters.where += " AND recorded_at < :until";
                filters.values.emplace_back("until", query.until);
            }
            const long long before = query.before_sequence;
            const long long limit = static_cast<long long>(query.limit);
            std::string text =
                std::string("SELECT ") + kAuditColumns + " FROM audit_events" + filters.where;
            if (query.before_sequence > 0)
                text += " AND sequence < :before";
            text += " ORDER BY sequence DESC LIMIT :limit";
            soci::details::prepare_temp_type prepared = (sql_.prepare << text);
            filters.bind(prepared);
            if (query.before_sequence > 0)
                prepared, soci::use(before, "before");
            prepared, soci::use(limit, "limit");
            soci::rowset<soci::row> rows = prepared;
            std::vector<connector::AuditEntry> entries;
            for (const soci::row& row : rows)
                entries.push_back(audit_entry_from(row));
            return entries;
        });
}

}  // namespace store::detail
