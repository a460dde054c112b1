// bench/store: durable appends per second of 10 KB packages to the message log, one
// transaction per package and in batches of 100, beside a bare SOCI insert of the same row
// values without the chain (no head lookup, no hashing, no head update) in the same run.
// Target (issue 4): the chain costs under 10% of the bare insert.
//
// SQLite always (a file under /tmp, WAL, synchronous=FULL: every commit reaches the disk).
// PostgreSQL when CONNECTOR_BENCH_POSTGRESQL holds a server URL, e.g. one started with
//   PG_FIXTURE_DURABLE=1 tests/support/postgresql-fixture.sh start /tmp/bench-pg
//
// Usage: store [--quick]
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "connector/store.hpp"
#include "edxml/attachments.hpp"
#include "store/soci_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

connector::MessageEntry package_entry(const std::string& raw, int n) {
    connector::MessageEntry entry;
    entry.direction = connector::Direction::inbound;
    entry.kind = "edoc";
    entry.document_id = "000.00.00.G22,2025/04/10," + std::to_string(n) + "/VPCP-KSTT";
    entry.knobstick_id = "knob-" + std::to_string(n);
    entry.from_agency = "000.00.00.G22";
    entry.to_agencies = "000.00.00.H20";
    entry.subject = "Văn bản số " + std::to_string(n);
    entry.raw = raw;
    entry.signature_verdict = "valid";
    return entry;
}

// The same row as append_message writes (the raw bytes' SHA-256 is a field of the log
// either way), minus what the chain needs: no head lookup or move, no entry hash.
// Through a statement prepared once, as the store does.
class BareInsert {
  public:
    explicit BareInsert(soci::session& sql)
        : statement_(
              (sql.prepare
                   << "INSERT INTO messages_bare (sequence, direction, kind, business_type, "
                      "document_id, knobstick_id, from_agency, to_agencies, status_code, subject, "
                      "raw_base64, raw_sha256, raw_size, signature_verdict, signer, recorded_at, "
                      "prev_hash, entry_hash) VALUES (:sequence, 'inbound', :kind, :business_type, "
                      ":document_id, :knobstick_id, :from_agency, :to_agencies, :status_code, "
                      ":subject, :raw_base64, :raw_sha256, :raw_size, :signature_verdict, :signer, "
                      "'2026-01-01T00:00:00.000Z', '', '')",
               soci::use(sequence_, "sequence"), soci::use(row_.kind, "kind"),
               soci::use(row_.business_type, "business_type"),
               soci::use(row_.document_id, "document_id"),
               soci::use(row_.knobstick_id, "knobstick_id"),
               soci::use(row_.from_agency, "from_agency"),
               soci::use(row_.to_agencies, "to_agencies"),
               soci::use(row_.status_code, "status_code"), soci::use(row_.subject, "subject"),
               soci::use(raw_base64_, "raw_base64"), soci::use(raw_sha256_, "raw_sha256"),
               soci::use(size_, "raw_size"), soci::use(row_.signature_verdict, "signature_verdict"),
               soci::use(row_.signer, "signer"))) {}

    void insert(const connector::MessageEntry& entry) {
        row_ = entry;
        raw_base64_ = edxml::encode_base64(entry.raw, 0);
        raw_sha256_ = edxml::sha256_hex(entry.raw);  // a field of the row, chain or not
        size_ = static_cast<long long>(entry.raw.size());
        ++sequence_;
        statement_.execute(true);
    }

  private:
    connector::MessageEntry row_;
    std::string raw_base64_;
    std::string raw_sha256_;
    long long size_ = 0;
    long long sequence_ = 0;
    soci::statement statement_;
};

// Rows per second over at least `seconds`, in transactions of `batch` rows.
double rate(const std::function<void(int first, int count)>& run_batch, int batch, double seconds) {
    int rows = 0;
    const auto start = Clock::now();
    std::chrono::duration<double> elapsed{};
    do {
        run_batch(rows, batch);
        rows += batch;
        elapsed = Clock::now() - start;
    } while (elapsed.count() < seconds);
    return rows / elapsed.count();
}

