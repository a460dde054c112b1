// bench/exchange: tasks per second through the whole path, assign at G22 → sent →
// received, verified and applied at H20 → 01 sent back → applied at G22, with the axis
// simulator on loopback, signing and verifying every package, durable commits. Both
// connectors run in this process, their passes driven back to back (no poll interval:
// the figure is the pipeline's own cost). Printed beside the raw RSA signing rate of the
// same machine in the same run (the path signs twice per assignment: the assignment and
// its 01).
//
// SQLite always (files under /tmp); PostgreSQL when CONNECTOR_BENCH_POSTGRESQL holds a
// server URL whose user may create databases.
//
// Usage: exchange [--quick] [--api]
//   --api: the API-driven mode instead (bench/exchange_api.cpp): POST /api/v1/tasks at
//   one daemon to the webhook at the other, through real daemon processes with a poll
//   interval: one H20 daemon, then two on one database; on PostgreSQL too when set.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "axis_sim/simulator.hpp"
#include "connector/exchange.hpp"
#include "exchange_api.hpp"
#include "store/soci_store.hpp"
#include "vdxp/http_axis_client.hpp"

namespace {

using Steady = std::chrono::steady_clock;

struct Side {
    std::unique_ptr<connector::Store> store;
    std::unique_ptr<vdxp::HttpAxisClient> client;
    std::unique_ptr<connector::Exchange> exchange;
};

axis_sim::AgencyConfig agency(const std::string& code, const std::string& name) {
    axis_sim::AgencyConfig config;
    config.id = code;
    config.code = code;
    config.name = name;
    return config;
}

Side make_side(const std::string& url, const axis_sim::Simulator& simulator,
               const connector::Clock& clock, const std::string& code, const std::string& secret,
               const std::string& pki, const std::string& key) {
    Side side;
    side.store = store::open_store(url, store::Migrations::apply);
    vdxp::ClientSettings client;
    client.base_url = simulator.base_url();
    client.systemid = code;
    client.secret = secret;
    side.client = std::make_unique<vdxp::HttpAxisClient>(client);
    connector::ExchangeSettings settings;
    settings.sender = {code, code, ""};
    settings.worker_id = code;
    settings.signing =
        std::make_shared<const edxml::SigningCredentials>(edxml::SigningCredentials::from_pem(
            pki + "/" + key + ".key", pki + "/" + key + ".pem", pki + "/intermediate.pem",
            edxml::read_passphrase_file(pki + "/passphrase.txt")));
    edxml::TrustOptions trust;
    trust.anchors = {pki + "/anchors"};
    settings.verifier = std::make_shared<const edxml::Verifier>(trust);
    settings.verify_policy = connector::VerifyPolicy::require;
    side.exchange =
        std::make_unique<connector::Exchange>(*side.store, *side.client, clock, settings);
    return side;
}

double rsa_signatures_per_second(const std::string& key_file, const std::string& passphrase) {
    FILE* file = std::fopen(key_file.c_str(), "r");
    if (!file)
        return 0;
    EVP_PKEY* key =
        PEM_read_PrivateKey(file, nullptr, nullptr, const_cast<char*>(passphrase.c_str()));
    std::fclose(file);
    if (!key)
        return 0;
    const unsigned char digest[32] = {1, 2, 3};
    unsigned char signature[512];
    int count = 0;
    const auto start = Steady::now();
    while (Steady::now() - start < std::chrono::milliseconds(500)) {
        EVP_PKEY_CTX* context = EVP_PKEY_CTX_new(key, nullptr);
        EVP_PKEY_sign_init(context);
        EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING);
        EVP_PKEY_CTX_set_signature_md(context, EVP_sha256());
        std::size_t length = sizeof signature;
        EVP_PKEY_sign(context, signature, &length, digest, sizeof digest);
        EVP_PKEY_CTX_free(context);
        ++count;
    }
    EVP_PKEY_free(key);
    return count / std::chrono::duration<double>(Steady::now() - start).count();
}

struct Figures {
    double tasks_per_second = 0;
    double median_ms = 0;
    double p99_ms = 0;
};

