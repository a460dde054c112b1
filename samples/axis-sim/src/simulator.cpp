// The simulator: HTTP plumbing, fault injection, the operations of protocol.md §5.3 and
// the admin endpoints. State lives in memory under one mutex, with a write-through SQLite
// copy when a database is configured.
#include "axis_sim/simulator.hpp"
#include "sample_support/hex.hpp"
#include "sample_support/http_server.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "database.hpp"
#include "edxml/agency_code.hpp"
#include "edxml/reader.hpp"
#include "model.hpp"
#include "settings.hpp"
#include "vdxp/xroad_headers.hpp"

namespace axis_sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr const char* kJsonType = "application/json; charset=utf-8";
constexpr std::size_t kJsonBodyLimit = 64 * 1024;

// Our ErrorCode values (README.md): the real axis documents none.
constexpr const char* kAuthentication = "1";
constexpr const char* kInvalid = "2";
constexpr const char* kNotFound = "3";
constexpr const char* kRefused = "4";
constexpr const char* kConflict = "5";
constexpr const char* kTooLarge = "6";
constexpr const char* kInternal = "9";

// The fault kinds counted in /admin/state, in the order they are decided.
const std::vector<std::string>& fault_kinds() {
    static const std::vector<std::string> kinds{
        "latency",    "drop_before",    "http_500",  "send_refusal",
        "drop_after", "malformed_json", "duplicate", "out_of_order_statuses"};
    return kinds;
}

struct Reply {
    int status = 200;
    std::string content_type = kJsonType;
    std::string body;
};

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

std::string to_json(const Object::Ptr& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

Object::Ptr ok_object() {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("status", "OK");
    object->set("ErrorCode", "0");
    object->set("ErrorDesc", "");
    return object;
}

Reply ok(const Object::Ptr& object = ok_object()) {
    return {200, kJsonType, to_json(object)};
}

Reply fail(const std::string& code, const std::string& description, int status = 0) {
    if (status == 0) {
        status = code == kAuthentication ? 401
                 : code == kTooLarge     ? 413
                 : code == kInternal     ? 500
                                         : 200;
    }
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("status", "FAIL");
    object->set("ErrorCode", code);
    object->set("ErrorDesc", description);
    return {status, kJsonType, to_json(object)};
}

using sample_support::hex;

std::vector<unsigned char> sha256(std::string_view bytes) {
    std::vector<unsigned char> digest(EVP_MAX_MD_SIZE);
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
    digest.resize(size);
    return digest;
}

// The SDK's hash-file: each digest byte through Java's Integer.toHexString, so bytes
// below 0x10 lose their leading zero (protocol.md §5.3).
std::string sdk_hash_file(const std::vector<unsigned char>& digest) {
    static const char kDigits[] = "0123456789abcdef";
    std::string text;
    for (const unsigned char byte : digest) {
        if (byte >= 16)
            text += kDigits[byte >> 4];
        text += kDigits[byte & 15];
    }
    return text;
}

std::string base64(const std::string& bytes) {
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                       reinterpret_cast<const unsigned char*>(bytes.data()),
                                       static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(length));
    return text;
}

std::string random_id() {
    unsigned char bytes[12];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("no random bytes for a knobstick id");
    return hex(bytes, sizeof bytes);
}

// Constant-time comparison of two secrets of any length.
bool same_secret(const std::string& a, const std::string& b) {
    const auto digest_a = sha256(a);
    const auto digest_b = sha256(b);
    return CRYPTO_memcmp(digest_a.data(), digest_b.data(), digest_a.size()) == 0;
}

const char* state_description(const std::string& state) {
    if (state == kInitial)
        return "waiting for the receiver";
    if (state == kProcessing)
        return "the receiver is processing it";
    if (state == kDone)
        return "received";
    return "the receiver reported a failure";
}

std::string normalised_base_path(std::string path) {
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    if (!path.empty() && path.front() != '/')
        path.insert(path.begin(), '/');
    return path;
}

// What an authenticated request carries: the caller and its signed parameters.
struct Call {
    std::string systemid;
    vdxp::Headers parameters;
    std::string body;

    // A signed parameter, the key matched case-insensitively (docId / docid).
    std::optional<std::string> parameter(std::string_view key) const {
        const std::string wanted = lower(key);
        for (const auto& [name, value] : parameters) {
            if (lower(name) == wanted)
                return value;
        }
        return std::nullopt;
    }
};

// Fault decisions that the operations themselves carry out.
struct WorkFaults {
    bool duplicate = false;
    bool out_of_order_statuses = false;
    bool duplicate_applied = false;
    bool out_of_order_applied = false;
};

}  // namespace

class Simulator::Impl {
  public:
    explicit Impl(SimulatorConfig config);

    void start();
    void stop();
    unsigned short port() const { return port_; }
    std::string base_url() const;
    std::string state_json() const;
    void set_faults(const FaultSettings& faults);
    FaultSettings faults() const;
    void reset();

    void handle(HTTPServerRequest& request, HTTPServerResponse& response);

  private:
    // HTTP plumbing.
    void handle_operation(const std::string& operation, HTTPServerRequest& request,
                          HTTPServerResponse& response);
    void handle_admin(const std::string& path, HTTPServerRequest& request,
                      HTTPServerResponse& response);
    void send(HTTPServerResponse& response, const Reply& reply, bool keep_alive) const;
    static void drop(HTTPServerRequest& request, HTTPServerResponse& response);
    void refuse_too_large(HTTPServerRequest& request, HTTPServerResponse& response,
                          std::size_t limit);
    bool pause(std::chrono::milliseconds latency);

