// What only the HTTP side needs: API clients, the change feed, webhook deliveries
// and idempotency keys.
#include <soci/soci.h>

#include <cstdio>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "edxml/attachments.hpp"
#include "soci_store_parts.hpp"

namespace store::detail {

void SociStore::create_api_client(const std::string& name, const std::string& token_hash,
                                  const std::string& role, const std::string& expires_at) {
    return guarded(
        "create_api_client", [&] { return std::string(name); },
        [&]() -> void {
            const std::string at = now_utc();
            soci::indicator expires = expires_at.empty() ? soci::i_null : soci::i_ok;
            sql_ << "INSERT INTO api_clients (name, token_hash, role, created_at, expires_at) "
                    "VALUES (:name, :hash, :role, :at, :expires)",
                soci::use(name, "name"), soci::use(token_hash, "hash"), soci::use(role, "role"),
                soci::use(at, "at"), soci::use(expires_at, expires, "expires");
        });
}

std::optional<connector::ApiClient> SociStore::api_client_by_token_hash(
    const std::string& token_hash) {
    return guarded(
        "api_client_by_token_hash", [] { return std::string(); },
        [&]() -> std::optional<connector::ApiClient> {
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT name, role, created_at, expires_at FROM api_clients "
                                 "WHERE token_hash = :hash AND revoked_at IS NULL",
                 soci::use(token_hash, "hash"));
            for (const soci::row& row : rows)
                return connector::ApiClient{
                    row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2), "",
                    row.get_indicator(3) == soci::i_ok ? row.get<std::string>(3) : std::string()};
            return std::nullopt;
        });
}

bool SociStore::revoke_api_client(const std::string& name) {
    return guarded(
        "revoke_api_client", [&] { return std::string(name); },
        [&]() -> bool {
            const std::string at = now_utc();
            soci::statement statement =
                (sql_.prepare << "UPDATE api_clients SET revoked_at = :at WHERE name = :name AND "
                                 "revoked_at IS NULL",
                 soci::use(at, "at"), soci::use(name, "name"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        });
}

std::vector<connector::ApiClient> SociStore::api_clients() {
    return guarded(
        "api_clients", [] { return std::string(); },
        [&]() -> std::vector<connector::ApiClient> {
            std::vector<connector::ApiClient> clients;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT name, role, created_at, revoked_at, expires_at FROM "
                                 "api_clients ORDER BY name");
            const auto text_or_empty = [](const soci::row& row, std::size_t column) {
                return row.get_indicator(column) == soci::i_ok ? row.get<std::string>(column)
                                                               : std::string();
            };
            for (const soci::row& row : rows)
                clients.push_back({row.get<std::string>(0), row.get<std::string>(1),
                                   row.get<std::string>(2), text_or_empty(row, 3),
                                   text_or_empty(row, 4)});
            return clients;
        });
}

std::vector<connector::BackendEvent> SociStore::backend_events(std::int64_t after_sequence,
                                                               std::size_t limit) {
    return guarded(
        "backend_events", [&] { return std::string(std::to_string(after_sequence)); },
        [&]() -> std::vector<connector::BackendEvent> {
            std::vector<connector::BackendEvent> events;
            long long after = after_sequence;
            long long count = static_cast<long long>(limit);
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT id, kind, subject_key, payload, message_sequence, "
                                 "recorded_at FROM backend_events WHERE id > :after ORDER BY id "
                                 "LIMIT :count",
                 soci::use(after, "after"), soci::use(count, "count"));
            for (const soci::row& row : rows)
                events.push_back(backend_event_from(row, 0));
            return events;
        });
}

std::int64_t SociStore::last_backend_event() {
    return guarded(
        "last_backend_event", [] { return std::string(); },
        [&]() -> std::int64_t {
            long long last = 0;
            soci::indicator indicator = soci::i_null;
            sql_ << "SELECT max(id) FROM backend_events", soci::into(last, indicator);
            return indicator == soci::i_ok ? last : 0;
        });
}

std::optional<std::pair<connector::BackendEvent, connector::WebhookDelivery>>
SociStore::next_webhook_event(const std::string& target) {
    return guarded(
        "next_webhook_event", [&] { return target; },
        [&]() -> std::optional<std::pair<connector::BackendEvent, connector::WebhookDelivery>> {
            soci::rowset<soci::row> rows =
                (sql_.prepare
                     << "SELECT e.id, e.kind, e.subject_key, e.payload, e.message_sequence, "
                        "e.recorded_at, d.state, d.attempts, d.next_attempt_at, d.last_error "
                        "FROM backend_events e LEFT JOIN webhook_deliveries d ON d.event_id = "
                        "e.id AND d.target = :target1 WHERE e.id > coalesce((SELECT event_id FROM "
                        "webhook_deliveries WHERE target = :target2 AND state <> 'pending' "
                        "ORDER BY event_id DESC LIMIT 1), 0) ORDER BY e.id LIMIT 1",
                 soci::use(target, "target1"), soci::use(target, "target2"));
            for (const soci::row& row : rows) {
                connector::WebhookDelivery delivery;
                delivery.event_sequence = integer(row, 0);
                delivery.state = connector::WebhookState::pending;
                if (row.get_indicator(6) == soci::i_ok) {
                    delivery.attempts = static_cast<int>(integer(row, 7));
                    delivery.next_attempt_at_ms =
                        row.get_indicator(8) == soci::i_ok ? integer(row, 8) : 0;
                    delivery.last_error = row.get<std::string>(9);
                }
                return std::make_pair(backend_event_from(row, 0), delivery);
            }
            return std::nullopt;
        });
}