Figures run(const std::string& g22_url, const std::string& h20_url, const std::string& pki,
            int assignments, int tasks_per_assignment) {
    axis_sim::SimulatorConfig config;
    config.systems = {
        {"000.00.00.H20",
         "h20-secret",
         {agency("000.00.00.H20", "UBND tỉnh Đồng Tháp"), agency("000.00.14.H20", "Sở KH&CN")}},
        {"000.00.00.G22", "g22-secret", {agency("000.00.00.G22", "Văn phòng Chính phủ")}}};
    axis_sim::Simulator simulator(config);
    simulator.start();
    connector::SystemClock clock;
    Side government =
        make_side(g22_url, simulator, clock, "000.00.00.G22", "g22-secret", pki, "g22");
    Side province = make_side(h20_url, simulator, clock, "000.00.00.H20", "h20-secret", pki, "h20");

    std::map<std::string, Steady::time_point> started;  // DocumentId → assign time
    std::vector<double> latencies_ms;
    const auto begin = Steady::now();
    for (int a = 1; a <= assignments; ++a) {
        connector::AssignmentDocument document;
        document.code_number = std::to_string(a);
        document.code_notation = "BENCH";
        document.subject = "Bench";
        for (int t = 0; t < tasks_per_assignment; ++t) {
            edxml::TaskRecord task;
            task.title = "Nhiệm vụ " + std::to_string(t);
            task.assignees = {{edxml::AssigneeRole::lead, "000.00.14.H20", "Sở KH&CN"}};
            document.tasks.push_back(task);
        }
        government.exchange->assign(document);
        started[connector::document_id_for("000.00.00.G22", connector::vietnam_date(clock.now()),
                                           document.code_number, "BENCH")] = Steady::now();
    }
    while (!started.empty()) {
        for (Side* side : {&government, &province}) {
            side->exchange->send_pending();
            side->exchange->poll(connector::AxisMessageType::edoc);
            side->exchange->poll(connector::AxisMessageType::status);
            side->exchange->apply_pending();
        }
        for (auto it = started.begin(); it != started.end();) {
            const auto tasks = government.store->tasks_of_document(it->first);
            const bool back =
                !tasks.empty() && std::all_of(tasks.begin(), tasks.end(), [](const auto& task) {
                    return task.status.current == edxml::StatusKind::received;
                });
            if (back) {
                const double ms =
                    std::chrono::duration<double, std::milli>(Steady::now() - it->second).count();
                for (int t = 0; t < tasks_per_assignment; ++t)
                    latencies_ms.push_back(ms);
                it = started.erase(it);
            } else {
                ++it;
            }
        }
    }
    const double seconds = std::chrono::duration<double>(Steady::now() - begin).count();
    std::sort(latencies_ms.begin(), latencies_ms.end());
    Figures figures;
    figures.tasks_per_second = latencies_ms.size() / seconds;
    figures.median_ms = latencies_ms[latencies_ms.size() / 2];
    figures.p99_ms =
        latencies_ms[std::min(latencies_ms.size() - 1, latencies_ms.size() * 99 / 100)];
    return figures;
}

// The path signs twice per assignment (the assignment, its 01): with 10 tasks per
// assignment, signing alone would allow rsa_rate × 5 tasks/s.
void print(const char* label, const Figures& figures, double rsa_rate, int tasks_per_assignment) {
    const double signing_bound = rsa_rate * tasks_per_assignment / 2;
    std::printf(
        "%-10s %8.1f tasks/s  median %7.1f ms  p99 %7.1f ms  = %.1f%% of the signing "
        "bound (%.0f tasks/s)\n",
        label, figures.tasks_per_second, figures.median_ms, figures.p99_ms,
        100.0 * figures.tasks_per_second / signing_bound, signing_bound);
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false, api = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick") {
            quick = true;
        } else if (arg == "--api") {
            api = true;
        } else {
            std::fprintf(stderr, "usage: exchange [--quick] [--api]\n");
            return 2;
        }
    }
    const int assignments = quick ? 5 : 40;
    const int tasks_per_assignment = 10;
    const std::string work = "/tmp/connector-bench-exchange";
    std::filesystem::remove_all(work);
    std::filesystem::create_directories(work);
    const std::string pki = work + "/pki";
    const std::string make_pki =
        std::string(CONNECTOR_SOURCE_DIR) + "/samples/pki/make-test-pki.sh " + pki;
    if (std::system(make_pki.c_str()) != 0) {
        std::fprintf(stderr, "cannot make the test PKI\n");
        return 1;
    }
    // PostgreSQL databases made afresh for each run (none: SQLite only).
    const char* server = std::getenv("CONNECTOR_BENCH_POSTGRESQL");
    const auto fresh_databases = [&](const std::string& prefix) {
        soci::session sql(*soci::factory_postgresql(),
                          store::connection_for(server).connect_string);
        const std::string base = std::string(server).substr(0, std::string(server).rfind('/'));
        for (const char* side : {"_g22", "_h20"}) {
            sql << "DROP DATABASE IF EXISTS " + prefix + side;
            sql << "CREATE DATABASE " + prefix + side;
        }
        return std::pair{base + "/" + prefix + "_g22", base + "/" + prefix + "_h20"};
    };
    if (api) {
        // One H20 daemon, then two on one database (the several-daemons deployment).
        for (const int h20_daemons : {1, 2}) {
            const std::string dir = work + "/sqlite-" + std::to_string(h20_daemons);
            if (bench_api::run(CONNECTOR_BINARY, dir, pki, quick,
                               {"SQLite", "sqlite3:" + dir + "/g22.db",
                                "sqlite3:" + dir + "/h20.db", h20_daemons}) != 0)
                return 1;
            if (!server)
                continue;
            const auto [g22, h20] = fresh_databases("bench_api");
            if (bench_api::run(CONNECTOR_BINARY, work + "/pg-" + std::to_string(h20_daemons), pki,
                               quick, {"PostgreSQL", g22, h20, h20_daemons}) != 0)
                return 1;
        }
        return 0;
    }
    const double rsa_rate = rsa_signatures_per_second(pki + "/h20.key", "");
    std::printf("exchange: %d assignments of %d tasks, signed and verified, durable commits\n",
                assignments, tasks_per_assignment);
    std::printf("raw RSA-2048 signing (baseline): %.0f signatures/s\n", rsa_rate);
    print("SQLite",
          run("sqlite3:" + work + "/g22.db", "sqlite3:" + work + "/h20.db", pki, assignments,
              tasks_per_assignment),
          rsa_rate, tasks_per_assignment);
    if (server) {
        const auto [g22, h20] = fresh_databases("bench_exchange");
        print("PostgreSQL", run(g22, h20, pki, assignments, tasks_per_assignment), rsa_rate,
              tasks_per_assignment);
    }
    return 0;
}