    // Faults and counters.
    FaultSettings faults_for(const std::string& operation);
    bool roll(double rate);
    void count_fault(const std::string& kind);
    void reseed(std::uint64_t seed);

    // Operations; each returns the whole reply.
    Reply perform(const std::string& operation, HTTPServerRequest& request, std::string body,
                  WorkFaults& faults);
    Reply send_edoc(const Call& call, WorkFaults& faults);
    Reply received_list(const Call& call, WorkFaults& faults);
    Reply get_edoc(const Call& call, bool raw);
    Reply update_status(const Call& call);
    Reply sent_list(const Call& call);
    Reply count_received(const Call& call, const char* default_type);
    Reply agencies(bool qd20);
    Reply register_agency(const Call& call);
    Reply delete_agency(const Call& call);

    // State helpers; the caller holds state_mutex_.
    bool owns_agency(const std::string& systemid, const std::string& code) const;
    const StoredAgency* find_agency(const std::string& code) const;
    std::string unused_id() const;
    // Receiver knobsticks waiting for `systemid`'s agencies, oldest first.
    std::vector<std::pair<const Knobstick*, const Receiver*>> offered(
        const std::string& systemid, const std::string& message_type) const;
    // The receiver knobstick `doc_id` if it is addressed to one of `systemid`'s agencies.
    std::pair<Knobstick*, Receiver*> addressed_receiver(const std::string& systemid,
                                                        const std::string& doc_id);
    void load_from_config();
    void rebuild_indexes();

    const SimulatorConfig config_;
    const std::string base_path_;
    std::map<std::string, std::string> secrets_;  // systemid → secret, fixed at construction

    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    unsigned short port_ = 0;
    bool ssl_initialised_ = false;

    std::mutex stop_mutex_;
    std::condition_variable stop_signal_;
    bool stopping_ = false;

    mutable std::mutex state_mutex_;
    std::vector<StoredAgency> agencies_;
    std::vector<Knobstick> knobsticks_;
    std::unordered_map<std::string, std::size_t> sender_index_;
    std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> receiver_index_;
    std::int64_t next_sequence_ = 1;
    std::unique_ptr<Database> database_;

    mutable std::mutex faults_mutex_;
    FaultSettings faults_;
    std::mt19937_64 random_;
    std::map<std::string, std::uint64_t> requests_;
    std::map<std::string, std::uint64_t> faults_injected_;
};

namespace {}  // namespace

Simulator::Impl::Impl(SimulatorConfig config)
    : config_(std::move(config)), base_path_(normalised_base_path(config_.base_path)) {
    for (const SystemConfig& system : config_.systems) {
        if (system.systemid.empty())
            throw std::invalid_argument("a system without a systemid");
        if (system.secret.empty())
            throw std::invalid_argument("system " + system.systemid + " has no secret");
        if (!secrets_.emplace(system.systemid, system.secret).second)
            throw std::invalid_argument("duplicate systemid " + system.systemid);
    }
    if (config_.tls_certificate.empty() != config_.tls_private_key.empty())
        throw std::invalid_argument("TLS needs both a certificate and a private key");
    faults_ = config_.faults;
    reseed(faults_.seed);
    load_from_config();
}

void Simulator::Impl::load_from_config() {
    agencies_.clear();
    for (const SystemConfig& system : config_.systems) {
        for (const AgencyConfig& agency : system.agencies)
            agencies_.push_back({system.systemid, agency});
    }
    knobsticks_.clear();
    next_sequence_ = 1;
    rebuild_indexes();
}

void Simulator::Impl::rebuild_indexes() {
    sender_index_.clear();
    receiver_index_.clear();
    for (std::size_t k = 0; k < knobsticks_.size(); ++k) {
        sender_index_[knobsticks_[k].id] = k;
        next_sequence_ = std::max(next_sequence_, knobsticks_[k].sequence + 1);
        for (std::size_t r = 0; r < knobsticks_[k].receivers.size(); ++r) {
            receiver_index_[knobsticks_[k].receivers[r].doc_id] = {k, r};
            next_sequence_ = std::max(next_sequence_, knobsticks_[k].receivers[r].sequence + 1);
        }
    }
}

void Simulator::Impl::start() {
    if (server_)
        return;
    {
        std::lock_guard lock(state_mutex_);
        if (!config_.database.empty() && !database_) {
            auto database = std::make_unique<Database>(config_.database);
            Database::Contents contents = database->load();
            std::set<std::string> deleted(contents.deleted_codes.begin(),
                                          contents.deleted_codes.end());
            load_from_config();
            std::erase_if(agencies_, [&](const StoredAgency& stored) {
                return deleted.count(stored.agency.code);
            });
            for (StoredAgency& stored : contents.registered) {
                if (!find_agency(stored.agency.code))
                    agencies_.push_back(std::move(stored));
            }
            knobsticks_ = std::move(contents.knobsticks);
            rebuild_indexes();
            database_ = std::move(database);
        }
    }
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = false;
    }
    const Poco::Net::SocketAddress address(config_.host, config_.port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!config_.tls_certificate.empty()) {
        if (!ssl_initialised_) {
            Poco::Net::initializeSSL();
            ssl_initialised_ = true;
        }
        Poco::Net::Context::Params params;
        params.privateKeyFile = config_.tls_private_key;
        params.certificateFile = config_.tls_certificate;
        params.verificationMode = Poco::Net::Context::VERIFY_NONE;
        params.loadDefaultCAs = false;
        params.cipherList = "HIGH:!aNULL:!MD5";
        Poco::Net::Context::Ptr context;
        try {
            context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
        } catch (const Poco::Exception& error) {
            // Poco's own text ("SSL context exception") names neither file.
            throw std::runtime_error("tls: cannot use certificate " + config_.tls_certificate +
                                     " with key " + config_.tls_private_key + ": " +
                                     error.displayText());
        }
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, context);
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
    }
    port_ = socket->address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(60, 0));
    params->setKeepAliveTimeout(Poco::Timespan(15, 0));
    params->setSoftwareVersion("axis-sim");
    // A pool of our own: its threads start here, after run_cli has blocked the signals it
    // waits for, and stop() can wait for exactly them.
    pool_ = std::make_unique<Poco::ThreadPool>(2, 17);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new sample_support::FunctionHandlerFactory(
            [this](HTTPServerRequest& request, HTTPServerResponse& response) {
                handle(request, response);
            }),
        *pool_, *socket, params);
    server_->start();
}

