// The SOCI store: one implementation of connector::Store for SQLite (embedded default)
// and PostgreSQL (several daemons on one database), chosen by URL:
//   sqlite3:PATH                       WAL, synchronous=FULL: an acknowledged write
//                                      survives power loss
//   postgresql://user@host:port/db     anything libpq accepts as a URI
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "connector/store.hpp"

namespace store {

// The schema version this binary is built for (the number of migrations it carries).
int expected_schema_version();

enum class Migrations {
    refuse,  // a database at another version is refused with a message naming both
    apply,   // missing migrations are applied first (a newer database is still refused)
    // An empty database is set up; one at an older version is refused: an upgrade is a
    // deliberate step (back up, then `connector migrate` or `connector run --migrate`).
    set_up_when_empty,
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
// `up_to_version` 0 applies every migration this binary knows; another stops there (for
// tests that build a database as an older release left it).
MigrationResult migrate(const std::string& url, int up_to_version = 0);

// SQLite only: copies the live database at `url` into `file` with SQLite's online backup
// API, a few pages at a time so that writers wait only briefly; the copy is written
// beside `file` and renamed into place when complete, so `file` is never half a
// database. Returns its size in bytes. For PostgreSQL it throws ConfigError naming
// pg_dump (docs/operations.md).
std::int64_t backup(const std::string& url, const std::string& file);

// SQLite only: puts the database `file` (a backup) at `url`. Refuses a file that is not a
// connector database or is newer than this binary, and a target that holds a log unless
// `replace`. The caller verifies the chains afterwards.
void restore(const std::string& file, const std::string& url, bool replace);

}  // namespace store
