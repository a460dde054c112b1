#include "http_api/api_server.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
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
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "api_connection.hpp"
#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "connector/task_status.hpp"
#include "edxml/agency_code.hpp"
#include "edxml/attachments.hpp"
#include "field_reader.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "ready_acceptor.hpp"

namespace http_api {

// docs/openapi.yaml, embedded at build time.
extern const std::string_view openapi_yaml;

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

// Who may make a call: one bit per role.
enum Role : unsigned { kBackend = 1, kClerk = 2, kAuditor = 4, kAdmin = 8 };
constexpr unsigned kEveryRole = kBackend | kClerk | kAuditor | kAdmin;
constexpr unsigned kPublic = 0;

unsigned role_bit(const std::string& role) {
    if (role == "backend")
        return kBackend;
    if (role == "clerk")
        return kClerk;
    if (role == "auditor")
        return kAuditor;
    if (role == "admin")
        return kAdmin;
    return 0;
}

constexpr std::size_t kReportBodyLimit = 64 * 1024;
constexpr int kMaxLongPolls = 16;
// A body over this is "large": admitted a few at a time, memory given back after it.
constexpr std::size_t kLargeBodyBytes = 1024 * 1024;

enum class RouteId {
    healthz,
    readyz,
    openapi,
    list_tasks,
    assign,
    task,
    report,
    document,
    events,
    agencies,
    message
};

struct Route {
    const char* method;
    const char* pattern;  // segments; "{code}" matches one (percent-decoded) segment
    unsigned roles;       // kPublic: no token needed
    RouteId id;
};

const Route kRoutes[] = {
    {"GET", "/healthz", kPublic, RouteId::healthz},
    {"GET", "/readyz", kPublic, RouteId::readyz},
    {"GET", "/api/v1/openapi.yaml", kPublic, RouteId::openapi},
    {"GET", "/api/v1/tasks", kEveryRole, RouteId::list_tasks},
    {"POST", "/api/v1/tasks", kBackend | kAdmin, RouteId::assign},
    {"GET", "/api/v1/tasks/{code}", kEveryRole, RouteId::task},
    {"POST", "/api/v1/tasks/{code}/reports", kBackend | kClerk | kAdmin, RouteId::report},
    {"POST", "/api/v1/documents", kBackend | kAdmin, RouteId::document},
    {"GET", "/api/v1/events", kEveryRole, RouteId::events},
    {"GET", "/api/v1/agencies", kEveryRole, RouteId::agencies},
    {"GET", "/api/v1/messages/{sequence}", kBackend | kAuditor | kAdmin, RouteId::message},
};

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        segments.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

// The route's parameter when `segments` match its pattern.
std::optional<std::string> match(const Route& route, const std::vector<std::string>& segments) {
    const auto pattern = split_path(route.pattern);
    if (pattern.size() != segments.size())
        return std::nullopt;
    std::string parameter;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (!pattern[i].empty() && pattern[i].front() == '{') {
            if (segments[i].empty())
                return std::nullopt;
            parameter = segments[i];
        } else if (pattern[i] != segments[i]) {
            return std::nullopt;
        }
    }
    return parameter;
}

bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = c < 0x80         ? 1
                             : (c >> 5) == 6  ? 2
                             : (c >> 4) == 14 ? 3
                             : (c >> 3) == 30 ? 4
                                              : 0;
        if (length == 0 || (length == 2 && c < 0xc2) || i + length > text.size())
            return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80)
                return false;
        const auto second = length > 1 ? static_cast<unsigned char>(text[i + 1]) : 0;
        if ((c == 0xe0 && second < 0xa0) || (c == 0xed && second >= 0xa0) ||
            (c == 0xf0 && second < 0x90) || c > 0xf4 || (c == 0xf4 && second >= 0x90))
            return false;
        i += length;
    }
    return true;
}

// What a handler answers.
struct Reply {
    int status = 200;
    Poco::Dynamic::Var json;  // the body, unless `text` is set
    std::string text;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
};

// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD: error
// messages quote what the client sent, and must stay valid JSON text.
std::string valid_utf8_text(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = 1;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            length = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
            if (length == 0 || i + length > text.size() || !valid_utf8(text.substr(i, length))) {
                out += "\xEF\xBF\xBD";
                ++i;
                continue;
            }
        }
        out.append(text, i, length);
        i += length;
    }
    return out;
}

Reply error_reply(int status, const std::string& message) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("error", valid_utf8_text(message));
    return {status, body, {}, {}, {}};
}

// A request the handler refuses; carries the reply.
struct Refusal {
    Reply reply;
};

[[noreturn]] void refuse(int status, const std::string& message) {
    throw Refusal{error_reply(status, message)};
}

