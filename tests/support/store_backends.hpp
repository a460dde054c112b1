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

// "postgresql://connector@127.0.0.1:55432/postgres" → host/port parts for libpq keywords.
inline std::string postgresql_keywords(const std::string& url, const std::string& database) {
    const auto at = url.find('@');
    const auto colon = url.find(':', at);
    const auto slash = url.find('/', colon);
    return "host=" + url.substr(at + 1, colon - at - 1) +
           " port=" + url.substr(colon + 1, slash - colon - 1) +
           " user=connector dbname=" + database;
}

inline std::string postgresql_url(const std::string& label) {
    const std::string server = postgresql_server_url();
    std::string database = "t_" + label;
    for (char& c : database)
        c = static_cast<char>(std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_');
    soci::session admin(*soci::factory_postgresql(), postgresql_keywords(server, "postgres"));
    admin << "DROP DATABASE IF EXISTS " + database;
    admin << "CREATE DATABASE " + database;
    return server.substr(0, server.rfind('/') + 1) + database;
}

// A plain SOCI session on the same database, for tampering behind the store's back.
inline soci::session raw_session(const std::string& url) {
    if (url.rfind("sqlite3:", 0) == 0)
        return soci::session(*soci::factory_sqlite3(), "db=" + url.substr(8));
    const std::string database = url.substr(url.rfind('/') + 1);
    return soci::session(*soci::factory_postgresql(), postgresql_keywords(url, database));
}

inline const Backend kSqlite{"sqlite3", sqlite_url};
inline const Backend kPostgresql{"postgresql", postgresql_url};

}  // namespace store_backends