void Simulator::Impl::stop() {
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_signal_.notify_all();
    if (server_) {
        server_->stopAll(true);
        pool_->joinAll();
        server_.reset();
    }
    pool_.reset();
    {
        std::lock_guard lock(state_mutex_);
        database_.reset();
    }
    if (ssl_initialised_) {
        Poco::Net::uninitializeSSL();
        ssl_initialised_ = false;
    }
}

std::string Simulator::Impl::base_url() const {
    const std::string host =
        config_.host.find(':') != std::string::npos ? "[" + config_.host + "]" : config_.host;
    return (config_.tls_certificate.empty() ? "http://" : "https://") + host + ":" +
           std::to_string(port_) + base_path_;
}

// ---------------------------------------------------------------------------------------
// HTTP plumbing

void Simulator::Impl::send(HTTPServerResponse& response, const Reply& reply,
                           bool keep_alive) const {
    response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(reply.status));
    // Its own clock, as a real server's Date says (clock_offset_s: a clock that is off).
    response.setDate(Poco::Timestamp() + Poco::Timespan(config_.clock_offset_s, 0));
    response.setContentType(reply.content_type);
    if (!keep_alive)
        response.setKeepAlive(false);
    response.setContentLength64(static_cast<Poco::Int64>(reply.body.size()));
    std::ostream& out = response.send();
    out.write(reply.body.data(), static_cast<std::streamsize>(reply.body.size()));
    // Flushed now, not when Poco destroys the response: a lingering close shuts the
    // sending side down right after this.
    out.flush();
}

// Closes the connection without an answer. Throwing from the handler would not do: Poco
// then sends a 500 of its own.
void Simulator::Impl::drop(HTTPServerRequest& request, HTTPServerResponse& response) {
    response.setKeepAlive(false);
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request)) {
        try {
            impl->socket().shutdown();
        } catch (const Poco::Exception&) {
            // Already gone: dropped either way.
        }
    }
}

void Simulator::Impl::refuse_too_large(HTTPServerRequest& request, HTTPServerResponse& response,
                                       std::size_t limit) {
    send(response,
         fail(kTooLarge,
              "the request body is larger than the limit of " + std::to_string(limit) + " bytes"),
         false);
    sample_support::close_after_refusal(request);
}

bool Simulator::Impl::pause(std::chrono::milliseconds latency) {
    std::unique_lock lock(stop_mutex_);
    return !stop_signal_.wait_for(lock, latency, [this] { return stopping_; });
}

void Simulator::Impl::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
    try {
        std::string path;
        try {
            path = Poco::URI(request.getURI()).getPath();
        } catch (const Poco::Exception&) {
            send(response, fail(kInvalid, "the request URI is not valid", 400), false);
            return;
        }
        if (path == "/admin" || starts_with(path, "/admin/")) {
            handle_admin(path, request, response);
            return;
        }
        if (starts_with(path, base_path_ + "/")) {
            const std::string name = path.substr(base_path_.size() + 1);
            const auto& names = operation_names();
            if (std::find(names.begin(), names.end(), name) != names.end()) {
                handle_operation(name, request, response);
                return;
            }
        }
        send(response, fail(kNotFound, "no operation at " + path, 404), false);
    } catch (const std::exception& error) {
        try {
            if (!response.sent())
                send(response, fail(kInternal, std::string("internal error: ") + error.what()),
                     false);
        } catch (const std::exception&) {
            // The connection is gone: nobody is left to tell.
        }
    }
}

void Simulator::Impl::handle_operation(const std::string& operation, HTTPServerRequest& request,
                                       HTTPServerResponse& response) {
    const FaultSettings faults = faults_for(operation);
    if (faults.latency.count() > 0) {
        count_fault("latency");
        if (!pause(faults.latency)) {
            drop(request, response);  // stopping
            return;
        }
    }
    if (roll(faults.drop_before_rate)) {
        count_fault("drop_before");
        drop(request, response);
        return;
    }
    const std::size_t limit = operation == "registerAgency"
                                  ? std::min(kJsonBodyLimit, config_.max_body_bytes)
                                  : config_.max_body_bytes;
    std::string body;
    if (!sample_support::read_body(request, limit, body)) {
        refuse_too_large(request, response, limit);
        return;
    }
    if (roll(faults.http_500_rate)) {
        count_fault("http_500");
        send(response, {500, "text/plain; charset=utf-8", "axis-sim: injected HTTP 500\n"}, true);
        return;
    }
    if (operation == "sendEdoc" && roll(faults.send_refusal_rate)) {
        count_fault("send_refusal");
        send(response, fail(kRefused, "sendEdoc refused (injected send refusal)"), true);
        return;
    }
    WorkFaults work;
    work.duplicate = operation == "sendEdoc" && roll(faults.duplicate_rate);
    work.out_of_order_statuses = faults.out_of_order_statuses;
    Reply reply;
    try {
        reply = perform(operation, request, std::move(body), work);
    } catch (const std::exception& error) {
        reply = fail(kInternal, operation + " failed: " + error.what());
    }
    if (work.duplicate_applied)
        count_fault("duplicate");
    if (work.out_of_order_applied)
        count_fault("out_of_order_statuses");
    if (roll(faults.drop_after_rate)) {
        count_fault("drop_after");
        drop(request, response);
        return;
    }
    if (roll(faults.malformed_json_rate)) {
        count_fault("malformed_json");
        // Cut before the end: a JSON object without its closing brace never parses.
        reply.body.resize(reply.body.size() / 2);
        reply.content_type = kJsonType;
    }
    send(response, reply, true);
}

