// Shared by the scale benchmarks (task_scale, message_scale): a bare SOCI session on a
// store's database, p50/p99 of repeated calls, and a database of their own on the
// PostgreSQL server of CONNECTOR_BENCH_POSTGRESQL, kept for the next run.
#pragma once

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "store/soci_store.hpp"

namespace bench {

// A bare SOCI session on the store's database, as the store connects.
inline soci::session session_for(const std::string& url) {
    const store::Connection connection = store::connection_for(url);
    if (connection.backend == "postgresql")
        return soci::session(*soci::factory_postgresql(), connection.connect_string);
    return soci::session(*soci::factory_sqlite3(), connection.connect_string);
}

struct Figures {
    double p50_ms = 0, p99_ms = 0;
};

// One warming call, then `calls` timed ones.
inline Figures measure(int calls, const std::function<void()>& call) {
    call();
    std::vector<double> times;
    for (int i = 0; i < calls; ++i) {
        const auto started = std::chrono::steady_clock::now();
        call();
        times.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count());
    }
    std::sort(times.begin(), times.end());
    return {times[times.size() / 2], times[std::min(times.size() - 1, times.size() * 99 / 100)]};
}

// The URL of database `name` on the server of `server_url`, created when missing.
inline std::string scale_database(const std::string& server_url, const std::string& name) {
    soci::session admin = session_for(server_url);
    int exists = 0;
    admin << "SELECT count(*) FROM pg_database WHERE datname = :name", soci::use(name),
        soci::into(exists);
    if (!exists)
        admin << "CREATE DATABASE " + name;
    return server_url.substr(0, server_url.rfind('/')) + "/" + name;
}

}  // namespace bench
