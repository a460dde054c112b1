// The server's state and its request handlers (struct ApiServer::Impl), shared by the
// files that define them: api_server.cpp (set-up, dispatch, bodies, readiness),
// authentication.cpp, idempotency.cpp, write_routes.cpp and read_routes.cpp.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "api_connection.hpp"
#include "caller.hpp"
#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "connector/logging.hpp"
#include "http_api/api_server.hpp"
#include "json_body.hpp"
#include "ready_acceptor.hpp"
#include "reply.hpp"

namespace http_api {

// A body over this is "large": admitted a few at a time, memory given back after it.
constexpr std::size_t kLargeBodyBytes = 1024 * 1024;

struct ApiServer::Impl {
    ServerSettings settings;
    // settings.agencies as it is now: a configuration reload replaces it (set_agencies).
    using AgencyList = std::vector<std::pair<std::string, std::string>>;
    mutable std::mutex agencies_mutex;
    std::shared_ptr<const AgencyList> agency_list = std::make_shared<AgencyList>();
    std::shared_ptr<const AgencyList> agencies_now() const {
        std::lock_guard lock(agencies_mutex);
        return agency_list;
    }
    BackendOpener open_backend;
    ReadinessCheck readiness;
    std::shared_ptr<ChangeSignal> changes;
    // One backend (store connection and exchange) for the server, used by one request at
    // a time; the feed's long poll waits without holding it.
    std::mutex backend_mutex;
    std::unique_ptr<Backend> backend;
    // The listening socket, the workers and what hands them ready connections.
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    std::unique_ptr<Poco::ThreadPool> workers;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers;
    std::shared_ptr<ConnectionRegistry> connections = std::make_shared<ConnectionRegistry>();
    std::unique_ptr<ReadyAcceptor> acceptor;
    unsigned short port = 0;
    bool tls = false;
    // stop() waits for the requests in hand (a long poll ends at `stopping`), so that no
    // handler outlives the server.
    std::atomic<bool> stopping{false};
    std::mutex active_mutex;
    std::condition_variable idle;
    int active = 0;
    std::atomic<int> long_polls{0};
    // A few at a time: requests that wait here hold their worker, not the CPU or memory.
    struct Gate {
        std::mutex mutex;
        std::condition_variable freed;
        int in_use = 0;
        int capacity = 2;
    };
    class GatePass {
      public:
        explicit GatePass(Gate& gate) : gate_(gate) {
            std::unique_lock lock(gate_.mutex);
            gate_.freed.wait(lock, [&] { return gate_.in_use < gate_.capacity; });
            ++gate_.in_use;
        }
        ~GatePass() {
            {
                std::lock_guard lock(gate_.mutex);
                --gate_.in_use;
            }
            gate_.freed.notify_one();
        }
        GatePass(const GatePass&) = delete;
        GatePass& operator=(const GatePass&) = delete;

      private:
        Gate& gate_;
    };
    // At most `large_bodies_at_once` requests with a large body are read and handled at a
    // time: each costs several times its body while it is parsed, decoded, built, signed
    // and logged, and the store takes them one after the other anyway. The others wait
    // in their worker before reading (their bytes stay in the socket).
    Gate large_bodies;
    // Two login checks at a time: each costs a PBKDF2 of 600 000 rounds (on purpose), so
    // a flood of logins waits here instead of taking every core.
    Gate logins;
    static bool is_large(Poco::Net::HTTPServerRequest& request) {
        return request.getChunkedTransferEncoding() ||
               request.getContentLength() > static_cast<std::streamsize>(kLargeBodyBytes);
    }

    std::mutex readiness_mutex;
    std::chrono::steady_clock::time_point store_checked_at{};
    bool store_was_reachable = true;

    Backend& backend_locked();

