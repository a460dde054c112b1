#include "http_api/api_server.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <openssl/rand.h>

#include <mutex>
#include <sstream>
#include <stdexcept>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "connector/task_status.hpp"
#include "edxml/attachments.hpp"

namespace http_api {
namespace {

using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

std::string hex(const unsigned char* bytes, std::size_t size) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 15];
    }
    return out;
}

void send_json(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
               const Poco::Dynamic::Var& body) {
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(body, text);
    response.setStatus(status);
    response.setContentType("application/json; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(text.str().size()));
    response.send() << text.str();
}

void send_error(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
                const std::string& message) {
    Object::Ptr body = new Object;
    body->set("error", message);
    send_json(response, status, body);
}

Object::Ptr task_json(const connector::Task& task, const edxml::Date& today) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("code", task.task_code);
    object->set("side", connector::to_string(task.side));
    object->set("sourceDocumentId", task.source_document_id);
    object->set("title", task.title);
    object->set("issuer", task.issuer);
    Poco::JSON::Array::Ptr assignees = new Poco::JSON::Array;
    for (const auto& assignee : task.assignees) {
        Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("role", edxml::to_string(assignee.role));
        entry->set("organId", assignee.organ_id);
        entry->set("name", assignee.name);
        assignees->add(entry);
    }
    object->set("assignees", assignees);
    object->set("dueDate", task.due_date ? edxml::format_date(*task.due_date) : std::string());
    object->set("dueText", task.due_text);
    object->set("status",
                task.status.current ? edxml::canonical_code(*task.status.current) : std::string());
    object->set("withdrawn", task.status.withdrawn);
    object->set("progress", task.progress);
    object->set("progressNote", task.progress_note);
    object->set("completionDate",
                task.completion_date ? edxml::format_date(*task.completion_date) : std::string());
    object->set("timeliness", connector::to_string(connector::derive_timeliness(
                                  task.due_date, task.completion_date, today)));
    object->set("updatedAt", task.updated_at);
    return object;
}

}  // namespace

std::string new_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("no random bytes for a token");
    return hex(bytes, sizeof bytes);
}

std::string token_hash(const std::string& token) {
    return edxml::sha256_hex(token);
}

struct ApiServer::Impl {
    ServerSettings settings;
    StoreOpener open_store;
    ReadinessCheck readiness;
    std::mutex store_mutex;  // one connection for the server, used by one request at a time
    std::unique_ptr<connector::Store> store;
    std::unique_ptr<Poco::Net::HTTPServer> server;
    unsigned short port = 0;
    bool tls = false;

    connector::Store& store_locked() {
        if (!store)
            store = open_store();
        return *store;
    }

