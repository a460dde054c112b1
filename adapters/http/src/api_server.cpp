// The server itself: its set-up (sockets, TLS, workers), the dispatch of a request to its
// handler, the reading of bodies, and readiness.
#include "http_api/api_server.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <openssl/ssl.h>

#include <malloc.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "api_connection.hpp"
#include "api_server_impl.hpp"
#include "connector/error.hpp"
#include "http_api/json_views.hpp"
#include "json_body.hpp"
#include "ready_acceptor.hpp"
#include "reply.hpp"
#include "routes.hpp"

namespace http_api {

// docs/openapi.yaml, embedded at build time.
extern const std::string_view openapi_yaml;

using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

constexpr std::size_t kReportBodyLimit = 64 * 1024;

class Handler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit Handler(ApiServer::Impl& impl) : impl_(impl) {}
    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        impl_.handle(request, response);
    }

  private:
    ApiServer::Impl& impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit Factory(ApiServer::Impl& impl) : impl_(impl) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
        return new Handler(impl_);
    }

  private:
    ApiServer::Impl& impl_;
};

}  // namespace

Backend& ApiServer::Impl::backend_locked() {
    if (!backend)
        backend = open_backend();
    return *backend;
}

void ApiServer::Impl::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
    {
        std::lock_guard lock(active_mutex);
        ++active;
    }
    const auto started = std::chrono::steady_clock::now();
    Reply reply;
    bool body_read = false;
    try {
        reply = route(request, body_read);
    } catch (const Refusal& refusal) {
        reply = refusal.reply;
    } catch (const connector::DuplicateError& error) {
        // The Exchange's refusals name the conflict; the store's are database text.
        const std::string what = error.what();
        if (what.rfind("store:", 0) == 0) {
            connector::logging::http.warning("REQUEST_CONFLICT", {{"detail", what}});
            reply = error_reply(409, "the request conflicts with what is already recorded");
        } else {
            reply = error_reply(409, what);
        }
    } catch (const std::exception& error) {
        const std::string& uri = request.getURI();
        connector::logging::http.error("REQUEST_FAILED", {{"method", request.getMethod()},
                                                          {"path", uri.substr(0, uri.find('?'))},
                                                          {"detail", error.what()}});
        reply = error_reply(500, "internal error");
    }
    // A body left unread would be taken for the next request on this connection.
    if (!body_read && (request.getChunkedTransferEncoding() || request.getContentLength() > 0))
        response.setKeepAlive(false);
    try {
        send(response, reply, request.getMethod() == "HEAD");
    } catch (const std::exception&) {
        // the client went away; nothing to answer
    }
    // glibc keeps what a large request freed in its arenas (RSS grew by a body per
    // request and never came back): give it back to the system.
    if (is_large(request))
        malloc_trim(0);
    if (connector::logging::http.enabled(connector::logging::Level::debug)) {
        const std::string& uri = request.getURI();
        connector::logging::http.debug(
            "REQUEST_DONE",
            {{"method", request.getMethod()},
             {"path", uri.substr(0, uri.find('?'))},  // not the query: it may hold a search
             {"status", reply.status},
             {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count()}});
    }
    std::lock_guard lock(active_mutex);
    if (--active == 0)
        idle.notify_all();
}

void ApiServer::Impl::send(HTTPServerResponse& response, const Reply& reply, bool head) const {
    const std::string body = reply.status == 204  ? std::string()
                             : reply.text.empty() ? to_text(reply.json)
                                                  : reply.text;
    response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(reply.status));
    // Answers are about one caller's data at one moment: never cached, never sniffed.
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    page_headers(response);
    if (tls)
        response.set("Strict-Transport-Security", "max-age=31536000");
    response.setContentType(reply.content_type.empty() ? "application/json; charset=utf-8"
                                                       : reply.content_type);
    for (const auto& [name, value] : reply.headers)
        response.set(name, value);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    if (head)
        response.send();  // the length the GET would have, without its bytes
    else
        response.send() << body;
}