// ---------------------------------------------------------------------------------------
// Faults

FaultSettings Simulator::Impl::faults_for(const std::string& operation) {
    std::lock_guard lock(faults_mutex_);
    ++requests_[operation];
    if (!faults_.operations.empty() &&
        std::find(faults_.operations.begin(), faults_.operations.end(), operation) ==
            faults_.operations.end())
        return {};
    return faults_;
}

bool Simulator::Impl::roll(double rate) {
    if (rate <= 0.0)
        return false;
    std::lock_guard lock(faults_mutex_);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    return uniform(random_) < rate;
}

void Simulator::Impl::count_fault(const std::string& kind) {
    std::lock_guard lock(faults_mutex_);
    ++faults_injected_[kind];
}

void Simulator::Impl::reseed(std::uint64_t seed) {
    if (seed == 0) {
        std::random_device device;
        seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
    }
    random_.seed(seed);
}

void Simulator::Impl::set_faults(const FaultSettings& faults) {
    std::lock_guard lock(faults_mutex_);
    faults_ = faults;
    reseed(faults.seed);
}

FaultSettings Simulator::Impl::faults() const {
    std::lock_guard lock(faults_mutex_);
    return faults_;
}

// ---------------------------------------------------------------------------------------
// Operations

Reply Simulator::Impl::perform(const std::string& operation, HTTPServerRequest& request,
                               std::string body, WorkFaults& faults) {
    const std::string& method = request.getMethod();
    const bool allowed = method == "POST" || (operation == "downloadEdoc" && method == "GET");
    if (!allowed)
        return fail(kInvalid, operation + " does not accept HTTP " + method, 405);

    const vdxp::Verification verification = vdxp::verify_request(
        [&](std::string_view name) -> std::optional<std::string> {
            const std::string key(name);
            if (!request.has(key))
                return std::nullopt;
            return request.get(key);
        },
        [&](const std::string& systemid) -> std::optional<std::string> {
            const auto found = secrets_.find(systemid);
            if (found == secrets_.end())
                return std::nullopt;
            return found->second;
        });
    if (!verification.ok)
        return fail(kAuthentication, "authentication failed: " + verification.reason);
    const Call call{verification.systemid, verification.parameters, std::move(body)};

    if (operation == "sendEdoc")
        return send_edoc(call, faults);
    if (operation == "getReceivedEdocList")
        return received_list(call, faults);
    if (operation == "getEdoc")
        return get_edoc(call, false);
    if (operation == "downloadEdoc")
        return get_edoc(call, true);
    if (operation == "updateStatus")
        return update_status(call);
    if (operation == "getSentEdocList")
        return sent_list(call);
    if (operation == "countReceiveEdoc")
        return count_received(call, "edoc");
    if (operation == "countReceiveStatus")
        return count_received(call, "status");
    if (operation == "getAgenciesList")
        return agencies(false);
    if (operation == "getAgenciesListQD20")
        return agencies(true);
    if (operation == "registerAgency")
        return register_agency(call);
    return delete_agency(call);
}

namespace {

// The messagetype parameter, lower-cased; nothing when absent and no default.
std::optional<Reply> check_message_type(const Call& call, const char* default_type,
                                        std::string& message_type) {
    const auto value = call.parameter("messagetype");
    if (!value) {
        if (!default_type)
            return fail(kInvalid, "missing header XroadVnpt-messagetype (edoc or status)");
        message_type = default_type;
        return std::nullopt;
    }
    message_type = lower(*value);
    if (message_type != "edoc" && message_type != "status")
        return fail(kInvalid, "messagetype '" + *value + "' is neither edoc nor status");
    return std::nullopt;
}

std::optional<Reply> check_service_type(const Call& call, bool required) {
    const auto value = call.parameter("servicetype");
    if (!value) {
        if (required)
            return fail(kInvalid, "missing header XroadVnpt-servicetype (eDoc)");
        return std::nullopt;
    }
    if (lower(*value) != "edoc")
        return fail(kInvalid, "servicetype '" + *value + "' is not eDoc");
    return std::nullopt;
}

std::optional<Reply> required_parameter(const Call& call, const char* key, std::string& value) {
    const auto found = call.parameter(key);
    if (!found || found->empty())
        return fail(kInvalid, std::string("missing header XroadVnpt-") + key);
    value = *found;
    return std::nullopt;
}

}  // namespace

