// The outbox and the inbox (items claimed under leases) and the named pass leases
// that daemons of one database take turns under.
#include <soci/soci.h>

#include <cstdio>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "edxml/attachments.hpp"
#include "soci_store_parts.hpp"

namespace store::detail {

bool SociStore::hold_lease(const std::string& name, const std::string& owner,
                           std::chrono::milliseconds duration) {
    return guarded(
        "hold_lease", [&] { return std::string(name); },
        [&]() -> bool {
            // One statement: taken when free (no row), expired or ours; the row lock
            // makes two daemons asking at once see each other.
            const std::string now = dialect_.now_millis;
            const long long ms = duration.count();
            std::string holder;
            sql_ << "INSERT INTO pass_leases (name, owner, expires_at) VALUES (:name, :owner, " +
                        now +
                        " + :ms) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                        "expires_at = excluded.expires_at WHERE pass_leases.owner = "
                        "excluded.owner OR pass_leases.expires_at < " +
                        now + " RETURNING owner",
                soci::use(name, "name"), soci::use(owner, "owner"), soci::use(ms, "ms"),
                soci::into(holder);
            return sql_.got_data() && holder == owner;
        });
}

void SociStore::release_lease(const std::string& name, const std::string& owner) {
    return guarded(
        "release_lease", [&] { return std::string(name); },
        [&]() -> void {
            sql_ << "DELETE FROM pass_leases WHERE name = :name AND owner = :owner",
                soci::use(name, "name"), soci::use(owner, "owner");
        });
}

std::int64_t SociStore::enqueue(WorkQueue queue, const std::string& key,
                                const std::string& payload) {
    return guarded(
        std::string("enqueue into ") + connector::to_string(queue),
        [&] { return std::string(key); },
        [&]() -> std::int64_t {
            const std::string created_at = now_utc();
            const std::string table = connector::to_string(queue);
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            sql_ << "INSERT INTO " + table +
                        " (item_key, payload, created_at) VALUES (:key, :payload, :at)",
                soci::use(key), soci::use(payload), soci::use(created_at);
            long long id = 0;
            sql_ << "SELECT id FROM " + table + " WHERE item_key = :key", soci::use(key),
                soci::into(id);
            transaction.commit();
            return id;
        },
        true);
}

std::optional<WorkItem> SociStore::claim(WorkQueue queue, const std::string& owner,
                                         std::chrono::milliseconds lease) {
    return guarded(
        std::string("claim from ") + connector::to_string(queue),
        [&] { return std::string(owner); },
        [&]() -> std::optional<WorkItem> {
            const std::string table = connector::to_string(queue);
            char statement[1024];
            std::snprintf(statement, sizeof statement, dialect_.claim, table.c_str(),
                          table.c_str());
            const long long lease_millis = lease.count();
            WorkItem item;
            long long id = 0;
            long long attempts = 0;
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            sql_ << statement, soci::use(owner, "owner"), soci::use(lease_millis, "lease"),
                soci::into(id), soci::into(item.key), soci::into(item.payload),
                soci::into(attempts);
            const bool claimed = sql_.got_data();
            transaction.commit();
            if (!claimed)
                return std::nullopt;
            item.id = id;
            item.attempts = static_cast<int>(attempts);
            return item;
        });
}

bool SociStore::complete(WorkQueue queue, std::int64_t id, const std::string& owner) {
    reconnect_if_broken();
    return finish(queue, id, owner, true);
}

bool SociStore::release(WorkQueue queue, std::int64_t id, const std::string& owner) {
    reconnect_if_broken();
    return finish(queue, id, owner, false);
}

std::int64_t SociStore::pending_count(WorkQueue queue) {
    return guarded(
        "pending_count", [&] { return std::string(connector::to_string(queue)); },
        [&]() -> std::int64_t {
            long long count = 0;
            sql_ << "SELECT count(*) FROM " + std::string(connector::to_string(queue)) +
                        " WHERE state = 'pending'",
                soci::into(count);
            return count;
        });
}

bool SociStore::postpone(WorkQueue queue, std::int64_t id, const std::string& owner,
                         std::chrono::milliseconds delay) {
    return guarded(
        std::string("postpone in ") + connector::to_string(queue),
        [&] { return std::string(std::to_string(id)); },
        [&]() -> bool {
            const long long key = id;
            const long long millis = delay.count();
            const std::string table = connector::to_string(queue);
            soci::statement statement =
                (sql_.prepare << "UPDATE " + table +
                                     " SET lease_expires_at = " + dialect_.now_millis +
                                     " + :delay WHERE id = :id AND lease_owner = :owner AND "
                                     "state = 'pending'",
                 soci::use(millis, "delay"), soci::use(key, "id"), soci::use(owner, "owner"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        });
}

// Ends a lease: completes the item (stamped with the time) or gives it back.
bool SociStore::finish(WorkQueue queue, std::int64_t id, const std::string& owner, bool completes) {
    const char* operation = completes ? "complete" : "release";
    try {
        const long long key = id;
        const std::string at = now_utc();
        const std::string table = connector::to_string(queue);
        soci::statement statement(sql_);
        if (completes) {
            statement =
                (sql_.prepare
                     << "UPDATE " + table +
                            " SET state = 'done', completed_at = :at, lease_owner = NULL, "
                            "lease_expires_at = NULL WHERE id = :id AND lease_owner = :owner "
                            "AND "
                            "state = 'pending'",
                 soci::use(at, "at"), soci::use(key, "id"), soci::use(owner, "owner"));
        } else {
            statement = (sql_.prepare << "UPDATE " + table +
                                             " SET lease_owner = NULL, lease_expires_at = NULL "
                                             "WHERE id = :id AND "
                                             "lease_owner = :owner AND state = 'pending'",
                         soci::use(key, "id"), soci::use(owner, "owner"));
        }
        statement.execute(true);
        return statement.get_affected_rows() == 1;
    } catch (...) {
        note_failure();
        rethrow(std::string(operation) + " in " + connector::to_string(queue), std::to_string(id));
    }
}

}  // namespace store::detail