[[noreturn]] void refuse_fields(const std::vector<Problem>& problems) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("error",
              valid_utf8_text(problems.size() == 1
                                  ? problems.front().field + ": " + problems.front().reason
                                  : std::to_string(problems.size()) + " fields are wrong"));
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& problem : problems) {
        Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("field", valid_utf8_text(problem.field));
        entry->set("reason", valid_utf8_text(problem.reason));
        list->add(entry);
    }
    body->set("problems", list);
    throw Refusal{Reply{400, body, {}, {}, {}}};
}

void check(FieldReader& reader) {
    if (!reader.problems.empty())
        refuse_fields(reader.problems);
}

// Poco's parser keeps the last of two equal keys; a body that says two things about one
// field is refused instead (which one a proxy or a log read would differ).
class DistinctKeysHandler final : public Poco::JSON::ParseHandler {
  public:
    DistinctKeysHandler() : Poco::JSON::ParseHandler(true) {}
    void startObject() override {
        keys_.emplace_back();
        ParseHandler::startObject();
    }
    void endObject() override {
        keys_.pop_back();
        ParseHandler::endObject();
    }
    void key(const std::string& name) override {
        if (!keys_.empty() && !keys_.back().insert(name).second)
            throw Poco::SyntaxException("the key '" + name + "' appears twice in one object");
        ParseHandler::key(name);
    }

  private:
    std::vector<std::set<std::string>> keys_;
};

// The parsed skeleton of `body`; `reader` resolves its long strings.
Poco::Dynamic::Var parse_body(JsonBody& body, FieldReader& reader) {
    const std::string& text = body.skeleton;
    if (text.empty())
        refuse_fields({{"(body)", "a JSON object is required"}});
    if (text.rfind("\xEF\xBB\xBF", 0) == 0)
        refuse_fields({{"(body)", "starts with a byte-order mark; send the JSON without it"}});
    if (!valid_utf8(text))
        refuse_fields({{"(body)", "is not valid UTF-8"}});
    reader.long_strings = &body.long_strings;
    Poco::JSON::Parser parser(new DistinctKeysHandler);
    parser.setDepth(16);  // the deepest body nests 4 levels; the parser recurses per level
    try {
        return parser.parse(text);
    } catch (const Poco::Exception& error) {
        refuse_fields({{"(body)", "is not JSON: " + error.message()}});
    }
}

std::string agency_code(FieldReader& reader, const Object::Ptr& object, const std::string& path,
                        const std::string& name, bool required) {
    std::string code = reader.text(object, path, name, required, 64);
    if (!code.empty()) {
        if (const auto verdict = edxml::check_agency_code(code); !verdict.ok())
            reader.problem(FieldReader::join(path, name),
                           "'" + code + "' is not an agency code: " + verdict.problem);
    }
    return code;
}

std::optional<edxml::Date> date_field(FieldReader& reader, const Object::Ptr& object,
                                      const std::string& path, const std::string& name) {
    const std::string text = reader.text(object, path, name, false, 10);
    if (text.empty())
        return std::nullopt;
    const auto date = api_date(text);
    if (!date)
        reader.problem(FieldReader::join(path, name), "'" + text + "' is not a yyyy-MM-dd date");
    return date;
}

edxml::SignerInfo signer(FieldReader& reader, const Object::Ptr& document,
                         const std::string& path) {
    edxml::SignerInfo signer;
    if (!document || !document->has("signer"))
        return signer;
    const std::string field = FieldReader::join(path, "signer");
    const auto object =
        reader.object(document->get("signer"), field, {"fullName", "position", "competence"});
    signer.full_name = reader.text(object, field, "fullName", false, 200);
    signer.position = reader.text(object, field, "position", false, 200);
    signer.competence = reader.text(object, field, "competence", false, 200);
    return signer;
}

std::vector<edxml::Attachment> attachments(FieldReader& reader, const Object::Ptr& object,
                                           const std::string& path) {
    std::vector<edxml::Attachment> files;
    reader.array(object, path, "attachments", 0, 50,
                 [&](const Poco::Dynamic::Var& value, const std::string& field) {
                     const auto entry = reader.object(
                         value, field, {"name", "contentType", "description", "base64"});
                     edxml::Attachment file;
                     file.attachment_name = reader.text(entry, field, "name", true, 255);
                     file.content_type = reader.text(entry, field, "contentType", false, 100);
                     if (file.content_type.empty())
                         file.content_type = "application/octet-stream";
                     file.description = reader.text(entry, field, "description", false, 1000);
                     std::string base64 =
                         reader.text(entry, field, "base64", true, 64u * 1024u * 1024u);
                     if (file.attachment_name.find_first_of("/\\") != std::string::npos)
                         reader.problem(field + ".name", "must be a file name, not a path");
                     if (!base64.empty()) {
                         if (const auto check = edxml::check_base64(base64); check.ok)
                             file.encoded = std::move(base64);
                         else
                             reader.problem(field + ".base64", "is not base64: " + check.problem);
                     }
                     files.push_back(std::move(file));
                 });
    return files;
}