void run(const char* name, const std::string& url, soci::session& raw, const char* begin,
         bool quick) {
    store::migrate(url);
    const auto store = store::open_store(url);
    // The same table: columns, key and indexes, so that only the chain differs.
    if (std::strcmp(begin, "BEGIN") == 0) {
        raw << "CREATE TABLE messages_bare (LIKE messages INCLUDING ALL)";
    } else {
        raw << "CREATE TABLE messages_bare AS SELECT * FROM messages WHERE 1 = 0";
        raw << "CREATE UNIQUE INDEX messages_bare_sequence ON messages_bare (sequence)";
        raw << "CREATE INDEX messages_bare_document_id ON messages_bare (document_id)";
        raw << "CREATE INDEX messages_bare_knobstick_id ON messages_bare (knobstick_id)";
    }
    const std::string raw_package = [] {
        std::string package = bench::status_package();
        while (package.size() < 10 * 1024)
            package += "<!-- padding to 10 KB -->\n";
        return package;
    }();
    BareInsert bare_insert(raw);
    auto chained = [&](int first, int count) {
        if (count == 1) {
            store->append_message(package_entry(raw_package, first));
            return;
        }
        std::vector<connector::MessageEntry> entries;
        for (int i = 0; i < count; ++i)
            entries.push_back(package_entry(raw_package, first + i));
        store->append_messages(std::move(entries));
    };
    auto bare = [&](int first, int count) {
        raw << begin;
        for (int i = 0; i < count; ++i)
            bare_insert.insert(package_entry(raw_package, first + i));
        raw << "COMMIT";
    };
    // Rounds alternate bare and chained, so both see the same disk and neighbours;
    // the medians are compared.
    const double seconds = quick ? 0.3 : 0.5;
    const int rounds = quick ? 3 : 15;
    auto median = [](std::vector<double> values) {
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
    };
    for (int batch : {1, 100}) {
        std::vector<double> bare_rates, chained_rates;
        for (int round = 0; round < rounds; ++round) {
            // Which goes first alternates too: commit latency drifts on a shared disk.
            if (round % 2 == 0) {
                bare_rates.push_back(rate(bare, batch, seconds));
                chained_rates.push_back(rate(chained, batch, seconds));
            } else {
                chained_rates.push_back(rate(chained, batch, seconds));
                bare_rates.push_back(rate(bare, batch, seconds));
            }
        }
        const double bare_rate = median(bare_rates);
        const double chained_rate = median(chained_rates);
        std::printf("%-11s %-25s %10.1f %10.1f %9.1f%%\n", name,
                    batch == 1 ? "1 package/transaction" : "100 packages/transaction", bare_rate,
                    chained_rate, (bare_rate / chained_rate - 1.0) * 100.0);
    }
    const auto reports = connector::verify_chains(*store);
    if (!reports.front().ok) {
        std::fprintf(stderr, "bench: the chain does not verify: %s\n",
                     reports.front().problem.c_str());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    std::printf("store: appends of 10 KB packages per second (durable commits)\n");
    std::printf("%-11s %-25s %10s %10s %10s\n", "database", "mode", "bare/s", "chained/s",
                "chain cost");

    const auto path = std::filesystem::temp_directory_path() /
                      ("bench-store-" + std::to_string(getpid()) + ".db");
    {
        const std::string url = "sqlite3:" + path.string();
        store::migrate(url);
        soci::session raw(*soci::factory_sqlite3(), "db=" + path.string());
        raw << "PRAGMA journal_mode = WAL";
        raw << "PRAGMA synchronous = FULL";
        run("SQLite", url, raw, "BEGIN IMMEDIATE", quick);
    }
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + suffix);

    if (const char* server = std::getenv("CONNECTOR_BENCH_POSTGRESQL")) {
        const std::string base = server;
        const std::string bench_url = base.substr(0, base.rfind('/') + 1) + "bench_store";
        {
            const store::Connection admin_connection = store::connection_for(base);
            soci::session admin(*soci::factory_postgresql(), admin_connection.connect_string);
            admin << "DROP DATABASE IF EXISTS bench_store";
            admin << "CREATE DATABASE bench_store";
        }
        soci::session raw(*soci::factory_postgresql(),
                          store::connection_for(bench_url).connect_string);
        run("PostgreSQL", bench_url, raw, "BEGIN", quick);
    } else {
        std::printf("PostgreSQL  skipped: set CONNECTOR_BENCH_POSTGRESQL to a server URL\n");
    }
    std::printf("chain cost = how much slower the chained append is than the bare insert\n");
    return 0;
}