Reply Simulator::Impl::send_edoc(const Call& call, WorkFaults& faults) {
    std::string from, message_type;
    if (auto refusal = required_parameter(call, "from", from))
        return *refusal;
    if (auto refusal = check_service_type(call, true))
        return *refusal;
    if (auto refusal = check_message_type(call, nullptr, message_type))
        return *refusal;
    const std::string service_type = *call.parameter("servicetype");

    std::string body = call.body;
    // The SDK's multipart writer ends the file with CRLF (protocol.md §5.3).
    if (body.size() >= 2 && body.compare(body.size() - 2, 2, "\r\n") == 0)
        body.resize(body.size() - 2);
    if (body.empty())
        return fail(kInvalid, "the request body is empty: it must be the edXML package");
    const auto digest = sha256(body);
    const std::string digest_hex = hex(digest.data(), digest.size());
    if (const auto hash_file = call.parameter("hash-file")) {
        const std::string received = lower(*hash_file);
        if (received != digest_hex && received != sdk_hash_file(digest))
            return fail(kInvalid, "hash-file '" + *hash_file +
                                      "' does not match the SHA-256 of the body (" + digest_hex +
                                      ")");
    }

    edxml::ReadOptions options;
    options.limits.max_input_bytes = std::max(options.limits.max_input_bytes, body.size());
    const edxml::ReadResult read = edxml::read_package(body, options);
    if (!read.ok()) {
        const std::string reason =
            read.errors.empty() ? "no package" : read.errors.front().to_string();
        return fail(kInvalid, "the body is not a readable edXML package: " + reason);
    }
    const edxml::Package& package = *read.package;
    const bool is_status = edxml::kind_of(package) == edxml::PackageKind::status;
    if (is_status != (message_type == "status")) {
        return fail(kInvalid, "messagetype is '" + message_type + "' but the body is a " +
                                  (is_status ? "status" : "document") + " package");
    }

    auto knobstick = std::make_unique<Knobstick>();
    std::vector<std::string> recipients;
    const auto add_recipient = [&](const std::string& code) {
        if (!code.empty() &&
            std::find(recipients.begin(), recipients.end(), code) == recipients.end())
            recipients.push_back(code);
    };
    if (is_status) {
        const auto& status = std::get<edxml::StatusPackage>(package);
        add_recipient(status.response_for.organ_id);
        knobstick->document_id = status.response_for.document_id;
        knobstick->title = status.description;
        knobstick->notation = status.response_for.code;
    } else {
        const auto& document = std::get<edxml::DocumentPackage>(package);
        for (const edxml::Organization& to : document.header.to)
            add_recipient(to.organ_id);
        knobstick->document_id = document.header.document_id;
        knobstick->title = document.header.subject;
        knobstick->notation =
            document.header.code.number.empty()
                ? document.header.code.notation
                : document.header.code.number + "/" + document.header.code.notation;
    }
    if (recipients.empty()) {
        return fail(kInvalid, is_status
                                  ? "the status package names no recipient (ResponseFor/OrganId)"
                                  : "the package names no recipient (MessageHeader/To)");
    }
    knobstick->sender_system = call.systemid;
    knobstick->service_type = service_type;
    knobstick->message_type = message_type;
    knobstick->from = from;
    knobstick->to_header = call.parameter("to").value_or("");
    knobstick->sha256 = digest_hex;
    knobstick->content = std::make_shared<const std::string>(std::move(body));

    std::lock_guard lock(state_mutex_);
    if (from != call.systemid && !owns_agency(call.systemid, from)) {
        return fail(kInvalid, "from '" + from + "' is neither system " + call.systemid +
                                  " nor one of its agencies");
    }
    for (const std::string& code : recipients) {
        if (!find_agency(code))
            return fail(kInvalid, "unknown recipient agency " + code);
    }
    knobstick->id = unused_id();
    knobstick->sequence = next_sequence_++;
    knobstick->created = now_millis();
    std::set<std::string> taken{knobstick->id};
    for (const std::string& code : recipients) {
        for (int copy = 0; copy < (faults.duplicate ? 2 : 1); ++copy) {
            Receiver receiver;
            do {
                receiver.doc_id = unused_id();
            } while (!taken.insert(receiver.doc_id).second);
            receiver.to = code;
            receiver.sequence = next_sequence_++;
            receiver.updated = knobstick->created;
            knobstick->receivers.push_back(std::move(receiver));
        }
    }
    if (database_)
        database_->insert_knobstick(*knobstick);
    faults.duplicate_applied = faults.duplicate;
    const std::size_t index = knobsticks_.size();
    knobsticks_.push_back(std::move(*knobstick));
    const Knobstick& stored = knobsticks_.back();
    sender_index_[stored.id] = index;
    for (std::size_t r = 0; r < stored.receivers.size(); ++r)
        receiver_index_[stored.receivers[r].doc_id] = {index, r};

    Object::Ptr object = ok_object();
    object->set("DocId", stored.id);
    return ok(object);
}

Reply Simulator::Impl::received_list(const Call& call, WorkFaults& faults) {
    std::string message_type;
    if (auto refusal = check_service_type(call, false))
        return *refusal;
    if (auto refusal = check_message_type(call, nullptr, message_type))
        return *refusal;
    Millis from_date = std::numeric_limits<Millis>::min();
    Millis to_date = std::numeric_limits<Millis>::max();
    for (const auto& [key, target, end_of_second] :
         {std::tuple{"fromDate", &from_date, false}, std::tuple{"toDate", &to_date, true}}) {
        if (const auto value = call.parameter(key); value && !value->empty()) {
            if (!parse_axis_time(*value, *target))
                return fail(kInvalid, std::string(key) + " '" + *value +
                                          "' is not a time of the form dd/MM/yyyy HH:mm:ss");
            if (end_of_second)
                *target += 999;
        }
    }

    Array::Ptr data = new Array;
    {
        std::lock_guard lock(state_mutex_);
        auto items = offered(call.systemid, message_type);
        if (message_type == "status" && faults.out_of_order_statuses) {
            std::reverse(items.begin(), items.end());
            faults.out_of_order_applied = true;
        }
        for (const auto& [knobstick, receiver] : items) {
            if (knobstick->created < from_date || knobstick->created > to_date)
                continue;
            Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            item->set("docId", receiver->doc_id);
            item->set("serviceType", knobstick->service_type);
            item->set("messageType", knobstick->message_type);
            item->set("created_time", format_axis_time(knobstick->created));
            item->set("updated_time", format_axis_time(receiver->updated));
            if (!config_.lists_without_sender)
                item->set("from", knobstick->from);
            item->set("to", receiver->to);
            item->set("status", receiver->state);
            item->set("status_desc", state_description(receiver->state));
            item->set("contentSha256", knobstick->sha256);
            item->set("contentLength", static_cast<Poco::Int64>(knobstick->content->size()));
            data->add(item);
        }
    }
    Object::Ptr object = ok_object();
    object->set("data", data);
    return ok(object);
}

