// The users of the pages and their units (migration 0007).
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
            const std::string at = now_utc();
            soci::statement statement =
                (sql_.prepare << "UPDATE users SET password_hash = :hash, password_changed_at = "
                                 ":at, failed_logins = 0, locked_until = NULL WHERE name = :name",
                 soci::use(password_hash, "hash"), soci::use(at, "at"), soci::use(name, "name"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        });
}

bool SociStore::disable_user(const std::string& name) {
    return guarded(
        "disable_user", [&] { return std::string(name); },
        [&]() -> bool {
            const std::string at = now_utc();
            soci::statement statement =
                (sql_.prepare << "UPDATE users SET disabled_at = :at WHERE name = :name AND "
                                 "disabled_at IS NULL",
                 soci::use(at, "at"), soci::use(name, "name"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        });
}

}  // namespace store::detail
