// The SOCI store: one implementation of connector::Store for SQLite (embedded default)
// and PostgreSQL (several daemons on one database), chosen by URL:
//   sqlite3:PATH                       WAL, synchronous=FULL: an acknowledged write
//                                      survives power loss
//   postgresql://user@host:port/db     anything libpq accepts as a URI
#pragma once

#include <memory>
#include <string>

#include "connector/store.hpp"

namespace store {

// The schema version this binary is built for (the number of migrations it carries).
int expected_schema_version();

enum class Migrations {
    refuse,  // a database at another version is refused with a message naming both
    apply,   // missing migrations are applied first (a newer database is still refused)
};

// Opens the store; throws connector::ConfigError for a URL it does not understand,
// TransientError when the database cannot be reached, PermanentError for a schema
// version it cannot work with.
std::unique_ptr<connector::Store> open_store(const std::string& url,
                                             Migrations migrations = Migrations::refuse);

// What SOCI is given for a store URL: the backend ("sqlite3" or "postgresql") and its
// connection string. For tools and tests that open a plain session on the same database.
// Throws connector::ConfigError for a URL it does not understand.
struct Connection {
    std::string backend;
    std::string connect_string;
};
Connection connection_for(const std::string& url);

// Applies the missing migrations; returns the version before and after.
struct MigrationResult {
    int from = 0;
    int to = 0;
};
MigrationResult migrate(const std::string& url);

}  // namespace store
