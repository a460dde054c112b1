// Backups of an SQLite store with SQLite's online backup API, and their restoration.
// PostgreSQL is backed up with its own tools (pg_dump), which know its locks, roles and
// versions better than a copy through SOCI would.
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "connector/error.hpp"
#include "soci_store_parts.hpp"
#include "store/soci_store.hpp"

namespace store {

namespace {

// SOCI's header includes sqlite3.h inside this namespace (and its include guard keeps it
// there).
using namespace sqlite_api;

constexpr const char* kPostgresqlTools =
    "PostgreSQL stores are backed up with pg_dump and restored with pg_restore "
    "(docs/operations.md, \"Backup and restore\")";

// The path of a sqlite3:PATH URL, refusing PostgreSQL.
std::string sqlite_path(const std::string& url, const char* what) {
    const Connection connection = connection_for(url);  // validates the URL
    if (connection.backend != "sqlite3")
        throw connector::ConfigError(std::string("connector ") + what + ": " + kPostgresqlTools);
    return url.substr(8);
}

sqlite3* handle_of(soci::session& sql) {
    return static_cast<soci::sqlite3_session_backend*>(sql.get_backend())->conn_;
}

// Copies the whole of `from` into `to`, a hundred pages a step. A step that finds the
// source locked by a writer waits a little (SQLite's own sleep) and goes on; a write to
// the source between steps makes SQLite start the copy again, so the result is one
// consistent state of the database.
void copy_database(sqlite3* from, sqlite3* to, const std::string& what) {
    sqlite3_backup* copy = sqlite3_backup_init(to, "main", from, "main");
    if (!copy)
        throw connector::PermanentError(what + ": " + sqlite3_errmsg(to));
    int status = SQLITE_OK;
    do {
        status = sqlite3_backup_step(copy, 100);
        if (status == SQLITE_BUSY || status == SQLITE_LOCKED)
            sqlite3_sleep(20);
    } while (status == SQLITE_OK || status == SQLITE_BUSY || status == SQLITE_LOCKED);
    sqlite3_backup_finish(copy);
    if (status != SQLITE_DONE)
        throw connector::PermanentError(what + ": " + sqlite3_errstr(status));
}

// The first 16 bytes of every SQLite 3 database file.
bool looks_like_sqlite(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char header[16] = {};
    in.read(header, sizeof header);
    return in.gcount() == 16 && std::string(header, 16) == std::string("SQLite format 3\0", 16);
}

}  // namespace

std::int64_t backup(const std::string& url, const std::string& file) {
    const std::string path = sqlite_path(url, "backup");
    if (!std::filesystem::exists(path))
        throw connector::ConfigError("connector backup: no database at " + path);
    const std::string partial = file + ".partial";
    std::filesystem::remove(partial);
    try {
        soci::session source(*soci::factory_sqlite3(), "db=" + path + " timeout=30");
        {
            soci::session target(*soci::factory_sqlite3(), "db=" + partial);
            copy_database(handle_of(source), handle_of(target), "connector backup");
        }
        std::filesystem::rename(partial, file);
    } catch (const connector::Error&) {
        std::filesystem::remove(partial);
        throw;
    } catch (const std::exception& error) {
        std::filesystem::remove(partial);
        throw connector::PermanentError(std::string("connector backup: ") + error.what());
    }
    return static_cast<std::int64_t>(std::filesystem::file_size(file));
}

void restore(const std::string& file, const std::string& url, bool replace) {
    const std::string path = sqlite_path(url, "restore");
    if (!std::filesystem::is_regular_file(file))
        throw connector::ConfigError("connector restore: no backup file at " + file);
    if (!looks_like_sqlite(file))
        throw connector::ConfigError("connector restore: " + file +
                                     " is not an SQLite database (no SQLite header)");
    try {
        soci::session backup_copy(*soci::factory_sqlite3(), "db=" + file);
        const int version = detail::current_version(backup_copy);
        if (version == 0)
            throw connector::ConfigError("connector restore: " + file +
                                         " holds no connector schema (no schema_version)");
        if (version > expected_schema_version())
            throw connector::ConfigError("connector restore: " + file + " is at schema version " +
                                         std::to_string(version) +
                                         ", newer than this connector (version " +
                                         std::to_string(expected_schema_version()) + ")");
        if (std::filesystem::exists(path)) {
            soci::session current(*soci::factory_sqlite3(), "db=" + path + " timeout=30");
            long long logged = 0;
            if (detail::current_version(current) > 0)
                current << "SELECT COALESCE(MAX(sequence), 0) FROM chain_heads", soci::into(logged);
            if (logged > 0 && !replace)
                throw connector::ConfigError(
                    "connector restore: " + path + " holds a log already (" +
                    std::to_string(logged) +
                    " entries in its longest chain); stop the daemon and give --replace to "
                    "overwrite it");
            copy_database(handle_of(backup_copy), handle_of(current), "connector restore");
            return;
        }
        if (const auto folder = std::filesystem::path(path).parent_path(); !folder.empty())
            std::filesystem::create_directories(folder);
        soci::session fresh(*soci::factory_sqlite3(), "db=" + path);
        copy_database(handle_of(backup_copy), handle_of(fresh), "connector restore");
    } catch (const connector::Error&) {
        throw;
    } catch (const std::exception& error) {
        throw connector::PermanentError(std::string("connector restore: ") + error.what());
    }
}

}  // namespace store
