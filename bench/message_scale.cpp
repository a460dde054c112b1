// bench/message_scale: the auditors' reads with 1 000 000 messages in the log (issue 16),
// through the store port the API and the CLI use. For each search it prints p50 and p99
// of 200 calls, beside a bare indexed SELECT of the same rows through SOCI (no filter
// parsing, no count, no row decoding) measured in the same run; then a full verification
// of the chain in entries per second. Targets: a search by DocumentId or knobstick at most
// 50 ms p99, a filtered page (with its total) at most 100 ms p99, verification at least
// 50 000 entries/s.
//
// The generator writes N entries (a mix of directions, kinds, agencies, verdicts, with
// 1 in 1 000 invalid) through append_messages, 1 000 per transaction, with a transport
// state for each outbound one; a database that holds N entries already is reused.
//
// SQLite always (a file under /tmp); PostgreSQL when CONNECTOR_BENCH_POSTGRESQL holds a
// server URL (tests/support/postgresql-fixture.sh start DIR, with PG_FIXTURE_DURABLE=1).
//
// Usage: message_scale [--messages N] [--quick] [--verify-only]
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "connector/store.hpp"
#include "scale_support.hpp"
#include "store/soci_store.hpp"

namespace {

using bench::Figures;
using bench::measure;
using bench::session_for;
using Clock = std::chrono::steady_clock;

const char* const kAgencies[] = {"000.00.00.G22", "000.00.14.H20", "000.00.22.H20",
                                 "000.00.01.H20", "000.00.05.H20", "000.00.00.H20"};

std::string document_of(std::size_t n) {
    return "000.00.00.G22,2026/11/" + std::to_string(1 + n % 28) + "," + std::to_string(n) +
           "/TB-VPCP";
}
std::string knobstick_of(std::size_t n) {
    return "k" + std::to_string(n * 7919 % 1000003) + "-" + std::to_string(n);
}

void generate(connector::Store& store, std::size_t messages) {
    const std::int64_t have = store.message_head().sequence;
    if (have >= static_cast<std::int64_t>(messages))
        return;
    const auto started = Clock::now();
    // A package of the usual size of a status package (about 1.5 KB), different per entry.
    const std::string body(1400, 'x');
    for (std::size_t n = static_cast<std::size_t>(have) + 1; n <= messages;) {
        std::vector<connector::MessageEntry> batch;
        for (; n <= messages && batch.size() < 1000; ++n) {
            connector::MessageEntry entry;
            const bool inbound = n % 2 == 1;
            entry.direction =
                inbound ? connector::Direction::inbound : connector::Direction::outbound;
            entry.kind = n % 3 == 0 ? "status" : "edoc";
            entry.business_type = static_cast<int>(n % 17 == 0 ? 1 : 0);
            entry.document_id = document_of(n);
            entry.knobstick_id = inbound ? knobstick_of(n) : "";
            entry.from_agency = inbound ? kAgencies[n % 3] : "000.00.00.H20";
            entry.to_agencies = inbound ? "000.00.00.H20" : kAgencies[n % 6];
            entry.status_code = entry.kind == "status" ? (n % 2 ? "03" : "05") : "";
            entry.subject = "Báo cáo tình hình thực hiện nhiệm vụ số " + std::to_string(n);
            entry.raw =
                "<edXMLEnvelope n=\"" + std::to_string(n) + "\">" + body + "</edXMLEnvelope>";
            entry.signature_verdict = inbound ? (n % 1000 == 1 ? "invalid" : "valid") : "signed";
            entry.signer = "CN=" + entry.from_agency;
            batch.push_back(std::move(entry));
        }
        store.in_one_transaction([&] {
            for (const connector::MessageEntry& stored : store.append_messages(std::move(batch))) {
                if (stored.direction == connector::Direction::outbound)
                    store.move_transport_state(
                        {stored.sequence,
                         "delivered",
                         "",
                         knobstick_of(static_cast<std::size_t>(stored.sequence)),
                         {}},
                        true, {});
            }
        });
        if (n % 100000 < 1000)
            std::printf("  … %zu\n", n - 1), std::fflush(stdout);
    }
    std::printf("  generated %zu messages in %.1f s\n", messages - static_cast<std::size_t>(have),
                std::chrono::duration<double>(Clock::now() - started).count());
}

// The chain verification of the whole log, in entries per second.
void verify_all(connector::Store& store) {
    const auto started = Clock::now();
    std::int64_t checked = 0;
    for (const connector::ChainReport& chain : connector::verify_chains(store))
        checked += chain.count;
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::printf("  chain verification: %lld entries in %.1f s, %.0f entries/s%s\n",
                static_cast<long long>(checked), seconds, static_cast<double>(checked) / seconds,
                static_cast<double>(checked) / seconds < 50000 ? "  UNDER TARGET" : "");
    std::fflush(stdout);
}

void run(const std::string& name, const std::string& url, std::size_t messages, int calls,
         bool verify_only) {
    std::printf("%s (%s)\n", name.c_str(), url.c_str());
    auto store = store::open_store(url, store::Migrations::apply);
    generate(*store, messages);
    {
        soci::session sql = session_for(url);
        sql << (store::connection_for(url).backend == "postgresql" ? "VACUUM ANALYZE" : "ANALYZE");
    }
    if (verify_only) {
        verify_all(*store);
        return;
    }
    std::mt19937_64 random(16);
    const auto pick = [&] { return 1 + random() % messages; };
    soci::session bare = session_for(url);
    const Figures baseline = measure(calls, [&] {
        const std::string document = document_of(pick());
        std::vector<long long> found(4);
        bare << "SELECT sequence FROM messages WHERE document_id = :d", soci::use(document),
            soci::into(found);
    });
    std::printf("  %-48s p50 %7.2f ms  p99 %7.2f ms\n", "bare indexed SELECT by DocumentId",
                baseline.p50_ms, baseline.p99_ms);
    std::fflush(stdout);
    const auto report = [&](const char* what, const Figures& figures, double target) {
        std::printf("  %-48s p50 %7.2f ms  p99 %7.2f ms  (%5.1fx bare p99)%s\n", what,
                    figures.p50_ms, figures.p99_ms, figures.p99_ms / baseline.p99_ms,
                    figures.p99_ms > target ? "  OVER TARGET" : "");
        std::fflush(stdout);
    };
    // A search that should find something and finds nothing measures the wrong thing.
    bool found_nothing = false;
    const auto search = [&](const std::function<void(connector::MessageQuery&)>& fill,
                            bool finds_something = true) {
        return measure(calls, [&] {
            connector::MessageQuery query;
            fill(query);
            const connector::MessagePage page = store->find_messages(query);
            if (finds_something && page.total == 0 && query.before_sequence == 0)
                found_nothing = true;
        });
    };
    report("search by DocumentId (with total)",
           search([&](auto& q) { q.document_id = document_of(pick()); }), 50);
    report("search by knobstick id, received",
           search([&](auto& q) { q.knobstick_id = knobstick_of(pick() | 1); }), 50);
    report("search by knobstick id, sent (transport)",
           search([&](auto& q) { q.knobstick_id = knobstick_of((pick() | 1) + 1); }), 50);
    report("page: inbound, valid (first, total capped)", search([&](auto& q) {
               q.direction = "inbound";
               q.verdict = "valid";
           }),
           100);
    report("page: verdict invalid (rare), deep cursor", search([&](auto& q) {
               q.verdict = "invalid";
               q.before_sequence = static_cast<std::int64_t>(pick());
           }),
           100);
    report("page: agency (sender) + kind edoc, deep cursor", search([&](auto& q) {
               q.agency = "000.00.14.H20";
               q.kind = "edoc";
               q.before_sequence = static_cast<std::int64_t>(pick());
           }),
           100);
    report("page: agency (recipient), deep cursor", search([&](auto& q) {
               q.agency = "000.00.22.H20";
               q.before_sequence = static_cast<std::int64_t>(pick());
           }),
           100);
    report("page: state delivered + status code 05", search([&](auto& q) {
               q.transport_state = "delivered";
               q.status_code = "05";
           }),
           100);
    // Not a target: two filters each matching many rows and no row both. Every match of
    // the narrower one is read to learn that none fits the other.
    const Figures worst = search(
        [&](auto& q) {
            q.agency = "000.00.14.H20";
            q.kind = "status";
        },
        false);
    std::printf("  %-48s p50 %7.2f ms  p99 %7.2f ms  (%5.1fx bare p99)  worst case, no target\n",
                "page: agency + kind with no row in common", worst.p50_ms, worst.p99_ms,
                worst.p99_ms / baseline.p99_ms);
    if (found_nothing)
        std::printf("  A SEARCH THAT SHOULD MATCH FOUND NOTHING: the figures above are wrong\n");
    std::fflush(stdout);
    verify_all(*store);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t messages = 1'000'000;
    int calls = 200;
    bool verify_only = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--messages") == 0 && i + 1 < argc)
            messages = static_cast<std::size_t>(std::stoul(argv[++i]));
        else if (std::strcmp(argv[i], "--quick") == 0)
            calls = 30;
        else if (std::strcmp(argv[i], "--verify-only") == 0)
            verify_only = true;
    }
    std::printf("message_scale: %zu messages, %d calls per figure\n", messages, calls);
    run("SQLite", "sqlite3:/tmp/connector-message-scale-" + std::to_string(messages) + ".db",
        messages, calls, verify_only);
    if (const char* pg = std::getenv("CONNECTOR_BENCH_POSTGRESQL")) {
        run("PostgreSQL", bench::scale_database(pg, "message_scale_" + std::to_string(messages)),
            messages, calls, verify_only);
    }
    return 0;
}