    // Runs `work` with the backend; a store failure drops the connection (reopened at the
    // next request) and answers 503.
    template <typename Work>
    auto with_backend(Work work) {
        std::lock_guard lock(backend_mutex);
        try {
            return work(backend_locked());
        } catch (const connector::DuplicateError&) {
            throw;
        } catch (const connector::Error& error) {
            backend.reset();
            connector::logging::store.warning("API_STORE_FAILED", {{"detail", error.what()}});
            refuse(503, "the store is not reachable; try again later");
        }
    }

    edxml::Date today() const { return connector::vietnam_date(now()); }

    // api_server.cpp: the request's way from the connection to a handler and back.
    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    void send(Poco::Net::HTTPServerResponse& response, const Reply& reply, bool head) const;
    Reply route(Poco::Net::HTTPServerRequest& request, bool& body_read);
    JsonBody read_body(Poco::Net::HTTPServerRequest& request, const std::string& path,
                       std::size_t limit, bool& body_read) const;
    static bool drain(Poco::Net::HTTPServerRequest& request);
    bool store_reachable();
    Reply ready();
    // What keeps the server from being ready: the store out of reach, and the daemon's
    // own (ReadinessCheck); empty when ready. /readyz and the diagnostics say it.
    std::vector<std::string> readiness_problems();

    std::chrono::system_clock::time_point now() const {
        return settings.clock ? settings.clock->now() : std::chrono::system_clock::now();
    }

    // authentication.cpp: a bearer token or a session cookie (and, for a session's
    // writes, its CSRF token); 401 when neither is valid.
    Caller authenticate(Poco::Net::HTTPServerRequest& request);
    std::optional<Caller> session_caller(Poco::Net::HTTPServerRequest& request, Reply& ended);
    void audit(const Caller& client, const std::string& action, const std::string& target,
               const std::string& detail);
    void audit_locked(Backend& b, const Caller& client, const std::string& action,
                      const std::string& target, const std::string& detail);

    // idempotency.cpp
    Reply idempotent(Poco::Net::HTTPServerRequest& request, const Caller& client,
                     const JsonBody& body, const std::function<Reply()>& call);
    Reply finish(Reply reply);

    // write_routes.cpp: POST /api/v1/tasks, /api/v1/tasks/{code}/reports, /api/v1/documents,
    // /api/v1/documents/{documentId}/revocation and …/amendment.
    connector::Exchange& exchange_of(Backend& b);
    Reply assign(const Caller& client, JsonBody& sent);
    Reply report(const Caller& client, const std::string& code, JsonBody& sent);
    Reply document(const Caller& client, JsonBody& sent);
    Reply revoke(const Caller& client, const std::string& document_id, JsonBody& sent);
    Reply amend(const Caller& client, const std::string& document_id, JsonBody& sent);
    // A clerk acts for the agency itself (assign, revoke, amend) only as a user with its code
    // among their units; 403 (audited) otherwise. Other roles pass.
    void require_agency_clerk(Backend& b, const Caller& client, const std::string& what);
    Poco::JSON::Object::Ptr accepted(Backend& b, std::int64_t sequence);

    // Runs the exchange call that queues a new document: a DocumentId sent already is
    // 409, a request the package builder refuses is 400 on `field`.
    template <typename Queue>
    static std::int64_t queued(Queue queue, const std::string& field) {
        try {
            return queue();
        } catch (const connector::DuplicateError& error) {
            refuse(409, error.what());
        } catch (const std::invalid_argument& error) {
            refuse_fields({{field, error.what()}});
        }
    }

    // Work after the call's effect is committed: a failure is logged, not answered.
    template <typename Work>
    void best_effort(const std::string& what, Work work) {
        try {
            work();
        } catch (const std::exception& error) {
            connector::logging::http.error("AFTER_COMMIT_FAILED",
                                           {{"work", what}, {"detail", error.what()}});
        }
    }

