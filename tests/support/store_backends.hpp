// Fresh, empty databases for the store conformance suite: a new SQLite file, or a new
// database on the private PostgreSQL server of the CTest fixture `postgresql`.
#pragma once

#include <boost/test/unit_test.hpp>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "store/soci_store.hpp"

namespace store_backends {

struct Backend {
    std::string name;  // "sqlite3" or "postgresql"
    // A store URL to a new, empty database whose name includes `label`.
    std::string (*fresh_url)(const std::string& label);
};

inline std::string sqlite_url(const std::string& label) {
    const auto dir = std::filesystem::path(CONNECTOR_BINARY_DIR) / "test-tmp" / "store";
    std::filesystem::create_directories(dir);
    const auto path = dir / (label + ".db");
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + suffix);
    return "sqlite3:" + path.string();
}

inline std::string postgresql_server_url() {
    std::ifstream file(std::filesystem::path(CONNECTOR_BINARY_DIR) / "test-postgresql" / "url");
    std::string url;
    std::getline(file, url);
    BOOST_REQUIRE_MESSAGE(
        !url.empty(), "no PostgreSQL test server: run through ctest (fixture postgresql/start)");
    return url;
}

// A plain SOCI session on the database of a store URL, e.g. for tampering behind the
// store's back.
inline soci::session raw_session(const std::string& url) {
    const store::Connection connection = store::connection_for(url);
    return soci::session(
        connection.backend == "sqlite3" ? *soci::factory_sqlite3() : *soci::factory_postgresql(),
        connection.connect_string);
}

// The URL of the same server with another database.
inline std::string with_database(const std::string& url, const std::string& database) {
    return url.substr(0, url.rfind('/') + 1) + database;
}

inline std::string postgresql_url(const std::string& label) {
    const std::string server = postgresql_server_url();
    std::string database = "t_" + label;
    for (char& c : database)
        c = static_cast<char>(std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_');
    soci::session admin = raw_session(with_database(server, "postgres"));
    admin << "DROP DATABASE IF EXISTS " + database;
    admin << "CREATE DATABASE " + database;
    return with_database(server, database);
}

inline const Backend kSqlite{"sqlite3", sqlite_url};
inline const Backend kPostgresql{"postgresql", postgresql_url};

}  // namespace store_backends