Reply Simulator::Impl::get_edoc(const Call& call, bool raw) {
    std::string doc_id;
    if (auto refusal = required_parameter(call, "docId", doc_id))
        return *refusal;
    std::shared_ptr<const std::string> content;
    {
        std::lock_guard lock(state_mutex_);
        const auto [knobstick, receiver] = addressed_receiver(call.systemid, doc_id);
        if (!receiver)
            return fail(kNotFound,
                        "no knobstick " + doc_id + " for the agencies of system " + call.systemid);
        content = knobstick->content;
    }
    if (raw)
        return {200, "application/xml", *content};
    Object::Ptr object = ok_object();
    object->set("data", base64(*content));
    return ok(object);
}

Reply Simulator::Impl::update_status(const Call& call) {
    std::string doc_id, status;
    if (auto refusal = required_parameter(call, "docId", doc_id))
        return *refusal;
    if (auto refusal = required_parameter(call, "status", status))
        return *refusal;
    const std::string wanted = lower(status);
    if (wanted != kProcessing && wanted != kDone && wanted != kFail)
        return fail(kInvalid, "status '" + status + "' is not processing, done or fail");

    std::lock_guard lock(state_mutex_);
    const auto [knobstick, receiver] = addressed_receiver(call.systemid, doc_id);
    if (!receiver)
        return fail(kNotFound,
                    "no knobstick " + doc_id + " for the agencies of system " + call.systemid);
    const std::string& current = receiver->state;
    if (current == wanted && (current == kDone || current == kFail))
        return ok();  // a repeated final acknowledgement changes nothing
    if (current == kDone || current == kFail) {
        return fail(kConflict, "knobstick " + doc_id + " is already " + current +
                                   "; it cannot become " + wanted);
    }
    Receiver updated = *receiver;
    updated.state = wanted;
    updated.updated = now_millis();
    if (wanted == kDone)
        updated.received = updated.updated;
    if (database_)
        database_->update_receiver(updated);
    *receiver = std::move(updated);
    return ok();
}

Reply Simulator::Impl::sent_list(const Call& call) {
    std::string doc_id, message_type;
    if (auto refusal = check_service_type(call, false))
        return *refusal;
    if (auto refusal = check_message_type(call, "edoc", message_type))
        return *refusal;
    if (auto refusal = required_parameter(call, "docId", doc_id))
        return *refusal;
    Array::Ptr data = new Array;
    {
        std::lock_guard lock(state_mutex_);
        const auto found = sender_index_.find(doc_id);
        if (found == sender_index_.end() ||
            knobsticks_[found->second].sender_system != call.systemid)
            return fail(kNotFound, "no knobstick " + doc_id + " sent by system " + call.systemid);
        const Knobstick& knobstick = knobsticks_[found->second];
        for (const Receiver& receiver : knobstick.receivers) {
            Object::Ptr row = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            row->set("serviceType", knobstick.service_type);
            row->set("senderDocId", knobstick.id);
            row->set("receiverDocId", receiver.doc_id);
            row->set("fromCode", knobstick.from);
            row->set("toCode", receiver.to);
            row->set("title", knobstick.title);
            row->set("notation", knobstick.notation);
            row->set("messageType", knobstick.message_type);
            row->set("sentTime", format_axis_time(knobstick.created));
            row->set("receivedTime", receiver.received ? format_axis_time(receiver.received) : "");
            row->set("sendStatus", "done");
            row->set("sendStatusDesc", "delivered to the axis");
            row->set("receiveStatus", receiver.state);
            row->set("receiveStatusDesc", state_description(receiver.state));
            data->add(row);
        }
    }
    Object::Ptr object = ok_object();
    object->set("data", data);
    return ok(object);
}

Reply Simulator::Impl::count_received(const Call& call, const char* default_type) {
    std::string message_type;
    if (auto refusal = check_service_type(call, false))
        return *refusal;
    if (auto refusal = check_message_type(call, default_type, message_type))
        return *refusal;
    std::size_t count = 0;
    {
        std::lock_guard lock(state_mutex_);
        count = offered(call.systemid, message_type).size();
    }
    Object::Ptr object = ok_object();
    object->set("count", static_cast<Poco::Int64>(count));
    return ok(object);
}

Reply Simulator::Impl::agencies(bool qd20) {
    Array::Ptr data = new Array;
    {
        std::lock_guard lock(state_mutex_);
        for (const StoredAgency& stored : agencies_) {
            const AgencyConfig& agency = stored.agency;
            Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            item->set("id", agency.id);
            if (qd20) {
                item->set("code", agency.code_qd20.empty() ? agency.code : agency.code_qd20);
                item->set("name", agency.name);
                item->set("mail", agency.mail);
                item->set("code102", agency.code);
            } else {
                item->set("pid", agency.pid);
                item->set("code", agency.code);
                item->set("name", agency.name);
                item->set("mail", agency.mail);
                item->set("oldCode", agency.old_code);
            }
            data->add(item);
        }
    }
    Object::Ptr object = ok_object();
    object->set("data", data);
    return ok(object);
}