// number and notation make the DocumentId "<sender>,<date>,<number>/<notation>".
void document_code(FieldReader& reader, const Object::Ptr& document, const std::string& path,
                   bool required, std::string& number, std::string& notation) {
    number = reader.text(document, path, "number", required, 30);
    notation = reader.text(document, path, "notation", required, 60);
    if (number.find_first_of(",/#") != std::string::npos)
        reader.problem(FieldReader::join(path, "number"), "must not hold ',', '/' or '#'");
    if (notation.find_first_of(",#") != std::string::npos)
        reader.problem(FieldReader::join(path, "notation"), "must not hold ',' or '#'");
}

std::optional<edxml::StatusKind> status_field(FieldReader& reader, const Object::Ptr& object) {
    const std::string code = reader.text(object, "", "status", false, 2);
    if (code.empty())
        return std::nullopt;
    static const std::map<std::string, edxml::StatusKind> kCodes = {
        {"02", edxml::StatusKind::rejected},        {"03", edxml::StatusKind::accepted},
        {"04", edxml::StatusKind::assigned},        {"05", edxml::StatusKind::processing},
        {"06", edxml::StatusKind::completed},       {"13", edxml::StatusKind::take_back_request},
        {"15", edxml::StatusKind::change_accepted}, {"16", edxml::StatusKind::change_rejected},
    };
    const auto found = kCodes.find(code);
    if (found == kCodes.end()) {
        reader.problem("status", "'" + code + "' is not one of 02, 03, 04, 05, 06, 13, 15, 16");
        return std::nullopt;
    }
    return found->second;
}

}  // namespace