Reply ApiServer::Impl::route(HTTPServerRequest& request, bool& body_read) {
    const std::string& uri = request.getURI();
    const std::string raw_path = uri.substr(0, uri.find('?'));
    if (raw_path.empty() || raw_path[0] != '/')
        refuse(400, "the request path must start with '/'");
    std::vector<std::string> segments;
    for (const auto& segment : split_path(raw_path)) {
        std::string decoded;
        try {
            Poco::URI::decode(segment, decoded);
        } catch (const Poco::Exception&) {
            refuse(400, "the path has a bad %-escape");
        }
        if (decoded.find('\0') != std::string::npos || !valid_utf8(decoded))
            refuse(400, "the path holds a NUL or is not UTF-8");
        segments.push_back(decoded);
    }
    const Route* found = nullptr;
    std::string parameter;
    std::vector<std::string> allowed;
    // HEAD is GET without the body (send() leaves it out), wherever GET is.
    const bool head = request.getMethod() == "HEAD";
    for (const Route& route : kRoutes) {
        if (const auto matched = match(route, segments)) {
            allowed.emplace_back(route.method);
            if (std::string(route.method) == "GET")
                allowed.emplace_back("HEAD");
            if (request.getMethod() == route.method ||
                (head && std::string(route.method) == "GET")) {
                found = &route;
                parameter = *matched;
            }
        }
    }
    if (allowed.empty())
        refuse(404, "no such path: " + raw_path);
    if (!found) {
        Reply reply = error_reply(405, request.getMethod() + " is not allowed on " + raw_path);
        std::string allow;
        for (const auto& method : allowed)
            allow += (allow.empty() ? "" : ", ") + method;
        reply.headers.emplace_back("Allow", allow);
        return reply;
    }
    Poco::URI::QueryParameters query;
    try {
        query = Poco::URI(uri).getQueryParameters();
    } catch (const Poco::Exception&) {
        refuse(400, "the query has a bad %-escape");
    }
    // The pages read their own query (task.html?code=…); every other route names what it
    // takes, and refuses the rest in one shape (refuse_unknown_query).
    if (found->id == RouteId::healthz || found->id == RouteId::readyz ||
        found->id == RouteId::openapi || found->id == RouteId::login)
        refuse_unknown_query(query);
    if (found->id == RouteId::healthz) {
        Object::Ptr body = new Object;
        body->set("status", "ok");
        return {200, body, {}, {}, {}};
    }
    if (found->id == RouteId::readyz)
        return ready();
    if (found->id == RouteId::openapi)
        return {200, {}, std::string(openapi_yaml), "application/yaml; charset=utf-8", {}};
    if (found->id == RouteId::home)
        return {303,
                {},
                "see /ui/tasks.html",
                "text/plain; charset=utf-8",
                {{"Location", "/ui/tasks.html"}}};
    if (found->id == RouteId::page)
        return page(parameter);
    if (found->id == RouteId::login)
        return login(request, body_read);

    const Caller client = authenticate(request);
    if ((found->roles & role_bit(client.role)) == 0) {
        if (std::string(found->method) != "GET")
            audit(client, "API_CALL_FORBIDDEN", raw_path, request.getMethod());
        refuse(403, "role '" + client.role + "' may not " + found->method + " " + found->pattern);
    }
    // A session's cookie goes with every request the browser makes, whichever site asked
    // for it (SameSite=Strict aside): a write must also carry the token only our pages
    // can read.
    if (client.logged_in && std::string(found->method) != "GET" &&
        !csrf_matches(request.get("X-CSRF-Token", ""), client.csrf_token)) {
        audit(client, "API_CALL_WITHOUT_CSRF_TOKEN", raw_path, request.getMethod());
        refuse(403, "a write from the pages must carry the session's X-CSRF-Token header");
    }
    if (found->id == RouteId::logout) {
        refuse_unknown_query(query);
        return logout(client);
    }
    if (found->id == RouteId::revoke_token) {
        refuse_unknown_query(query);
        return revoke_token(client, parameter);
    }
    // Only now, with the caller known, is the body looked at: a body without a valid
    // token is never read (its connection is closed after the 401). A report is a few
    // fields: its limit is small, so that a clerk's token cannot make the server parse
    // megabytes.
    const std::size_t body_limit =
        found->id == RouteId::report ? kReportBodyLimit : settings.max_body_bytes;
    if (request.getContentLength() > static_cast<std::streamsize>(body_limit)) {
        body_read = drain(request);
        refuse(413, "the body is over " + std::to_string(body_limit) + " bytes");
    }
    if (std::string(found->method) == "GET") {
        switch (found->id) {
            case RouteId::list_tasks:
                return list_tasks(client, query);
            case RouteId::task:
                return one_task(client, parameter, query);
            case RouteId::task_package:
                return task_package(client, parameter, query);
            case RouteId::dashboard:
                return dashboard(client, query);
            case RouteId::exports:
                return export_file(client, parameter, query);
            case RouteId::whoami:
                refuse_unknown_query(query);
                return whoami(client);
            case RouteId::events:
                // The feed tells of every task: a clerk's pages read their tasks instead.
                if (client.scoped)
                    refuse(403,
                           "the change feed is not scoped to units; a clerk reads "
                           "GET /api/v1/tasks");
                return events(query);
            case RouteId::agencies:
                return agencies(query);
            case RouteId::message:
                return one_message(parameter, query);
            case RouteId::messages:
                return list_messages(query);
            case RouteId::message_raw:
                return message_raw(parameter, query);
            case RouteId::audit_verification:
                refuse_unknown_query(query);
                return verification_state(parameter);
            case RouteId::audit_events:
                return audit_events(query);
            case RouteId::metrics:
                return metrics(query);
            case RouteId::diagnostics:
                return diagnostics(query);
            case RouteId::list_tokens:
                return list_tokens(query);
            default:
                break;
        }
        refuse(404, "no such path: " + raw_path);
    }
    if (request.has("Content-Type")) {
        std::string media = request.getContentType().substr(0, request.getContentType().find(';'));
        media.erase(media.find_last_not_of(" \t") + 1);
        std::transform(media.begin(), media.end(), media.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (media != "application/json")
            refuse(415, "the body must be application/json, not '" + media + "'");
    }
    // Declared before the body, so that the body is freed before the pass is given back.
    std::optional<GatePass> large_body_pass;
    if (is_large(request))
        large_body_pass.emplace(large_bodies);
    JsonBody body = read_body(request, raw_path, body_limit, body_read);
    refuse_unknown_query(query);  // a POST takes none
    if (found->id == RouteId::create_token) {
        // Its answer holds the token, and a kept answer would keep it: no replays here.
        if (request.has("Idempotency-Key"))
            refuse_fields({{"Idempotency-Key",
                            "not taken by POST /api/v1/tokens: its answer holds the token, "
                            "which is never stored"}});
        return create_token(client, body);
    }
    return idempotent(request, client, body, [&] {
        switch (found->id) {
            case RouteId::assign:
                return assign(client, body);
            case RouteId::report:
                return report(client, parameter, body);
            case RouteId::document:
                return document(client, body);
            case RouteId::revoke:
                return revoke(client, parameter, body);
            case RouteId::amend:
                return amend(client, parameter, body);
            case RouteId::audit_verify:
                return start_verification(client, body);
            case RouteId::audit_bundle:
                return evidence_bundle(client, body);
            default:
                refuse(404, "no such path: " + raw_path);
        }
    });
}

// Reads the body as it arrives (long strings taken out, json_body.hpp), within
// `limit` bytes and `settings.body_within`: a sender trickling bytes holds its worker
// no longer than that.
JsonBody ApiServer::Impl::read_body(HTTPServerRequest& request, const std::string& path,
                                    std::size_t limit, bool& body_read) const {
    const std::streamsize declared = request.getContentLength();
    JsonBodyReader reader(request.getMethod() + "\n" + path + "\n",
                          declared > 0 ? static_cast<std::size_t>(declared) : 0);
    const auto deadline = std::chrono::steady_clock::now() + settings.body_within;
    char buffer[64 * 1024];
    std::size_t size = 0;
    std::istream& in = request.stream();
    const auto stalled = [&] {
        refuse(408, "the body stopped arriving (no byte for " +
                        std::to_string(settings.timeout.count()) + " s)");
    };
    try {
        // peek() waits for the next bytes (one socket read), readsome() takes what
        // came: the deadline is looked at after every arrival, however small.
        while (in.peek() != std::char_traits<char>::eof()) {
            const std::streamsize got = in.readsome(buffer, sizeof buffer);
            size += static_cast<std::size_t>(got);
            if (size > limit) {
                body_read = drain(request);
                refuse(413, "the body is over " + std::to_string(limit) + " bytes");
            }
            reader.feed(buffer, static_cast<std::size_t>(got));
            if (std::chrono::steady_clock::now() > deadline)
                refuse(408, "the body did not arrive within " +
                                std::to_string(settings.body_within.count()) + " ms");
        }
    } catch (const Poco::TimeoutException&) {
        stalled();
    } catch (const JsonBodyError& error) {
        body_read = drain(request);
        refuse_fields({{"(body)", std::string("is not JSON: ") + error.what()}});
    }
    if (in.bad())
        stalled();
    body_read = true;
    try {
        return reader.finish();
    } catch (const JsonBodyError& error) {
        refuse_fields({{"(body)", std::string("is not JSON: ") + error.what()}});
    }
}

// Reads and drops what is left of a refused body, up to 4 MiB, so that the client,
// still sending, reads our 413 instead of a connection reset; a larger upload is cut
// off (the connection closes) rather than read.
// True when the body was read to its end.
bool ApiServer::Impl::drain(HTTPServerRequest& request) {
    constexpr std::streamsize kBound = 4 * 1024 * 1024;
    const std::streamsize declared = request.getContentLength();
    if (declared != HTTPServerRequest::UNKNOWN_CONTENT_LENGTH && declared > kBound)
        return false;
    char buffer[8192];
    std::streamsize dropped = 0;
    std::istream& in = request.stream();
    while (dropped <= kBound && (in.read(buffer, sizeof buffer) || in.gcount() > 0))
        dropped += in.gcount();
    return dropped <= kBound;
}

// /readyz needs no token: it answers from what the server knows, and asks the store
// at most once a second, and only when no request is using it (which then says
// enough), so that probes cannot queue behind the API or load the database.
bool ApiServer::Impl::store_reachable() {
    std::lock_guard state(readiness_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (now - store_checked_at < std::chrono::seconds(1))
        return store_was_reachable;
    std::unique_lock lock(backend_mutex, std::try_to_lock);
    if (!lock.owns_lock())
        return store_was_reachable;
    store_checked_at = now;
    try {
        backend_locked().store().schema_version();
        store_was_reachable = true;
    } catch (const std::exception& error) {
        backend.reset();
        // The details (host, user) go to the log only.
        connector::logging::store.warning("API_STORE_FAILED", {{"detail", error.what()}});
        store_was_reachable = false;
    }
    return store_was_reachable;
}

std::vector<std::string> ApiServer::Impl::readiness_problems() {
    std::vector<std::string> problems;
    if (!store_reachable())
        problems.push_back("store: not reachable");
    for (auto& problem : readiness())
        problems.push_back(std::move(problem));
    return problems;
}

Reply ApiServer::Impl::ready() {
    const std::vector<std::string> problems = readiness_problems();
    Object::Ptr body = new Object;
    body->set("status", problems.empty() ? "ready" : "not ready");
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& problem : problems)
        list->add(problem);
    body->set("problems", list);
    return {problems.empty() ? 200 : 503, body, {}, {}, {}};
}

ApiServer::ApiServer(ServerSettings settings, BackendOpener open_backend, ReadinessCheck readiness,
                     std::shared_ptr<ChangeSignal> changes)
    : impl_(std::make_unique<Impl>()) {
    impl_->settings = std::move(settings);
    impl_->agency_list = std::make_shared<const Impl::AgencyList>(impl_->settings.agencies);
    impl_->large_bodies.capacity = std::max(1, impl_->settings.large_bodies_at_once);
    impl_->open_backend = std::move(open_backend);
    impl_->readiness = std::move(readiness);
    impl_->changes = std::move(changes);
}

void ApiServer::set_agencies(std::vector<std::pair<std::string, std::string>> agencies) {
    auto fresh = std::make_shared<const Impl::AgencyList>(std::move(agencies));
    std::lock_guard lock(impl_->agencies_mutex);
    impl_->agency_list = std::move(fresh);
}

ApiServer::~ApiServer() {
    stop();
}

void ApiServer::start() {
    // Large requests allocate blocks of many megabytes. glibc's default raises its mmap
    // threshold each time such a block is freed, after which they come from the heap and
    // stay there (RSS grew by tens of megabytes over 50 large assignments and never came
    // back): a fixed threshold keeps every block over 256 KiB in its own mapping, returned
    // when freed. Process-wide; the daemon is this server's only home.
    static std::once_flag allocator_tuned;
    std::call_once(allocator_tuned, [] { mallopt(M_MMAP_THRESHOLD, 256 * 1024); });
    const Poco::Net::SocketAddress address(impl_->settings.host, impl_->settings.port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!impl_->settings.tls_certificate.empty()) {
        static std::once_flag ssl_initialised;
        std::call_once(ssl_initialised, [] { Poco::Net::initializeSSL(); });
        Poco::Net::Context::Params params;
        params.privateKeyFile = impl_->settings.tls_private_key;
        params.certificateFile = impl_->settings.tls_certificate;
        params.verificationMode = Poco::Net::Context::VERIFY_NONE;
        Poco::Net::Context::Ptr context;
        try {
            context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
        } catch (const Poco::Exception& error) {
            throw std::runtime_error("http.tls_certificate: cannot use " +
                                     impl_->settings.tls_certificate + " with " +
                                     impl_->settings.tls_private_key + ": " + error.displayText());
        }
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        // TLS 1.2: forward-secret AEAD suites only (TLS 1.3's are all of that kind).
        SSL_CTX_set_cipher_list(
            context->sslContext(),
            "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!eNULL");
        socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, context);
        impl_->tls = true;
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
    }
    impl_->port = socket->address().port();
    const ServerSettings& settings = impl_->settings;
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(settings.worker_threads);  // long polls hold one each (capped)
    params->setMaxQueued(static_cast<int>(settings.max_queued));
    // An idle kept-alive connection holds its worker: only briefly, and only for so many
    // requests.
    params->setKeepAliveTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(settings.keep_alive_idle).count()));
    params->setMaxKeepAliveRequests(settings.max_requests_per_connection);
    params->setTimeout(Poco::Timespan(settings.timeout.count(), 0));
    params->setKeepAlive(true);
    impl_->socket = std::move(socket);
    impl_->workers = std::make_unique<Poco::ThreadPool>(2, settings.worker_threads);
    impl_->handlers = new Factory(*impl_);
    auto* dispatcher = new Poco::Net::TCPServerDispatcher(
        new ApiConnectionFactory(params, impl_->handlers, impl_->connections), *impl_->workers,
        params);
    AcceptorLimits limits;
    limits.max_waiting_connections = settings.max_waiting_connections;
    limits.idle_limit = settings.first_request_within;
    limits.max_queued = settings.max_queued;
    impl_->acceptor = std::make_unique<ReadyAcceptor>(*impl_->socket, dispatcher, limits);
    dispatcher->release();  // the acceptor holds it
    impl_->acceptor->start();
}

void ApiServer::stop() {
    if (!impl_->acceptor)
        return;
    impl_->stopping = true;
    if (impl_->changes)
        impl_->changes->notify();  // long polls end
    impl_->acceptor->stop();
    impl_->connections->stop_all();  // kept-alive connections end now
    // No handler may outlive the server: wait for the requests in hand, then the workers.
    std::unique_lock lock(impl_->active_mutex);
    impl_->idle.wait(lock, [&] { return impl_->active == 0; });
    lock.unlock();
    impl_->workers->joinAll();
    impl_->join_verification();
    impl_->acceptor.reset();
    impl_->socket->close();
}

unsigned short ApiServer::port() const {
    return impl_->port;
}

std::string ApiServer::base_url() const {
    return std::string(impl_->tls ? "https" : "http") + "://" + impl_->settings.host + ":" +
           std::to_string(impl_->port);
}

}  // namespace http_api