    // sessions.cpp: the pages' login, who is logged in, and logout.
    // connector_session_<port> (__Host- prefixed under TLS): browsers keep cookies per
    // host, not per port, so two daemons on one host (the demo's) need two names.
    std::string session_cookie_name() const {
        return std::string(tls ? "__Host-" : "") + "connector_session_" + std::to_string(port);
    }
    std::string session_cookie(const std::string& value, bool ending) const;
    Reply login(Poco::Net::HTTPServerRequest& request, bool& body_read);
    Reply whoami(const Caller& caller);
    Reply logout(const Caller& caller);

    // (sessions.cpp) The CSRF token of a session's write, compared in constant time.
    static bool csrf_matches(const std::string& sent, const std::string& expected);

    // pages.cpp: the static pages and their security headers.
    Reply page(const std::string& file);
    void page_headers(Poco::Net::HTTPServerResponse& response) const;

    // dashboard.cpp: the leaders' counts and the CSV and XLSX exports.
    Reply dashboard(const Caller& caller, const Poco::URI::QueryParameters& query);
    Reply export_file(const Caller& caller, const std::string& file,
                      const Poco::URI::QueryParameters& query);
    // A unit's name from units.table; its code when it has none.
    std::string agency_name(const std::string& code) const;

    // read_routes.cpp: the GET routes that need a token.
    static std::size_t limit_of(const std::string& value);
    // The task filters of a query (the list, the dashboard, the exports); `paged`: with
    // after, limit and sort too. 400 naming each wrong parameter.
    connector::TaskQuery task_filters(const Caller& caller, const Poco::URI::QueryParameters& query,
                                      bool paged);
    Reply list_tasks(const Caller& caller, const Poco::URI::QueryParameters& query);
    Reply one_task(const Caller& caller, const std::string& code,
                   const Poco::URI::QueryParameters& query);
    Reply task_package(const Caller& caller, const std::string& code,
                       const Poco::URI::QueryParameters& query);
    Reply one_message(const std::string& text, const Poco::URI::QueryParameters& query);
    Reply events(const Poco::URI::QueryParameters& query);

    // operations_routes.cpp: the operators' (Prometheus's scrape, the diagnostics).
    Reply metrics(const Poco::URI::QueryParameters& query);
    Reply diagnostics(const Poco::URI::QueryParameters& query);
    std::mutex diagnostics_mutex;  // one run at a time: each calls the axis

    // token_routes.cpp: the admins' token management.
    Reply list_tokens(const Poco::URI::QueryParameters& query);
    Reply create_token(const Caller& client, JsonBody& sent);
    Reply revoke_token(const Caller& client, const std::string& name);

    // audit_routes.cpp: the auditors' routes.
    Reply list_messages(const Poco::URI::QueryParameters& query);
    Reply message_raw(const std::string& text, const Poco::URI::QueryParameters& query);
    Reply audit_events(const Poco::URI::QueryParameters& query);
    Reply evidence_bundle(const Caller& client, JsonBody& sent);
    // A chain verification started from the pages: its progress and its result.
    struct VerificationJob {
        std::int64_t id = 0;
        std::string state = "running";  // running, intact, broken, failed
        std::string started_by, started_at, finished_at;
        std::int64_t total = 0, checked = 0;  // entries of both chains
        std::int64_t message_head = 0, audit_head = 0;
        std::string checkpoint_source;  // file or store
        std::int64_t checkpoint_count = 0;
        connector::ChainCheckpoint last_checkpoint;  // of the messages chain
        std::vector<connector::ChainReport> reports;
        std::string problem;  // when failed
    };
    Reply start_verification(const Caller& client, JsonBody& sent);
    Reply verification_state(const std::string& text);
    void run_verification(const std::shared_ptr<VerificationJob>& job);
    Poco::JSON::Object::Ptr job_json(const VerificationJob& job) const;
    void join_verification();
    std::mutex jobs_mutex;
    std::shared_ptr<VerificationJob> current_job;
    std::deque<std::shared_ptr<VerificationJob>> finished_jobs;  // the last ten, newest first
    std::int64_t last_job_id = 0;
    std::thread verification_thread;
    Reply agencies(const Poco::URI::QueryParameters& query);
};

}  // namespace http_api