    void handle(HTTPServerRequest& request, HTTPServerResponse& response) {
        const Poco::URI uri(request.getURI());
        const std::string path = uri.getPath();
        const std::string& method = request.getMethod();
        if (request.getContentLength() > static_cast<std::streamsize>(settings.max_body_bytes))
            return send_error(
                response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                "the body is over " + std::to_string(settings.max_body_bytes) + " bytes");
        if (path == "/healthz") {
            Object::Ptr body = new Object;
            body->set("status", "ok");
            return send_json(response, HTTPResponse::HTTP_OK, body);
        }
        if (path == "/readyz") {
            std::vector<std::string> problems;
            try {
                std::lock_guard lock(store_mutex);
                store_locked().schema_version();
            } catch (const std::exception& error) {
                store.reset();
                problems.push_back(std::string("store: ") + error.what());
            }
            for (auto& problem : readiness())
                problems.push_back(std::move(problem));
            Object::Ptr body = new Object;
            body->set("status", problems.empty() ? "ready" : "not ready");
            Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
            for (const auto& problem : problems)
                list->add(problem);
            body->set("problems", list);
            return send_json(
                response,
                problems.empty() ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                body);
        }
        if (path.rfind("/api/v1/", 0) != 0)
            return send_error(response, HTTPResponse::HTTP_NOT_FOUND, "no such path: " + path);

        std::lock_guard lock(store_mutex);
        try {
            connector::Store& db = store_locked();
            const std::string authorization = request.get("Authorization", "");
            if (authorization.rfind("Bearer ", 0) != 0) {
                response.set("WWW-Authenticate", "Bearer");
                return send_error(response, HTTPResponse::HTTP_UNAUTHORIZED,
                                  "an API token is required: Authorization: Bearer <token>");
            }
            const auto client = db.api_client_by_token_hash(token_hash(authorization.substr(7)));
            if (!client) {
                response.set("WWW-Authenticate", "Bearer");
                return send_error(response, HTTPResponse::HTTP_UNAUTHORIZED,
                                  "the API token is unknown or revoked");
            }
            if (method != "GET")
                return send_error(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                                  method + " is not allowed on " + path);
            const edxml::Date today = connector::vietnam_date(std::chrono::system_clock::now());
            if (path == "/api/v1/tasks") {
                std::string after;
                std::size_t limit = 100;
                for (const auto& [name, value] : uri.getQueryParameters()) {
                    if (name == "after") {
                        after = value;
                    } else if (name == "limit") {
                        if (value.empty() || value.size() > 4 ||
                            value.find_first_not_of("0123456789") != std::string::npos ||
                            std::stoul(value) == 0 || std::stoul(value) > 1000)
                            return send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                                              "limit: '" + value + "' is not 1..1000");
                        limit = std::stoul(value);
                    } else {
                        return send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                                          "unknown query parameter '" + name + "'");
                    }
                }
                const auto tasks = db.tasks(after, limit);
                Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
                for (const auto& task : tasks)
                    list->add(task_json(task, today));
                Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                body->set("tasks", list);
                body->set("next", tasks.size() == limit ? Poco::Dynamic::Var(tasks.back().task_code)
                                                        : Poco::Dynamic::Var());
                return send_json(response, HTTPResponse::HTTP_OK, body);
            }
            const std::string prefix = "/api/v1/tasks/";
            if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size()) {
                const std::string code = path.substr(prefix.size());
                const auto task = db.task(code);
                if (!task)
                    return send_error(response, HTTPResponse::HTTP_NOT_FOUND,
                                      "no task '" + code + "'");
                Object::Ptr body = task_json(*task, today);
                Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
                for (const auto& event : db.task_events(code)) {
                    Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                    entry->set("at", event.recorded_at);
                    entry->set("kind", event.kind);
                    entry->set("detail", event.detail);
                    entry->set("message", event.message_sequence);
                    history->add(entry);
                }
                body->set("history", history);
                return send_json(response, HTTPResponse::HTTP_OK, body);
            }
            return send_error(response, HTTPResponse::HTTP_NOT_FOUND, "no such path: " + path);
        } catch (const connector::Error& error) {
            store.reset();  // reopened at the next request
            return send_error(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                              std::string("store: ") + error.what());
        }
    }
};

namespace {

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

ApiServer::ApiServer(ServerSettings settings, StoreOpener open_store, ReadinessCheck readiness)
    : impl_(std::make_unique<Impl>()) {
    impl_->settings = std::move(settings);
    impl_->open_store = std::move(open_store);
    impl_->readiness = std::move(readiness);
}

ApiServer::~ApiServer() {
    stop();
}

void ApiServer::start() {
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
        socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, context);
        impl_->tls = true;
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
    }
    impl_->port = socket->address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setTimeout(Poco::Timespan(impl_->settings.timeout.count(), 0));
    params->setKeepAlive(true);
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_), *socket, params);
    impl_->server->start();
}

void ApiServer::stop() {
    if (impl_->server) {
        impl_->server->stopAll(true);
        impl_->server.reset();
    }
}

unsigned short ApiServer::port() const {
    return impl_->port;
}

std::string ApiServer::base_url() const {
    return std::string(impl_->tls ? "https" : "http") + "://" + impl_->settings.host + ":" +
           std::to_string(impl_->port);
}

}  // namespace http_api