std::vector<std::string> route_table() {
    std::vector<std::string> routes;
    for (const Route& route : kRoutes)
        routes.push_back(std::string(route.method) + " " + route.pattern);
    std::sort(routes.begin(), routes.end());
    return routes;
}

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
    // At most `large_bodies_at_once` requests with a large body are read and handled at a
    // time: each costs several times its body while it is parsed, decoded, built, signed
    // and logged, and the store takes them one after the other anyway. The others wait
    // in their worker before reading (their bytes stay in the socket).
    struct LargeBodyGate {
        std::mutex mutex;
        std::condition_variable freed;
        int in_use = 0;
        int capacity = 2;
    } large_bodies;
    class LargeBodyPass {
      public:
        explicit LargeBodyPass(LargeBodyGate& gate) : gate_(gate) {
            std::unique_lock lock(gate_.mutex);
            gate_.freed.wait(lock, [&] { return gate_.in_use < gate_.capacity; });
            ++gate_.in_use;
        }
        ~LargeBodyPass() {
            {
                std::lock_guard lock(gate_.mutex);
                --gate_.in_use;
            }
            gate_.freed.notify_one();
        }
        LargeBodyPass(const LargeBodyPass&) = delete;
        LargeBodyPass& operator=(const LargeBodyPass&) = delete;

      private:
        LargeBodyGate& gate_;
    };
    static bool is_large(HTTPServerRequest& request) {
        return request.getChunkedTransferEncoding() ||
               request.getContentLength() > static_cast<std::streamsize>(kLargeBodyBytes);
    }

    std::mutex readiness_mutex;
    std::chrono::steady_clock::time_point store_checked_at{};
    bool store_was_reachable = true;

    void note(const std::string& event, const std::string& detail) {
        if (settings.log)
            settings.log("warning", event, detail);
    }

    Backend& backend_locked() {
        if (!backend)
            backend = open_backend();
        return *backend;
    }

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
            note("http.store_failed", std::string("problem=") + error.what());
            refuse(503, "the store is not reachable; try again later");
        }
    }

    static edxml::Date today() { return connector::vietnam_date(std::chrono::system_clock::now()); }

    void handle(HTTPServerRequest& request, HTTPServerResponse& response) {
        {
            std::lock_guard lock(active_mutex);
            ++active;
        }
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
                note("http.conflict", "problem=" + what);
                reply = error_reply(409, "the request conflicts with what is already recorded");
            } else {
                reply = error_reply(409, what);
            }
        } catch (const std::exception& error) {
            note("http.internal_error", std::string("problem=") + error.what());
            reply = error_reply(500, "internal error");
        }
        // A body left unread would be taken for the next request on this connection.
        if (!body_read && (request.getChunkedTransferEncoding() || request.getContentLength() > 0))
            response.setKeepAlive(false);
        try {
            send(response, reply);
        } catch (const std::exception&) {
            // the client went away; nothing to answer
        }
        // glibc keeps what a large request freed in its arenas (RSS grew by a body per
        // request and never came back): give it back to the system.
        if (is_large(request))
            malloc_trim(0);
        std::lock_guard lock(active_mutex);
        if (--active == 0)
            idle.notify_all();
    }

    void send(HTTPServerResponse& response, const Reply& reply) const {
        const std::string body = reply.text.empty() ? to_text(reply.json) : reply.text;
        response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(reply.status));
        // Answers are about one caller's data at one moment: never cached, never sniffed.
        response.set("Cache-Control", "no-store");
        response.set("X-Content-Type-Options", "nosniff");
        if (tls)
            response.set("Strict-Transport-Security", "max-age=31536000");
        response.setContentType(reply.content_type.empty() ? "application/json; charset=utf-8"
                                                           : reply.content_type);
        for (const auto& [name, value] : reply.headers)
            response.set(name, value);
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }

    Reply route(HTTPServerRequest& request, bool& body_read) {
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
        for (const Route& route : kRoutes) {
            if (const auto matched = match(route, segments)) {
                allowed.emplace_back(route.method);
                if (request.getMethod() == route.method) {
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
        if (found->id == RouteId::healthz) {
            Object::Ptr body = new Object;
            body->set("status", "ok");
            return {200, body, {}, {}, {}};
        }
        if (found->id == RouteId::readyz)
            return ready();
        if (found->id == RouteId::openapi)
            return {200, {}, std::string(openapi_yaml), "application/yaml; charset=utf-8", {}};

        const connector::ApiClient client = authenticate(request);
        if ((found->roles & role_bit(client.role)) == 0) {
            if (std::string(found->method) != "GET")
                audit(client, "API_CALL_FORBIDDEN", raw_path, request.getMethod());
            refuse(403,
                   "role '" + client.role + "' may not " + found->method + " " + found->pattern);
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
        Poco::URI::QueryParameters query;
        try {
            query = Poco::URI(uri).getQueryParameters();
        } catch (const Poco::Exception&) {
            refuse(400, "the query has a bad %-escape");
        }
        if (std::string(found->method) == "GET") {
            switch (found->id) {
                case RouteId::list_tasks:
                    return list_tasks(query);
                case RouteId::task:
                    return one_task(parameter, query);
                case RouteId::events:
                    return events(query);
                case RouteId::agencies:
                    return agencies(query);
                case RouteId::message:
                    return one_message(parameter, query);
                default:
                    break;
            }
            refuse(404, "no such path: " + raw_path);
        }
        if (request.has("Content-Type")) {
            std::string media =
                request.getContentType().substr(0, request.getContentType().find(';'));
            media.erase(media.find_last_not_of(" \t") + 1);
            std::transform(media.begin(), media.end(), media.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (media != "application/json")
                refuse(415, "the body must be application/json, not '" + media + "'");
        }
        // Declared before the body, so that the body is freed before the pass is given back.
        std::optional<LargeBodyPass> large_body_pass;
        if (is_large(request))
            large_body_pass.emplace(large_bodies);
        JsonBody body = read_body(request, raw_path, body_limit, body_read);
        if (!query.empty())
            refuse(400, "unknown query parameter '" + query.front().first + "'");
        return idempotent(request, client, body, [&] {
            switch (found->id) {
                case RouteId::assign:
                    return assign(client, body);
                case RouteId::report:
                    return report(client, parameter, body);
                case RouteId::document:
                    return document(client, body);
                default:
                    refuse(404, "no such path: " + raw_path);
            }
        });
    }

    // Reads the body as it arrives (long strings taken out, json_body.hpp), within
    // `limit` bytes and `settings.body_within`: a sender trickling bytes holds its worker
    // no longer than that.
    JsonBody read_body(HTTPServerRequest& request, const std::string& path, std::size_t limit,
                       bool& body_read) const {
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
    static bool drain(HTTPServerRequest& request) {
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
    bool store_reachable() {
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
            note("http.store_failed", std::string("problem=") + error.what());
            store_was_reachable = false;
        }
        return store_was_reachable;
    }

    Reply ready() {
        std::vector<std::string> problems;
        if (!store_reachable())
            problems.push_back("store: not reachable");
        for (auto& problem : readiness())
            problems.push_back(std::move(problem));
        Object::Ptr body = new Object;
        body->set("status", problems.empty() ? "ready" : "not ready");
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& problem : problems)
            list->add(problem);
        body->set("problems", list);
        return {problems.empty() ? 200 : 503, body, {}, {}, {}};
    }

    connector::ApiClient authenticate(HTTPServerRequest& request) {
        const std::string authorization = request.get("Authorization", "");
        Reply unauthorized;
        if (authorization.rfind("Bearer ", 0) != 0) {
            unauthorized =
                error_reply(401, "an API token is required: Authorization: Bearer <token>");
        } else {
            const std::string hash = token_hash(authorization.substr(7));
            const auto client =
                with_backend([&](Backend& b) { return b.store().api_client_by_token_hash(hash); });
            if (client)
                return *client;
            unauthorized = error_reply(401, "the API token is unknown or revoked");
        }
        unauthorized.headers.emplace_back("WWW-Authenticate", "Bearer");
        throw Refusal{unauthorized};
    }

    void audit(const connector::ApiClient& client, const std::string& action,
               const std::string& target, const std::string& detail) {
        with_backend([&](Backend& b) {
            audit_locked(b, client, action, target, detail);
            return 0;
        });
    }

    // Runs a mutating call once per Idempotency-Key: a repeat gets the first answer.
    template <typename Call>
    Reply idempotent(HTTPServerRequest& request, const connector::ApiClient& client,
                     const JsonBody& body, Call call) {
        if (!request.has("Idempotency-Key"))
            return finish(call());
        const std::string key = request.get("Idempotency-Key");
        if (key.empty() || key.size() > 200 ||
            std::any_of(key.begin(), key.end(), [](char c) { return c < 0x21 || c > 0x7e; }))
            refuse(400, "Idempotency-Key must be 1..200 printable ASCII characters");
        const std::string& hash = body.sha256_hex;  // of method, path and body
        const auto earlier = with_backend([&](Backend& b) {
            return b.store().claim_idempotency_key(client.name, key, hash,
                                                   settings.idempotency_keep);
        });
        if (earlier) {
            if (earlier->request_hash != hash)
                refuse(422,
                       "Idempotency-Key '" + key + "' was used for another request; use a new key");
            if (earlier->status == 0)
                refuse(409, "the request with Idempotency-Key '" + key +
                                "' is in progress or was cut short; look at the task list "
                                "before trying again with a new key");
            Reply replay{earlier->status, {}, earlier->body, {}, {{"Idempotent-Replayed", "true"}}};
            return replay;
        }
        Reply reply;
        try {
            reply = finish(call());
        } catch (const Refusal& refusal) {
            reply = refusal.reply;
        } catch (...) {
            with_backend([&](Backend& b) {
                b.store().release_idempotency_key(client.name, key);
                return 0;
            });
            throw;
        }
        if (reply.status >= 500) {
            with_backend([&](Backend& b) {
                b.store().release_idempotency_key(client.name, key);
                return 0;
            });
        } else {
            reply.text = to_text(reply.json);
            with_backend([&](Backend& b) {
                b.store().record_idempotent_answer(client.name, key, reply.status, reply.text);
                return 0;
            });
        }
        return reply;
    }

    Reply finish(Reply reply) {
        if (reply.status < 300 && changes)
            changes->notify();
        return reply;
    }

    connector::Exchange& exchange_of(Backend& b) {
        connector::Exchange* exchange = b.exchange();
        if (!exchange)
            refuse(503, "this server only reads: no exchange is configured");
        return *exchange;
    }

    // --- POST /api/v1/tasks ---
    Reply assign(const connector::ApiClient& client, JsonBody& sent) {
        FieldReader reader;
        const auto body = reader.object(parse_body(sent, reader), "", {"document", "tasks"});
        check(reader);
        const auto document = reader.object(
            body->has("document") ? body->get("document") : Poco::Dynamic::Var(), "document",
            {"number", "notation", "subject", "content", "signer", "attachments"});
        connector::AssignmentDocument assignment;
        if (document) {
            document_code(reader, document, "document", true, assignment.code_number,
                          assignment.code_notation);
            assignment.subject = reader.text(document, "document", "subject", true, 1000);
            assignment.content = reader.text(document, "document", "content", false, 100000);
            assignment.signer = signer(reader, document, "document");
            assignment.attachments = attachments(reader, document, "document");
        }
        std::set<std::string> codes;
        reader.array(
            body, "", "tasks", 1, 500,
            [&](const Poco::Dynamic::Var& value, const std::string& path) {
                const auto object =
                    reader.object(value, path,
                                  {"code", "title", "content", "lead", "coordinating", "dueDate",
                                   "dueText", "expectedResult", "priority"});
                edxml::TaskRecord task;
                task.task_code = reader.text(object, path, "code", false, 300);
                if (!task.task_code.empty() && !codes.insert(task.task_code).second)
                    reader.problem(path + ".code", "'" + task.task_code + "' is given twice");
                task.title = reader.text(object, path, "title", true, 2000);
                task.content = reader.text(object, path, "content", false, 100000);
                const std::string lead_path = path + ".lead";
                const auto lead = reader.object(
                    object && object->has("lead") ? object->get("lead") : Poco::Dynamic::Var(),
                    lead_path, {"organId", "name"});
                if (lead) {
                    task.assignees.push_back({edxml::AssigneeRole::lead,
                                              agency_code(reader, lead, lead_path, "organId", true),
                                              reader.text(lead, lead_path, "name", false, 500)});
                }
                reader.array(
                    object, path, "coordinating", 0, 200,
                    [&](const Poco::Dynamic::Var& unit, const std::string& unit_path) {
                        const auto entry = reader.object(unit, unit_path, {"organId", "name"});
                        edxml::TaskAssignee assignee{
                            edxml::AssigneeRole::coordinating,
                            agency_code(reader, entry, unit_path, "organId", false),
                            reader.text(entry, unit_path, "name", false, 500)};
                        if (assignee.organ_id.empty() && assignee.name.empty())
                            reader.problem(unit_path, "needs organId or name");
                        task.assignees.push_back(std::move(assignee));
                    });
                task.due_date = date_field(reader, object, path, "dueDate");
                task.due_text = reader.text(object, path, "dueText", false, 500);
                task.expected_result = reader.text(object, path, "expectedResult", false, 10000);
                task.priority = reader.integer(object, path, "priority", 0, 9);
                assignment.tasks.push_back(std::move(task));
            });
        check(reader);
        return with_backend([&](Backend& b) {
            const std::int64_t sequence =
                queued([&] { return exchange_of(b).assign(assignment); }, "tasks");
            // Queued: from here on nothing may turn the answer into an error, or a retry
            // with the same Idempotency-Key would not get this 202.
            Object::Ptr answer = accepted(b, sequence);
            const std::string document_id = answer->getValue<std::string>("documentId");
            Poco::JSON::Array::Ptr tasks = new Poco::JSON::Array;
            best_effort("task list of " + document_id, [&] {
                for (const auto& task : b.store().tasks_of_document(document_id))
                    tasks->add(task.task_code);
            });
            answer->set("tasks", tasks);
            best_effort("audit", [&] {
                audit_locked(b, client, "API_TASKS_ASSIGNED", document_id,
                             "message " + std::to_string(sequence) + ", " +
                                 std::to_string(assignment.tasks.size()) + " tasks");
            });
            return Reply{202, answer, {}, {}, {}};
        });
    }

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

    // {"documentId", "message"} of a package just queued.
    Object::Ptr accepted(Backend& b, std::int64_t sequence) {
        std::string document_id;
        best_effort("message " + std::to_string(sequence), [&] {
            const auto logged = b.store().messages(sequence - 1, 1);
            if (!logged.empty())
                document_id = logged.front().document_id;
        });
        Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        answer->set("documentId", document_id);
        answer->set("message", sequence);
        return answer;
    }

    // Work after the call's effect is committed: a failure is logged, not answered.
    template <typename Work>
    void best_effort(const std::string& what, Work work) {
        try {
            work();
        } catch (const std::exception& error) {
            note("http.after_commit_failed", "what=\"" + what + "\" problem=" + error.what());
        }
    }

    void audit_locked(Backend& b, const connector::ApiClient& client, const std::string& action,
                      const std::string& target, const std::string& detail) {
        connector::AuditEntry entry;
        entry.actor = "api:" + client.name;
        entry.action = action;
        entry.target = target;
        entry.detail = detail;
        b.store().append_audit(entry);
    }

    // --- POST /api/v1/tasks/{code}/reports ---
    Reply report(const connector::ApiClient& client, const std::string& code, JsonBody& sent) {
        FieldReader reader;
        const auto body = reader.object(parse_body(sent, reader), "",
                                        {"status", "progress", "note", "completionDate"});
        check(reader);
        const auto status = status_field(reader, body);
        const auto progress = reader.integer(body, "", "progress", 0, 100);
        const std::string note = reader.text(body, "", "note", false, 4000);
        const auto completion = date_field(reader, body, "", "completionDate");
        if (!status && !progress && note.empty())
            reader.problem("(body)", "needs at least one of status, progress, note");
        const bool handshake = status && (*status == edxml::StatusKind::take_back_request ||
                                          *status == edxml::StatusKind::change_accepted ||
                                          *status == edxml::StatusKind::change_rejected);
        if (handshake && (progress || completion))
            reader.problem("status", "13, 15 and 16 are sent alone, without progress or dates");
        check(reader);
        return with_backend([&](Backend& b) {
            if (!b.store().task(code))
                refuse(404, "no task '" + code + "'");
            std::int64_t sequence = 0;
            try {
                if (handshake) {
                    sequence = exchange_of(b).send_status(code, *status, note);
                } else {
                    connector::ReportRequest request;
                    request.task_code = code;
                    request.status = status;
                    request.progress = progress;
                    request.note = note;
                    request.completion_date = completion;
                    sequence = exchange_of(b).report(request);
                }
            } catch (const std::invalid_argument& error) {
                refuse(409, error.what());
            }
            Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            answer->set("message", sequence);
            best_effort("task " + code, [&] {
                if (const auto task = b.store().task(code))
                    answer->set("task", task_json(*task, today()));
            });
            best_effort("audit", [&] {
                audit_locked(b, client, "API_TASK_REPORTED", code,
                             "message " + std::to_string(sequence) +
                                 (status ? ", status " + edxml::canonical_code(*status) : ""));
            });
            return Reply{202, answer, {}, {}, {}};
        });
    }

    // --- POST /api/v1/documents ---
    Reply document(const connector::ApiClient& client, JsonBody& sent) {
        FieldReader reader;
        const auto body = reader.object(
            parse_body(sent, reader), "",
            {"number", "notation", "subject", "content", "signer", "to", "attachments"});
        check(reader);
        connector::PlainDocument plain;
        // No number: the connector numbers it (the message sequence, notation CV).
        document_code(reader, body, "", false, plain.code_number, plain.code_notation);
        plain.subject = reader.text(body, "", "subject", true, 1000);
        plain.content = reader.text(body, "", "content", false, 100000);
        plain.signer = signer(reader, body, "");
        plain.attachments = attachments(reader, body, "");
        reader.array(body, "", "to", 1, 100,
                     [&](const Poco::Dynamic::Var& value, const std::string& path) {
                         const auto entry = reader.object(value, path, {"organId", "name"});
                         edxml::Organization organization;
                         organization.organ_id = agency_code(reader, entry, path, "organId", true);
                         organization.organ_name = reader.text(entry, path, "name", false, 500);
                         plain.to.push_back(std::move(organization));
                     });
        check(reader);
        return with_backend([&](Backend& b) {
            const std::int64_t sequence =
                queued([&] { return exchange_of(b).send_document(plain); }, "(body)");
            Object::Ptr answer = accepted(b, sequence);
            const std::string document_id = answer->getValue<std::string>("documentId");
            best_effort("audit", [&] {
                audit_locked(b, client, "API_DOCUMENT_SENT", document_id,
                             "message " + std::to_string(sequence));
            });
            return Reply{202, answer, {}, {}, {}};
        });
    }

    // --- GET /api/v1/tasks ---
    static std::size_t limit_of(const std::string& value) {
        if (value.empty() || value.size() > 4 ||
            value.find_first_not_of("0123456789") != std::string::npos || std::stoul(value) == 0 ||
            std::stoul(value) > 1000)
            refuse_fields({{"limit", "'" + value + "' is not 1..1000"}});
        return std::stoul(value);
    }

    Reply list_tasks(const Poco::URI::QueryParameters& query) {
        connector::TaskQuery filter;
        std::string timeliness;
        FieldReader reader;
        std::set<std::string> seen;
        for (const auto& [name, value] : query) {
            if (!seen.insert(name).second) {
                reader.problem(name, "is given twice");
                continue;
            }
            if (name == "after") {
                filter.after_code = value;
            } else if (name == "limit") {
                filter.limit = limit_of(value);
            } else if (name == "agency") {
                if (const auto verdict = edxml::check_agency_code(value); !verdict.ok())
                    reader.problem(name, "'" + value + "' is not an agency code");
                filter.agency = value;
            } else if (name == "status") {
                if (value.size() != 2 || value.find_first_not_of("0123456789") != std::string::npos)
                    reader.problem(name, "'" + value + "' is not a two-digit status code");
                filter.status = value;
            } else if (name == "side") {
                if (value != "issued" && value != "received")
                    reader.problem(name, "must be issued or received");
                filter.side = value;
            } else if (name == "timeliness") {
                static const std::set<std::string> kKnown = {"open_on_time", "open_overdue",
                                                             "done_on_time", "done_late"};
                if (kKnown.count(value) == 0)
                    reader.problem(name,
                                   "must be open_on_time, open_overdue, done_on_time or "
                                   "done_late");
                timeliness = value;
            } else if (name == "dueBefore" || name == "dueAfter") {
                const auto date = api_date(value);
                if (!date)
                    reader.problem(name, "'" + value + "' is not a yyyy-MM-dd date");
                else
                    (name == "dueBefore" ? filter.due_before : filter.due_after) =
                        edxml::format_date(*date);
            } else if (name == "q") {
                if (value.size() > 200 || !valid_utf8(value))
                    reader.problem(name, "must be valid UTF-8, at most 200 bytes");
                filter.text = value;
            } else {
                reader.problem(name, "unknown query parameter");
            }
        }
        check(reader);
        const edxml::Date now = today();
        const std::size_t limit = filter.limit;
        std::vector<connector::Task> page;
        // Timeliness depends on today, so it is filtered here, batch by batch. At most
        // kMaxScanned tasks are looked at per call: past that, `next` lets the caller go on.
        constexpr std::size_t kMaxScanned = 20'000;
        std::string next;
        with_backend([&](Backend& b) {
            std::size_t scanned = 0;
            filter.limit = timeliness.empty() ? limit + 1 : std::max<std::size_t>(limit + 1, 500);
            while (next.empty()) {
                const auto batch = b.store().find_tasks(filter);
                for (const auto& task : batch) {
                    ++scanned;
                    const bool matches =
                        timeliness.empty() ||
                        connector::to_string(connector::derive_timeliness(
                            task.due_date, task.completion_date, now)) == timeliness;
                    if (matches && page.size() == limit) {
                        next = page.back().task_code;  // one more exists
                        break;
                    }
                    if (matches)
                        page.push_back(task);
                    if (scanned >= kMaxScanned) {
                        next = task.task_code;
                        break;
                    }
                }
                if (batch.size() < filter.limit)
                    break;
                filter.after_code = batch.back().task_code;
            }
            return 0;
        });
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& task : page)
            list->add(task_json(task, now));
        Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        body->set("tasks", list);
        body->set("next", next.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(next));
        return {200, body, {}, {}, {}};
    }

    Reply one_task(const std::string& code, const Poco::URI::QueryParameters& query) {
        if (!query.empty())
            refuse_fields({{query.front().first, "unknown query parameter"}});
        return with_backend([&](Backend& b) {
            const auto task = b.store().task(code);
            if (!task)
                refuse(404, "no task '" + code + "'");
            Object::Ptr body = task_json(*task, today());
            Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
            for (const auto& event : b.store().task_events(code)) {
                Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                entry->set("at", event.recorded_at);
                entry->set("kind", event.kind);
                entry->set("detail", event.detail);
                entry->set("message", event.message_sequence);
                if (event.message_sequence > 0) {
                    if (const auto logged = b.store().message_without_raw(event.message_sequence))
                        entry->set("signature", signature_json(*logged));
                }
                history->add(entry);
            }
            body->set("history", history);
            return Reply{200, body, {}, {}, {}};
        });
    }

    // --- GET /api/v1/messages/{sequence} ---
    // One entry of the message log, without its bytes: what an auditor checks first.
    Reply one_message(const std::string& text, const Poco::URI::QueryParameters& query) {
        if (!query.empty())
            refuse_fields({{query.front().first, "unknown query parameter"}});
        if (text.empty() || text.size() > 18 ||
            text.find_first_not_of("0123456789") != std::string::npos)
            refuse_fields({{"sequence", "not a message sequence (a whole number)"}});
        const std::int64_t sequence = std::stoll(text);
        return with_backend([&](Backend& b) {
            const auto logged = b.store().message_without_raw(sequence);
            if (!logged)
                refuse(404, "no message " + text + " in the log");
            return Reply{
                200, message_json(*logged, b.store().transport_state(sequence)), {}, {}, {}};
        });
    }

    // --- GET /api/v1/events ---
    Reply events(const Poco::URI::QueryParameters& query) {
        std::int64_t after = 0;
        std::size_t limit = 100;
        long long wait_seconds = 0;
        FieldReader reader;
        std::set<std::string> seen;
        const auto number = [&](const std::string& name, const std::string& value,
                                long long high) -> long long {
            if (value.empty() || value.size() > 18 ||
                value.find_first_not_of("0123456789") != std::string::npos ||
                std::stoll(value) > high) {
                reader.problem(name, "'" + value + "' is not 0.." + std::to_string(high));
                return 0;
            }
            return std::stoll(value);
        };
        for (const auto& [name, value] : query) {
            if (!seen.insert(name).second)
                reader.problem(name, "is given twice");
            else if (name == "after")
                after = number(name, value, 1LL << 62);
            else if (name == "limit")
                limit = limit_of(value);
            else if (name == "wait")
                wait_seconds = number(name, value, settings.max_wait.count());
            else
                reader.problem(name, "unknown query parameter");
        }
        check(reader);
        // Long polls hold a server thread each: past kMaxLongPolls at once, or while
        // stopping, the call answers at once (the caller asks again).
        struct Slot {
            std::atomic<int>& count;
            explicit Slot(std::atomic<int>& c) : count(c) { ++count; }
            ~Slot() { --count; }
        } slot(long_polls);
        if (long_polls > kMaxLongPolls)
            wait_seconds = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
        std::uint64_t generation = changes ? changes->generation() : 0;
        while (true) {
            auto answer = with_backend([&](Backend& b) -> std::optional<Reply> {
                const auto found = b.store().backend_events(after, limit);
                if (found.empty() && !stopping && std::chrono::steady_clock::now() < deadline)
                    return std::nullopt;
                const edxml::Date now = today();
                Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
                for (const auto& event : found)
                    list->add(event_json(event, b.store(), now));
                Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                body->set("events", list);
                body->set("last", found.empty() ? after : found.back().sequence);
                return Reply{200, body, {}, {}, {}};
            });
            if (answer)
                return *answer;
            // Woken by this process's changes at once; others' are seen within 250 ms.
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            const auto step =
                std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(250));
            if (changes)
                generation = changes->wait(generation, step);
            else
                std::this_thread::sleep_for(step);
        }
    }

    Reply agencies(const Poco::URI::QueryParameters& query) {
        if (!query.empty())
            refuse_fields({{query.front().first, "unknown query parameter"}});
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& [name, code] : settings.agencies) {
            Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            entry->set("code", code);
            entry->set("name", name);
            list->add(entry);
        }
        Object::Ptr body = new Object;
        body->set("agencies", list);
        return {200, body, {}, {}, {}};
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

ApiServer::ApiServer(ServerSettings settings, BackendOpener open_backend, ReadinessCheck readiness,
                     std::shared_ptr<ChangeSignal> changes)
    : impl_(std::make_unique<Impl>()) {
    impl_->settings = std::move(settings);
    impl_->large_bodies.capacity = std::max(1, impl_->settings.large_bodies_at_once);
    impl_->open_backend = std::move(open_backend);
    impl_->readiness = std::move(readiness);
    impl_->changes = std::move(changes);
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