Reply Simulator::Impl::register_agency(const Call& call) {
    Object::Ptr body;
    try {
        Poco::JSON::Parser parser;
        parser.setDepth(32);  // its recursion would otherwise follow any nesting
        const Poco::Dynamic::Var parsed = parser.parse(call.body);
        if (parsed.type() != typeid(Object::Ptr))
            return fail(kInvalid, "the registerAgency body must be a JSON object");
        body = parsed.extract<Object::Ptr>();
    } catch (const Poco::Exception& error) {
        return fail(kInvalid, "the registerAgency body is not JSON: " + error.displayText());
    }
    AgencyConfig agency;
    const std::pair<const char*, std::string*> fields[] = {
        {"id", &agency.id},     {"pcode", &agency.pid}, {"code", &agency.code},
        {"name", &agency.name}, {"mail", &agency.mail}, {"mobile", &agency.mobile},
        {"fax", &agency.fax},
    };
    for (const auto& [name, target] : fields) {
        if (!body->has(name) || body->isNull(name))
            continue;
        const Poco::Dynamic::Var value = body->get(name);
        if (!value.isString())
            return fail(kInvalid, std::string("registerAgency: '") + name + "' must be a string");
        *target = value.convert<std::string>();
    }
    const auto check = edxml::check_agency_code(agency.code);
    if (!check.ok())
        return fail(kInvalid, "registerAgency: code '" + agency.code +
                                  "' is not an agency code: " + check.problem);

    std::lock_guard lock(state_mutex_);
    if (const StoredAgency* existing = find_agency(agency.code))
        return fail(kConflict, "agency " + agency.code + " is already registered (system " +
                                   existing->systemid + ")");
    if (agency.id.empty())
        agency.id = unused_id();
    StoredAgency stored{call.systemid, std::move(agency)};
    if (database_)
        database_->insert_agency(stored);
    agencies_.push_back(std::move(stored));
    return ok();
}

Reply Simulator::Impl::delete_agency(const Call& call) {
    std::string code;
    if (auto refusal = required_parameter(call, "AgencyCode", code))
        return *refusal;
    std::lock_guard lock(state_mutex_);
    if (!owns_agency(call.systemid, code))
        return fail(kNotFound, "system " + call.systemid + " has no agency " + code);
    if (database_)
        database_->delete_agency(code);
    std::erase_if(agencies_,
                  [&](const StoredAgency& stored) { return stored.agency.code == code; });
    return ok();
}

// ---------------------------------------------------------------------------------------
// State helpers

bool Simulator::Impl::owns_agency(const std::string& systemid, const std::string& code) const {
    const StoredAgency* agency = find_agency(code);
    return agency && agency->systemid == systemid;
}

const StoredAgency* Simulator::Impl::find_agency(const std::string& code) const {
    for (const StoredAgency& stored : agencies_) {
        if (stored.agency.code == code)
            return &stored;
    }
    return nullptr;
}

std::string Simulator::Impl::unused_id() const {
    while (true) {
        std::string id = random_id();
        if (!sender_index_.count(id) && !receiver_index_.count(id))
            return id;
    }
}

std::vector<std::pair<const Knobstick*, const Receiver*>> Simulator::Impl::offered(
    const std::string& systemid, const std::string& message_type) const {
    std::set<std::string> codes;
    for (const StoredAgency& stored : agencies_) {
        if (stored.systemid == systemid)
            codes.insert(stored.agency.code);
    }
    std::vector<std::pair<const Knobstick*, const Receiver*>> items;
    for (const Knobstick& knobstick : knobsticks_) {
        if (knobstick.message_type != message_type)
            continue;
        for (const Receiver& receiver : knobstick.receivers) {
            if (!codes.count(receiver.to) || receiver.state == kDone ||
                (receiver.state == kFail && !config_.reoffer_failed))
                continue;
            items.emplace_back(&knobstick, &receiver);
        }
    }
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        return std::pair(a.first->created, a.second->sequence) <
               std::pair(b.first->created, b.second->sequence);
    });
    return items;
}

std::pair<Knobstick*, Receiver*> Simulator::Impl::addressed_receiver(const std::string& systemid,
                                                                     const std::string& doc_id) {
    const auto found = receiver_index_.find(doc_id);
    if (found == receiver_index_.end())
        return {nullptr, nullptr};
    Knobstick& knobstick = knobsticks_[found->second.first];
    Receiver& receiver = knobstick.receivers[found->second.second];
    if (!owns_agency(systemid, receiver.to))
        return {nullptr, nullptr};
    return {&knobstick, &receiver};
}

// ---------------------------------------------------------------------------------------
// Admin