void SociStore::record_webhook_delivery(const std::string& target,
                                        const connector::WebhookDelivery& delivery) {
    return guarded(
        "record_webhook_delivery",
        [&] { return std::string(std::to_string(delivery.event_sequence)); },
        [&]() -> void {
            long long event = delivery.event_sequence;
            long long next = delivery.next_attempt_at_ms;
            const std::string state = connector::to_string(delivery.state);
            sql_ << "INSERT INTO webhook_deliveries (event_id, target, state, attempts, "
                    "next_attempt_at, last_error) VALUES (:event, :target, :state, :attempts, "
                    ":next, :error) ON CONFLICT (target, event_id) DO UPDATE SET state = "
                    "excluded.state, attempts = excluded.attempts, next_attempt_at = "
                    "excluded.next_attempt_at, last_error = excluded.last_error",
                soci::use(event, "event"), soci::use(target, "target"), soci::use(state, "state"),
                soci::use(delivery.attempts, "attempts"), soci::use(next, "next"),
                soci::use(delivery.last_error, "error");
        });
}

bool SociStore::first_serve_of_webhook_target(const std::string& target, std::int64_t last_event) {
    reconnect_if_broken();
    try {
        WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
        long long known = 0;
        sql_ << "SELECT count(*) FROM webhook_targets WHERE target = :target",
            soci::use(target, "target"), soci::into(known);
        if (known > 0)
            return false;
        const long long after = last_event;
        sql_ << "INSERT INTO webhook_targets (target, first_served_after) VALUES (:target, "
                ":after)",
            soci::use(target, "target"), soci::use(after, "after");
        // Served before migration 0005 (deliveries recorded): not a first time.
        long long delivered = 0;
        sql_ << "SELECT count(*) FROM webhook_deliveries WHERE target = :target",
            soci::use(target, "target"), soci::into(delivered);
        transaction.commit();
        return delivered == 0;
    } catch (...) {
        note_failure();
        try {
            rethrow("first_serve_of_webhook_target", target);
        } catch (const connector::DuplicateError&) {
            return false;  // another daemon served it first, at the same moment
        }
    }
}

std::optional<std::int64_t> SociStore::webhook_position(const std::string& target) {
    return guarded(
        "webhook_position", [&] { return std::string(target); },
        [&]() -> std::optional<std::int64_t> {
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT event_id FROM webhook_deliveries WHERE target = :target "
                                 "AND state <> 'pending' ORDER BY event_id DESC LIMIT 1",
                 soci::use(target, "target"));
            for (const soci::row& row : rows)
                return integer(row, 0);
            return std::nullopt;
        });
}

std::optional<connector::IdempotentAnswer> SociStore::claim_idempotency_key(
    const std::string& client, const std::string& key, const std::string& request_hash,
    std::chrono::seconds keep) {
    return guarded(
        "claim_idempotency_key", [&] { return std::string(key); },
        [&]() -> std::optional<connector::IdempotentAnswer> {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            const auto now = std::chrono::system_clock::now();
            const std::string oldest = connector::utc_text(now - keep);
            sql_ << "DELETE FROM idempotency_keys WHERE created_at < :oldest",
                soci::use(oldest, "oldest");
            // Insert first: two daemons racing for one key both end here, one wins.
            const std::string at = connector::utc_text(now);
            soci::statement insert =
                (sql_.prepare << "INSERT INTO idempotency_keys (client, idempotency_key, "
                                 "request_hash, created_at) VALUES (:client, :key, :hash, :at) "
                                 "ON CONFLICT DO NOTHING",
                 soci::use(client, "client"), soci::use(key, "key"),
                 soci::use(request_hash, "hash"), soci::use(at, "at"));
            insert.execute(true);
            std::optional<connector::IdempotentAnswer> earlier;
            if (insert.get_affected_rows() == 0) {
                soci::rowset<soci::row> rows =
                    (sql_.prepare << "SELECT request_hash, status, body, created_at FROM "
                                     "idempotency_keys WHERE client = :client AND "
                                     "idempotency_key = :key",
                     soci::use(client, "client"), soci::use(key, "key"));
                for (const soci::row& row : rows)
                    earlier = connector::IdempotentAnswer{
                        row.get<std::string>(0), static_cast<int>(integer(row, 1)),
                        row.get<std::string>(2), row.get<std::string>(3)};
            }
            transaction.commit();
            return earlier;
        });
}

void SociStore::record_idempotent_answer(const std::string& client, const std::string& key,
                                         int status, const std::string& body) {
    return guarded(
        "record_idempotent_answer", [&] { return std::string(key); },
        [&]() -> void {
            sql_ << "UPDATE idempotency_keys SET status = :status, body = :body WHERE client = "
                    ":client AND idempotency_key = :key",
                soci::use(status, "status"), soci::use(body, "body"), soci::use(client, "client"),
                soci::use(key, "key");
        });
}

void SociStore::release_idempotency_key(const std::string& client, const std::string& key) {
    return guarded(
        "release_idempotency_key", [&] { return std::string(key); },
        [&]() -> void {
            sql_ << "DELETE FROM idempotency_keys WHERE client = :client AND idempotency_key = "
                    ":key AND status = 0",
                soci::use(client, "client"), soci::use(key, "key");
        });
}

}  // namespace store::detail
