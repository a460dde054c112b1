// The users of the pages, their units (migration 0007) and their login sessions (0008).
#include <soci/soci.h>

#include <algorithm>

#include "connector/error.hpp"
#include "soci_store_parts.hpp"

namespace store::detail {
namespace {

std::string text_or_empty(const soci::row& row, std::size_t column) {
    return row.get_indicator(column) == soci::i_ok ? row.get<std::string>(column) : std::string();
}

constexpr const char* kUserColumns =
    "SELECT name, role, password_hash, created_at, password_changed_at, disabled_at, "
    "failed_logins, locked_until FROM users";

connector::User user_from_row(const soci::row& row) {
    connector::User user;
    user.name = row.get<std::string>(0);
    user.role = row.get<std::string>(1);
    user.password_hash = row.get<std::string>(2);
    user.created_at = row.get<std::string>(3);
    user.password_changed_at = row.get<std::string>(4);
    user.disabled_at = text_or_empty(row, 5);
    user.failed_logins = static_cast<int>(integer(row, 6));
    user.locked_until = text_or_empty(row, 7);
    return user;
}

}  // namespace

void SociStore::end_sessions_of(const std::string& user_name, const std::string& at) {
    sql_ << "UPDATE sessions SET ended_at = :at WHERE user_name = :name AND ended_at IS NULL",
        soci::use(at, "at"), soci::use(user_name, "name");
}

void SociStore::create_user(const connector::User& user) {
    guarded(
        "create_user", [&] { return std::string(user.name); },
        [&]() -> void {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            const std::string at = now_utc();
            sql_ << "INSERT INTO users (name, role, password_hash, created_at, "
                    "password_changed_at) VALUES (:name, :role, :hash, :at, :changed)",
                soci::use(user.name, "name"), soci::use(user.role, "role"),
                soci::use(user.password_hash, "hash"), soci::use(at, "at"),
                soci::use(at, "changed");
            std::vector<std::string> units = user.units;
            std::sort(units.begin(), units.end());
            units.erase(std::unique(units.begin(), units.end()), units.end());
            for (const std::string& unit : units)
                sql_ << "INSERT INTO user_units (user_name, agency_code) VALUES (:name, :unit)",
                    soci::use(user.name, "name"), soci::use(unit, "unit");
            transaction.commit();
        });
}

std::optional<connector::User> SociStore::user(const std::string& name) {
    return guarded(
        "user", [&] { return std::string(name); },
        [&]() -> std::optional<connector::User> {
            std::optional<connector::User> found;
            {
                soci::rowset<soci::row> rows =
                    (sql_.prepare << std::string(kUserColumns) + " WHERE name = :name",
                     soci::use(name, "name"));
                for (const soci::row& row : rows)
                    found = user_from_row(row);
            }
            if (!found)
                return std::nullopt;
            soci::rowset<soci::row> units =
                (sql_.prepare << "SELECT agency_code FROM user_units WHERE user_name = :name "
                                 "ORDER BY agency_code",
                 soci::use(name, "name"));
            for (const soci::row& row : units)
                found->units.push_back(row.get<std::string>(0));
            return found;
        });
}

std::vector<connector::User> SociStore::users() {
    return guarded(
        "users", [] { return std::string(); },
        [&]() -> std::vector<connector::User> {
            std::vector<connector::User> all;
            {
                soci::rowset<soci::row> rows =
                    (sql_.prepare << std::string(kUserColumns) + " ORDER BY name");
                for (const soci::row& row : rows)
                    all.push_back(user_from_row(row));
            }
            // Every user's units in one statement, matched by name (both sorted).
            soci::rowset<soci::row> units =
                (sql_.prepare << "SELECT user_name, agency_code FROM user_units ORDER BY "
                                 "user_name, agency_code");
            auto user = all.begin();
            for (const soci::row& row : units) {
                const std::string owner = row.get<std::string>(0);
                while (user != all.end() && user->name < owner)
                    ++user;
                if (user != all.end() && user->name == owner)
                    user->units.push_back(row.get<std::string>(1));
            }
            return all;
        });
}

bool SociStore::set_user_password(const std::string& name, const std::string& password_hash) {
    return guarded(
        "set_user_password", [&] { return std::string(name); },
        [&]() -> bool {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            const std::string at = now_utc();
            soci::statement statement =
                (sql_.prepare << "UPDATE users SET password_hash = :hash, password_changed_at = "
                                 ":at, failed_logins = 0, locked_until = NULL WHERE name = :name",
                 soci::use(password_hash, "hash"), soci::use(at, "at"), soci::use(name, "name"));
            statement.execute(true);
            const bool changed = statement.get_affected_rows() == 1;
            end_sessions_of(name, at);
            transaction.commit();
            return changed;
        });
}

bool SociStore::disable_user(const std::string& name) {
    return guarded(
        "disable_user", [&] { return std::string(name); },
        [&]() -> bool {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            const std::string at = now_utc();
            soci::statement statement =
                (sql_.prepare << "UPDATE users SET disabled_at = :at WHERE name = :name AND "
                                 "disabled_at IS NULL",
                 soci::use(at, "at"), soci::use(name, "name"));
            statement.execute(true);
            const bool disabled = statement.get_affected_rows() == 1;
            end_sessions_of(name, at);
            transaction.commit();
            return disabled;
        });
}

bool SociStore::record_failed_login(const std::string& name, int max_failures,
                                    const std::string& lock_until) {
    return guarded(
        "record_failed_login", [&] { return std::string(name); },
        [&]() -> bool {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            // One statement counts and locks, so that concurrent failures (several daemons)
            // are all counted and the one that reaches the limit locks.
            soci::statement statement =
                (sql_.prepare << "UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 "
                                 ">= :max1 THEN 0 ELSE failed_logins + 1 END, locked_until = "
                                 "CASE WHEN failed_logins + 1 >= :max2 THEN :until ELSE "
                                 "locked_until END WHERE name = :name",
                 soci::use(max_failures, "max1"), soci::use(max_failures, "max2"),
                 soci::use(lock_until, "until"), soci::use(name, "name"));
            statement.execute(true);
            if (statement.get_affected_rows() != 1)
                return false;
            int failures = 0;
            soci::indicator locked_indicator = soci::i_null;
            std::string locked;
            sql_ << "SELECT failed_logins, locked_until FROM users WHERE name = :name",
                soci::into(failures), soci::into(locked, locked_indicator), soci::use(name, "name");
            transaction.commit();
            return failures == 0 && locked_indicator == soci::i_ok && locked == lock_until;
        });
}

void SociStore::record_login(const std::string& name) {
    guarded(
        "record_login", [&] { return std::string(name); },
        [&]() -> void {
            sql_ << "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = :name "
                    "AND (failed_logins <> 0 OR locked_until IS NOT NULL)",
                soci::use(name, "name");
        });
}

void SociStore::create_session(const connector::LoginSession& session,
                               const std::string& forget_before) {
    guarded(
        "create_session", [&] { return std::string(session.user_name); },
        [&]() -> void {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            sql_ << "DELETE FROM sessions WHERE last_seen_at < :before OR ended_at < :ended",
                soci::use(forget_before, "before"), soci::use(forget_before, "ended");
            sql_ << "INSERT INTO sessions (id_hash, user_name, csrf_token, created_at, "
                    "last_seen_at) VALUES (:id, :name, :csrf, :created, :seen)",
                soci::use(session.id_hash, "id"), soci::use(session.user_name, "name"),
                soci::use(session.csrf_token, "csrf"), soci::use(session.created_at, "created"),
                soci::use(session.last_seen_at, "seen");
            transaction.commit();
        });
}

std::optional<connector::LoginSession> SociStore::session(const std::string& id_hash) {
    return guarded(
        "session", [] { return std::string(); },
        [&]() -> std::optional<connector::LoginSession> {
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT id_hash, user_name, csrf_token, created_at, "
                                 "last_seen_at, ended_at FROM sessions WHERE id_hash = :id",
                 soci::use(id_hash, "id"));
            for (const soci::row& row : rows) {
                connector::LoginSession found;
                found.id_hash = row.get<std::string>(0);
                found.user_name = row.get<std::string>(1);
                found.csrf_token = row.get<std::string>(2);
                found.created_at = row.get<std::string>(3);
                found.last_seen_at = row.get<std::string>(4);
                found.ended_at = text_or_empty(row, 5);
                return found;
            }
            return std::nullopt;
        });
}

void SociStore::touch_session(const std::string& id_hash, const std::string& at) {
    guarded(
        "touch_session", [] { return std::string(); },
        [&]() -> void {
            sql_ << "UPDATE sessions SET last_seen_at = :at WHERE id_hash = :id AND ended_at IS "
                    "NULL AND last_seen_at < :at2",
                soci::use(at, "at"), soci::use(id_hash, "id"), soci::use(at, "at2");
        });
}

bool SociStore::end_session(const std::string& id_hash, const std::string& at) {
    return guarded(
        "end_session", [] { return std::string(); },
        [&]() -> bool {
            soci::statement statement =
                (sql_.prepare << "UPDATE sessions SET ended_at = :at WHERE id_hash = :id AND "
                                 "ended_at IS NULL",
                 soci::use(at, "at"), soci::use(id_hash, "id"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        });
}

}  // namespace store::detail