void Simulator::Impl::handle_admin(const std::string& path, HTTPServerRequest& request,
                                   HTTPServerResponse& response) {
    if (config_.admin_token.empty()) {
        send(response, fail(kNotFound, "no operation at " + path, 404), false);
        return;
    }
    const std::string authorization = request.get("Authorization", "");
    const std::string scheme = "Bearer ";
    if (authorization.size() <= scheme.size() ||
        lower(authorization.substr(0, scheme.size())) != lower(scheme) ||
        !same_secret(authorization.substr(scheme.size()), config_.admin_token)) {
        send(response,
             fail(kAuthentication, "admin endpoints need Authorization: Bearer <admin token>"),
             false);
        return;
    }
    std::string body;
    if (!sample_support::read_body(request, kJsonBodyLimit, body)) {
        refuse_too_large(request, response, kJsonBodyLimit);
        return;
    }
    const std::string& method = request.getMethod();
    const auto wrong_method = [&](const char* allowed) {
        send(response, fail(kInvalid, path + " accepts " + allowed + " only", 405), true);
    };
    if (path == "/admin/state") {
        if (method != "GET")
            return wrong_method("GET");
        send(response, {200, kJsonType, state_json()}, true);
    } else if (path == "/admin/faults") {
        if (method == "PUT") {
            FaultSettings updated = faults();
            try {
                Poco::JSON::Parser parser;
                parser.setDepth(32);
                const Poco::Dynamic::Var parsed = parser.parse(body);
                if (parsed.type() != typeid(Object::Ptr))
                    throw SettingsError("the body must be a JSON object of fault settings");
                apply_faults(*parsed.extract<Object::Ptr>(), updated, "");
            } catch (const SettingsError& error) {
                send(response, fail(kInvalid, error.what(), 400), true);
                return;
            } catch (const Poco::Exception& error) {
                send(response, fail(kInvalid, "the body is not JSON: " + error.displayText(), 400),
                     true);
                return;
            }
            set_faults(updated);
        } else if (method != "GET") {
            return wrong_method("GET and PUT");
        }
        send(response, {200, kJsonType, to_json(faults_to_json(faults()))}, true);
    } else if (path == "/admin/reset") {
        if (method != "POST")
            return wrong_method("POST");
        reset();
        send(response, ok(), true);
    } else {
        send(response, fail(kNotFound, "no admin endpoint at " + path, 404), true);
    }
}

std::string Simulator::Impl::state_json() const {
    Object::Ptr root = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    {
        std::lock_guard lock(state_mutex_);
        std::vector<std::string> systemids;
        for (const SystemConfig& system : config_.systems)
            systemids.push_back(system.systemid);
        for (const StoredAgency& stored : agencies_) {
            if (std::find(systemids.begin(), systemids.end(), stored.systemid) == systemids.end())
                systemids.push_back(stored.systemid);
        }
        Array::Ptr systems = new Array;
        for (const std::string& systemid : systemids) {
            Object::Ptr system = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            system->set("systemid", systemid);
            Array::Ptr agencies = new Array;
            for (const StoredAgency& stored : agencies_) {
                if (stored.systemid != systemid)
                    continue;
                const AgencyConfig& agency = stored.agency;
                Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                item->set("id", agency.id);
                item->set("pid", agency.pid);
                item->set("code", agency.code);
                item->set("name", agency.name);
                item->set("mail", agency.mail);
                item->set("mobile", agency.mobile);
                item->set("fax", agency.fax);
                item->set("old_code", agency.old_code);
                item->set("code_qd20", agency.code_qd20);
                agencies->add(item);
            }
            system->set("agencies", agencies);
            systems->add(system);
        }
        root->set("systems", systems);

        Array::Ptr knobsticks = new Array;
        for (const Knobstick& knobstick : knobsticks_) {
            Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            item->set("id", knobstick.id);
            item->set("sender_system", knobstick.sender_system);
            item->set("service_type", knobstick.service_type);
            item->set("message_type", knobstick.message_type);
            item->set("from", knobstick.from);
            item->set("to", knobstick.to_header);
            item->set("document_id", knobstick.document_id);
            item->set("title", knobstick.title);
            item->set("notation", knobstick.notation);
            item->set("sha256", knobstick.sha256);
            item->set("size", static_cast<Poco::Int64>(knobstick.content->size()));
            item->set("created", format_axis_time(knobstick.created));
            Array::Ptr receivers = new Array;
            for (const Receiver& receiver : knobstick.receivers) {
                Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                entry->set("doc_id", receiver.doc_id);
                entry->set("to", receiver.to);
                entry->set("state", receiver.state);
                entry->set("updated", format_axis_time(receiver.updated));
                entry->set("received",
                           receiver.received ? format_axis_time(receiver.received) : "");
                receivers->add(entry);
            }
            item->set("receivers", receivers);
            knobsticks->add(item);
        }
        root->set("knobsticks", knobsticks);
    }
    std::lock_guard lock(faults_mutex_);
    root->set("faults", faults_to_json(faults_));
    Object::Ptr requests = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const std::string& operation : operation_names()) {
        const auto found = requests_.find(operation);
        requests->set(operation,
                      static_cast<Poco::UInt64>(found == requests_.end() ? 0 : found->second));
    }
    root->set("requests", requests);
    Object::Ptr injected = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const std::string& kind : fault_kinds()) {
        const auto found = faults_injected_.find(kind);
        injected->set(
            kind, static_cast<Poco::UInt64>(found == faults_injected_.end() ? 0 : found->second));
    }
    root->set("faults_injected", injected);
    return to_json(root);
}

void Simulator::Impl::reset() {
    {
        std::lock_guard lock(state_mutex_);
        if (database_)
            database_->clear();
        load_from_config();
    }
    std::lock_guard lock(faults_mutex_);
    faults_ = config_.faults;
    reseed(faults_.seed);
    requests_.clear();
    faults_injected_.clear();
}

// ---------------------------------------------------------------------------------------
// The public face

Simulator::Simulator(SimulatorConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Simulator::~Simulator() {
    try {
        impl_->stop();
    } catch (...) {
        // A destructor must not throw; stop() has released what it could.
    }
}

void Simulator::start() {
    impl_->start();
}
void Simulator::stop() {
    impl_->stop();
}
unsigned short Simulator::port() const {
    return impl_->port();
}
std::string Simulator::base_url() const {
    return impl_->base_url();
}
std::string Simulator::state_json() const {
    return impl_->state_json();
}
void Simulator::set_faults(const FaultSettings& faults) {
    impl_->set_faults(faults);
}
FaultSettings Simulator::faults() const {
    return impl_->faults();
}
void Simulator::reset() {
    impl_->reset();
}

}  // namespace axis_sim
