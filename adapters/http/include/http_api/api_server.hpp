// The daemon's HTTP server (adapters/http): health and readiness, and the backend API
// under /api/v1 for iDesk (docs/api.md, docs/openapi.yaml), authenticated with API
// tokens stored as SHA-256 hashes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connector/clock.hpp"
#include "connector/exchange.hpp"
#include "connector/store.hpp"
#include "http_api/change_signal.hpp"

namespace http_api {

// One check of GET /api/v1/diagnostics: `connector doctor`'s, as the daemon runs them.
struct DiagnosticCheck {
    std::string name;     // e.g. "database", "axis", "clock"
    std::string outcome;  // "ok", "warning" (works, act soon) or "broken"
    std::string detail;   // what was found
    std::string advice;   // what to do; empty when ok
};

struct ServerSettings {
    std::string host = "127.0.0.1";
    unsigned short port = 0;  // 0: any free port
    // Both set: HTTPS (PEM files; the certificate file may hold the chain).
    std::string tls_certificate;
    std::string tls_private_key;
    std::size_t max_body_bytes = 16 * 1024 * 1024;  // attachments travel as base64
    std::chrono::seconds timeout{30};               // one read or write on a connection
    // The whole body, however slowly it comes (a trickling sender holds a worker, and a
    // large one one of the `large_bodies_at_once`, no longer than this).
    std::chrono::milliseconds body_within{120'000};
    // Connections: workers (long polls hold one each), ready connections queued for them
    // (more are answered 503 at once), accepted connections that have sent nothing yet
    // (they hold no worker; closed after `first_request_within`), and how long and for
    // how many requests a kept-alive connection may hold its worker.
    int worker_threads = 32;
    std::size_t max_queued = 128;
    std::size_t max_waiting_connections = 1024;
    std::chrono::milliseconds first_request_within{10'000};
    std::chrono::milliseconds keep_alive_idle{2'000};
    int max_requests_per_connection = 100;
    // Requests with a body over 1 MiB read and handled at once (the others wait their
    // turn before reading): memory stays a small multiple of one large body.
    int large_bodies_at_once = 2;
    // GET /api/v1/agencies: (name, code), from units.table.
    std::vector<std::pair<std::string, std::string>> agencies;
    std::chrono::seconds idempotency_keep{7 * 24 * 3600};
    std::chrono::seconds max_wait{60};  // GET /events?wait=
    // The pages' logins: a session ends after `session_idle` unused or `session_lifetime`
    // after it began; `login_attempts` failures in a row lock the user for `lockout`.
    std::chrono::minutes session_idle{30};
    std::chrono::minutes session_lifetime{12 * 60};
    int login_attempts = 5;
    std::chrono::minutes lockout{15};
    // The one origin allowed to frame the pages (iDesk's task module); empty: none.
    std::string embed_origin;
    // "Now" for sessions, lockouts and timeliness (tests pin it); null: the system clock.
    std::shared_ptr<const connector::Clock> clock;
    // The auditors' chain verification holds the chains against the signed checkpoint
    // file (audit.checkpoint_file; empty: the store's copy), each checkpoint's signature
    // checked with this certificate (signing.certificate_file).
    std::string checkpoint_file;
    std::string checkpoint_certificate;
    // Makes an evidence bundle (adapters/evidence) of these messages for `exported_by`;
    // the daemon binds it to its signing key. Empty: POST /api/v1/audit/bundles is 503.
    // Throws std::invalid_argument for a sequence that is no entry, PermanentError when
    // no checkpoint can cover them.
    std::function<std::string(connector::Store& store, const std::vector<std::int64_t>& sequences,
                              const std::string& exported_by)>
        make_evidence_bundle;
    // GET /metrics: the Prometheus text exposition, given the store to read at the scrape.
    // Empty: the route answers 404.
    std::function<std::string(connector::Store& store)> metrics_text;
    // GET /api/v1/diagnostics: runs the checks, outside the store's lock (they take up to
    // a few seconds: the axis, the webhook target). Empty: the route answers 404.
    std::function<std::vector<DiagnosticCheck>()> diagnostics;
};

// What the server works with: its own store connection (the daemon's is not shared
// across threads) and an Exchange over it that queues what the API submits; the
// daemon's loop sends it. No exchange: the API only reads.
class Backend {
  public:
    virtual ~Backend() = default;
    virtual connector::Store& store() = 0;
    virtual connector::Exchange* exchange() = 0;
};
using BackendOpener = std::function<std::unique_ptr<Backend>()>;
// What keeps the connector from being ready (empty: ready), e.g. "axis circuit open".
using ReadinessCheck = std::function<std::vector<std::string>()>;

class ApiServer {
  public:
    // `changes` is notified after every accepted mutating call and waited on by the
    // change feed's long poll; the daemon notifies it after its passes too.
    ApiServer(ServerSettings settings, BackendOpener open_backend, ReadinessCheck readiness,
              std::shared_ptr<ChangeSignal> changes = nullptr);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    void start();  // throws std::runtime_error naming what failed (port, TLS files)
    void stop();
    unsigned short port() const;
    // Replaces ServerSettings::agencies (the unit table reloaded on SIGHUP); calls in
    // progress finish with the list they started with.
    void set_agencies(std::vector<std::pair<std::string, std::string>> agencies);
    std::string base_url() const;  // e.g. http://127.0.0.1:8380

    struct Impl;  // defined in src/api_server_impl.hpp (its request handlers reach it)

  private:
    std::unique_ptr<Impl> impl_;
};

// The routes the server answers, "METHOD /path/{param}", sorted: what docs/openapi.yaml
// must describe (tests compare them).
std::vector<std::string> route_table();

// A new API token: 32 random bytes as 64 hex digits. Shown once, never stored.
std::string new_token();
// What is stored: the lowercase hex SHA-256 of the token.
std::string token_hash(const std::string& token);

}  // namespace http_api
