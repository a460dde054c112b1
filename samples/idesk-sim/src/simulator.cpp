// The simulator: the webhook receiver, the admin endpoints, and the worker thread that
// submits the scenario's calls and plays its clerks. All state lives under one mutex.
#include "idesk_sim/simulator.hpp"
#include "sample_support/http_server.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "connector_client.hpp"
#include "text.hpp"

namespace idesk_sim {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr const char* kJsonType = "application/json; charset=utf-8";
constexpr std::size_t kAdminBodyLimit = 64 * 1024;
constexpr int kFeedPageLimit = 1000;  // the most GET /api/v1/events gives at once
constexpr std::size_t kKeptFeedErrors = 100;

struct Reply {
    int status = 200;
    std::string body;
};

std::string to_json(const Object::Ptr& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

Reply error_reply(int status, const std::string& message) {
    Object::Ptr object = new Object;
    object->set("error", message);
    return {status, to_json(object)};
}

Var parse_json(const std::string& text) {
    Poco::JSON::Parser parser;
    parser.setDepth(64);  // a bound for the parser's recursion on hostile nesting
    return parser.parse(text);
}

// An event of the webhook or the feed, after its checks.
struct Event {
    std::int64_t seq = 0;
    std::string kind;
    std::string code;  // task.code, else taskCode
    Object::Ptr task;  // the snapshot; may be null
};

// The event in `value`, or the reason it is not one.
std::optional<Event> event_from(const Var& value, std::string& problem) {
    if (value.type() != typeid(Object::Ptr)) {
        problem = "the event must be a JSON object";
        return std::nullopt;
    }
    const Object::Ptr object = value.extract<Object::Ptr>();
    Event event;
    const Var seq = object->get("seq");
    try {
        if (seq.isInteger() && !seq.isBoolean())
            event.seq = seq.convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        event.seq = 0;  // beyond 64 bits
    }
    if (event.seq <= 0) {
        problem = "seq must be a positive whole number";
        return std::nullopt;
    }
    const Var kind = object->get("kind");
    if (!kind.isString() || kind.convert<std::string>().empty()) {
        problem = "kind must be a non-empty string";
        return std::nullopt;
    }
    event.kind = kind.convert<std::string>();
    if (object->has("task") && !object->isNull("task")) {
        if (!object->isObject("task")) {
            problem = "task must be a JSON object";
            return std::nullopt;
        }
        event.task = object->getObject("task");
        const Var code = event.task->get("code");
        if (code.isString())
            event.code = code.convert<std::string>();
    }
    if (event.code.empty()) {
        const Var code = object->get("taskCode");
        if (code.isString())
            event.code = code.convert<std::string>();
    }
    return event;
}

std::string task_string(const Object::Ptr& task, const std::string& key) {
    if (!task)
        return {};
    const Var value = task->get(key);
    return value.isString() ? value.convert<std::string>() : std::string();
}

bool matches(const ClerkRule& rule, const Event& event) {
    const auto ends_with = [](const std::string& text, const std::string& suffix) {
        return text.size() >= suffix.size() &&
               text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return (rule.side.empty() || rule.side == task_string(event.task, "side")) &&
           (rule.code_suffix.empty() || ends_with(event.code, rule.code_suffix)) &&
           (rule.issuer.empty() || rule.issuer == task_string(event.task, "issuer"));
}

std::string step_json(const ReportStep& step) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (step.status)
        object->set("status", *step.status);
    if (step.progress)
        object->set("progress", *step.progress);
    if (step.note)
        object->set("note", *step.note);
    if (step.completion_date)
        object->set("completionDate", *step.completion_date);
    return to_json(object);
}

std::string describe_step(const ReportStep& step) {
    std::string text = step.status ? "status " + *step.status : std::string("report");
    if (step.progress)
        text += ", progress " + std::to_string(*step.progress);
    return text;
}

}  // namespace

std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body) {
    const std::string message = timestamp + "." + body;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
              &size))
        throw std::runtime_error("HMAC-SHA256 failed");
    return "sha256=" + hex(digest, size);
}

class Simulator::Impl {
  public:
    explicit Impl(SimulatorSettings settings)
        : settings_(std::move(settings)), client_(settings_.connector_url, settings_.token) {
        if (settings_.webhook_secret.empty())
            throw std::invalid_argument("the webhook secret is empty");
        submit_pending_ = settings_.scenario.submit.size();
    }
    ~Impl() { stop(); }

    void start();
    void stop();
    unsigned short port() const { return port_; }
    std::string base_url() const {
        const std::string host = settings_.host.find(':') != std::string::npos
                                     ? "[" + settings_.host + "]"
                                     : settings_.host;
        return "http://" + host + ":" + std::to_string(port_);
    }
    std::string state_json() const;

  private:
    // A task's clerk steps; the next one is sent once the previous one was accepted.
    struct ClerkJob {
        std::string code;
        const ClerkRule* rule = nullptr;
        std::size_t next = 0;
    };
    enum class Outcome { accepted, failed, stopped };

    void handle(HTTPServerRequest& request, HTTPServerResponse& response);
    Reply webhook(HTTPServerRequest& request, const std::string& body);
    Reply availability(const std::string& body);
    std::optional<std::string> signature_problem(const HTTPServerRequest& request,
                                                 const std::string& body) const;
    Reply receive(Event event);
    std::optional<std::string> fetch_missing(std::int64_t after, std::int64_t before,
                                             std::vector<Event>& missing) const;
    void apply_locked(Event event, bool from_feed);
    void log_locked(const std::string& line) const;
    void send(HTTPServerResponse& response, const Reply& reply, bool keep_alive = true);
    void refuse_too_large(HTTPServerRequest& request, HTTPServerResponse& response);

    void work();
    void submit_all();
    Outcome run_step(const ClerkJob& job, std::string& error);
    bool wait_backoff(int attempt);

    const SimulatorSettings settings_;
    const ConnectorClient client_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    unsigned short port_ = 0;
    std::thread worker_;

    mutable std::mutex mutex_;  // guards everything below
    std::condition_variable wake_;
    bool stopping_ = false;
    bool available_ = true;
    std::int64_t highest_seq_ = 0;
    std::uint64_t applied_ = 0, duplicates_ = 0, bad_signatures_ = 0, out_of_order_ = 0,
                  from_feed_ = 0, invalid_events_ = 0, refused_while_down_ = 0, reports_sent_ = 0;
    std::vector<std::int64_t> applied_seqs_;
    std::map<std::string, std::uint64_t> kinds_;
    std::map<std::string, Object::Ptr> tasks_;
    std::vector<std::string> report_errors_, feed_errors_;
    std::vector<Object::Ptr> submitted_;
    std::size_t submit_pending_ = 0;
    std::set<std::string> clerked_codes_;  // tasks whose steps were queued, never twice
    std::deque<ClerkJob> jobs_;
    std::size_t pending_steps_ = 0;
};

void Simulator::Impl::start() {
    if (server_)
        return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    Poco::Net::ServerSocket socket;
    try {
        socket.bind(Poco::Net::SocketAddress(settings_.host, settings_.port), true);
        socket.listen(64);
    } catch (const Poco::Exception& error) {
        // Poco's what() is only the exception's name ("Net Exception").
        throw std::runtime_error("cannot listen on " + settings_.host + ":" +
                                 std::to_string(settings_.port) + ": " + error.displayText());
    }
    port_ = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(30, 0));
    params->setSoftwareVersion("idesk-sim");
    // A pool of our own, so that stop() waits for exactly these threads.
    pool_ = std::make_unique<Poco::ThreadPool>(2, 9);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new sample_support::FunctionHandlerFactory(
            [this](HTTPServerRequest& request, HTTPServerResponse& response) {
                handle(request, response);
            }),
        *pool_, socket, params);
    server_->start();
    worker_ = std::thread([this] { work(); });
}

void Simulator::Impl::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (server_) {
        server_->stopAll(true);
        pool_->joinAll();
        server_.reset();
    }
    pool_.reset();
    if (worker_.joinable())
        worker_.join();
}

void Simulator::Impl::log_locked(const std::string& line) const {
    if (settings_.log)
        *settings_.log << settings_.name << ": " << line << std::endl;
}

// ---------------------------------------------------------------------------------------
// HTTP

void Simulator::Impl::send(HTTPServerResponse& response, const Reply& reply, bool keep_alive) {
    response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType(kJsonType);
    if (!keep_alive)
        response.setKeepAlive(false);
    response.setContentLength64(static_cast<Poco::Int64>(reply.body.size()));
    std::ostream& out = response.send();
    out.write(reply.body.data(), static_cast<std::streamsize>(reply.body.size()));
    out.flush();
}

void Simulator::Impl::refuse_too_large(HTTPServerRequest& request, HTTPServerResponse& response) {
    send(
        response,
        error_reply(413, "the body is over " + std::to_string(settings_.max_body_bytes) + " bytes"),
        false);
    sample_support::close_after_refusal(request);
}

void Simulator::Impl::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
    try {
        std::string path;
        try {
            path = Poco::URI(request.getURI()).getPath();
        } catch (const Poco::Exception&) {
            return send(response, error_reply(400, "the request target is not a URI"));
        }
        const std::string& method = request.getMethod();
        const auto only = [&](const std::string& allowed) {
            if (method == allowed)
                return true;
            response.set("Allow", allowed);
            send(response, error_reply(405, method + " is not allowed on " + path));
            return false;
        };
        if (path == "/healthz") {
            if (only("GET"))
                send(response, {200, R"({"status":"ok"})"});
            return;
        }
        if (path == "/state") {
            if (only("GET"))
                send(response, {200, state_json()});
            return;
        }
        const bool is_webhook = path == "/webhook";
        if (!is_webhook && path != "/admin/availability")
            return send(response, error_reply(404, "no such path: " + shortened(path, 200)));
        if (!only("POST"))
            return;
        std::string body;
        if (!sample_support::read_body(
                request, is_webhook ? settings_.max_body_bytes : kAdminBodyLimit, body))
            return refuse_too_large(request, response);
        send(response, is_webhook ? webhook(request, body) : availability(body));
    } catch (const std::exception& error) {
        // Whatever went wrong, the connection is answered and the simulator keeps going.
        const auto* poco = dynamic_cast<const Poco::Exception*>(&error);
        try {
            send(response,
                 error_reply(500, "idesk-sim: " + (poco ? poco->displayText() : error.what())),
                 false);
        } catch (const std::exception&) {
            // The response was already sent or the peer is gone.
        }
    }
}

Reply Simulator::Impl::availability(const std::string& body) {
    Var parsed;
    try {
        parsed = parse_json(body);
    } catch (const Poco::Exception& error) {
        return error_reply(400, "not valid JSON: " + error.displayText());
    }
    if (parsed.type() != typeid(Object::Ptr))
        return error_reply(400, "expected {\"up\": true|false}");
    const Object::Ptr object = parsed.extract<Object::Ptr>();
    const Var up = object->get("up");
    if (object->size() != 1 || !up.isBoolean())
        return error_reply(400, "expected {\"up\": true|false}");
    std::lock_guard lock(mutex_);
    available_ = up.convert<bool>();
    Object::Ptr answer = new Object;
    answer->set("up", available_);
    return {200, to_json(answer)};
}

std::optional<std::string> Simulator::Impl::signature_problem(const HTTPServerRequest& request,
                                                              const std::string& body) const {
    const std::string timestamp = request.get("X-Connector-Timestamp", "");
    const std::string signature = request.get("X-Connector-Signature", "");
    if (timestamp.empty())
        return "X-Connector-Timestamp is missing";
    if (signature.empty())
        return "X-Connector-Signature is missing";
    if (timestamp.size() > 18 || !is_digits(timestamp))
        return "X-Connector-Timestamp is not Unix seconds";
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const std::int64_t skew = std::stoll(timestamp) - now;
    if (skew > settings_.timestamp_tolerance.count() ||
        -skew > settings_.timestamp_tolerance.count())
        return "X-Connector-Timestamp is " + std::to_string(skew) + " s from now (at most ±" +
               std::to_string(settings_.timestamp_tolerance.count()) + " s)";
    const std::string expected = webhook_signature(settings_.webhook_secret, timestamp, body);
    const std::string given = lower(signature);
    if (given.size() != expected.size() ||
        CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
        return "X-Connector-Signature does not match (sha256=<hex HMAC-SHA256(secret, "
               "timestamp + \".\" + body)>)";
    return std::nullopt;
}

Reply Simulator::Impl::webhook(HTTPServerRequest& request, const std::string& body) {
    {
        std::lock_guard lock(mutex_);
        if (!available_) {
            ++refused_while_down_;
            return error_reply(503, "iDesk is down (POST /admin/availability)");
        }
    }
    if (const auto problem = signature_problem(request, body)) {
        std::lock_guard lock(mutex_);
        ++bad_signatures_;
        return error_reply(401, *problem);
    }
    const auto invalid = [this](const std::string& problem) {
        std::lock_guard lock(mutex_);
        ++invalid_events_;
        return error_reply(400, problem);
    };
    Var parsed;
    try {
        parsed = parse_json(body);
    } catch (const Poco::Exception& error) {
        return invalid("not valid JSON: " + error.displayText());
    }
    std::string problem;
    auto event = event_from(parsed, problem);
    if (!event)
        return invalid(problem);
    const std::string header_seq = request.get("X-Connector-Event-Seq", "");
    if (header_seq != std::to_string(event->seq))
        return invalid("X-Connector-Event-Seq '" + shortened(header_seq, 30) +
                       "' is not the body's seq " + std::to_string(event->seq));
    return receive(std::move(*event));
}

Reply Simulator::Impl::receive(Event event) {
    const std::int64_t seq = event.seq;
    const auto answer = [seq](const char* result) {
        Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        object->set("seq", seq);
        object->set("result", result);
        return Reply{200, to_json(object)};
    };
    std::int64_t highest = 0;
    {
        std::lock_guard lock(mutex_);
        if (seq <= highest_seq_) {
            ++duplicates_;
            return answer("duplicate");
        }
        if (seq == highest_seq_ + 1) {
            apply_locked(std::move(event), false);
            return answer("applied");
        }
        ++out_of_order_;
        highest = highest_seq_;
    }
    // A gap: the connector abandoned the events in between. They are still in the feed, and
    // they are applied first so that the order holds. No lock is held over the network:
    // a concurrent delivery may fill the gap meanwhile, which the checks below absorb.
    std::vector<Event> missing;
    if (const auto problem = fetch_missing(highest, seq, missing)) {
        std::lock_guard lock(mutex_);
        const std::string line = "event " + std::to_string(seq) + ": the feed after " +
                                 std::to_string(highest) + ": " + *problem;
        if (feed_errors_.size() < kKeptFeedErrors)
            feed_errors_.push_back(line);
        log_locked(line);
        // Not applied: the connector delivers it again later, when the feed may answer.
        return error_reply(503, "cannot fetch the missing events from the feed: " + *problem);
    }
    std::lock_guard lock(mutex_);
    for (Event& earlier : missing) {
        if (earlier.seq > highest_seq_ && earlier.seq < seq)
            apply_locked(std::move(earlier), true);
    }
    if (seq <= highest_seq_) {
        ++duplicates_;
        return answer("duplicate");
    }
    apply_locked(std::move(event), false);
    return answer("applied");
}

std::optional<std::string> Simulator::Impl::fetch_missing(std::int64_t after, std::int64_t before,
                                                          std::vector<Event>& missing) const {
    // The feed's sequence may itself have holes, so it is read up to `before`, not counted.
    std::int64_t cursor = after;
    while (cursor < before - 1) {
        const std::string path = "/api/v1/events?after=" + std::to_string(cursor) +
                                 "&limit=" + std::to_string(kFeedPageLimit);
        const Answer answer = client_.get(path);
        if (answer.status != 200)
            return "GET " + path + ": " + answer.describe();
        Var parsed;
        try {
            parsed = parse_json(answer.body);
        } catch (const Poco::Exception& error) {
            return "GET " + path + ": not valid JSON: " + error.displayText();
        }
        if (parsed.type() != typeid(Object::Ptr) ||
            !parsed.extract<Object::Ptr>()->isArray("events"))
            return "GET " + path + ": no \"events\" array";
        const Array::Ptr events = parsed.extract<Object::Ptr>()->getArray("events");
        if (events->size() == 0)
            break;
        std::int64_t page_highest = cursor;
        for (unsigned i = 0; i < events->size(); ++i) {
            std::string problem;
            auto event = event_from(events->get(i), problem);
            if (!event)
                return "GET " + path + ": events[" + std::to_string(i) + "]: " + problem;
            if (event->seq <= cursor)
                return "GET " + path + ": events[" + std::to_string(i) + "] has seq " +
                       std::to_string(event->seq) + ", not above " + std::to_string(cursor);
            page_highest = std::max(page_highest, event->seq);
            if (event->seq < before)
                missing.push_back(std::move(*event));
        }
        cursor = page_highest;
    }
    std::sort(missing.begin(), missing.end(),
              [](const Event& a, const Event& b) { return a.seq < b.seq; });
    return std::nullopt;
}

void Simulator::Impl::apply_locked(Event event, bool from_feed) {
    highest_seq_ = event.seq;
    applied_seqs_.push_back(event.seq);
    ++applied_;
    if (from_feed)
        ++from_feed_;
    ++kinds_[event.kind];
    if (event.task && !event.code.empty())
        tasks_[event.code] = event.task;
    if (event.kind != "task.assigned" || event.code.empty())
        return;
    const auto& rules = settings_.scenario.clerks;
    const auto rule = std::find_if(rules.begin(), rules.end(),
                                   [&](const ClerkRule& r) { return matches(r, event); });
    // A task's steps are queued once, whatever is delivered again or assigned anew.
    if (rule == rules.end() || !clerked_codes_.insert(event.code).second)
        return;
    jobs_.push_back({event.code, &*rule, 0});
    pending_steps_ += rule->steps.size();
    wake_.notify_all();
}

std::string Simulator::Impl::state_json() const {
    std::lock_guard lock(mutex_);
    Object::Ptr state = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    state->set("name", settings_.name);
    state->set("available", available_);
    state->set("highestSeq", highest_seq_);
    state->set("applied", applied_);
    state->set("duplicates", duplicates_);
    state->set("badSignatures", bad_signatures_);
    state->set("invalidEvents", invalid_events_);
    state->set("refusedWhileDown", refused_while_down_);
    state->set("outOfOrder", out_of_order_);
    state->set("fromFeed", from_feed_);
    Array::Ptr seqs = new Array;
    for (const std::int64_t seq : applied_seqs_)
        seqs->add(seq);
    state->set("appliedSeqs", seqs);
    Object::Ptr kinds = new Object;
    for (const auto& [kind, count] : kinds_)
        kinds->set(kind, count);
    state->set("kinds", kinds);
    Object::Ptr tasks = new Object;
    for (const auto& [code, task] : tasks_)
        tasks->set(code, task);
    state->set("tasks", tasks);
    state->set("reportsSent", reports_sent_);
    Array::Ptr report_errors = new Array;
    for (const auto& error : report_errors_)
        report_errors->add(error);
    state->set("reportErrors", report_errors);
    Array::Ptr feed_errors = new Array;
    for (const auto& error : feed_errors_)
        feed_errors->add(error);
    state->set("feedErrors", feed_errors);
    Array::Ptr submitted = new Array;
    for (const auto& record : submitted_)
        submitted->add(record);
    state->set("submitted", submitted);
    state->set("submitPending", static_cast<Poco::UInt64>(submit_pending_));
    state->set("clerkQueue", static_cast<Poco::UInt64>(pending_steps_));
    return to_json(state);
}

// ---------------------------------------------------------------------------------------
// The worker: submissions first, then the clerks' steps as their tasks arrive.

bool Simulator::Impl::wait_backoff(int attempt) {
    const std::chrono::milliseconds delay = std::min(
        settings_.retry_cap, settings_.retry_base * (std::int64_t{1} << std::min(attempt, 16)));
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, delay, [this] { return stopping_; });
}

void Simulator::Impl::work() {
    submit_all();
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_)
            return;
        ClerkJob job = jobs_.front();
        jobs_.pop_front();
        lock.unlock();
        std::string error;
        const Outcome outcome = run_step(job, error);
        lock.lock();
        const std::size_t steps = job.rule->steps.size();
        if (outcome == Outcome::stopped)
            return;
        if (outcome == Outcome::failed) {
            report_errors_.push_back(error);
            log_locked(error);
            pending_steps_ -= steps - job.next;
            continue;
        }
        ++reports_sent_;
        --pending_steps_;
        // To the back: one task's retries do not hold up the others' next steps for long.
        if (++job.next < steps)
            jobs_.push_back(job);
    }
}

Simulator::Impl::Outcome Simulator::Impl::run_step(const ClerkJob& job, std::string& error) {
    const ReportStep& step = job.rule->steps[job.next];
    const std::string path = "/api/v1/tasks/" + percent_encode(job.code) + "/reports";
    const std::string body = step_json(step);
    std::string key = settings_.name + ":" + job.code + ":" + std::to_string(job.next);
    if (key.size() > 200 || !is_printable_ascii(key)) {
        // The API takes 1-200 printable ASCII characters; a code with "Đ" or a long one
        // is replaced by its SHA-256, which keeps the key stable across restarts.
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256(reinterpret_cast<const unsigned char*>(job.code.data()), job.code.size(), digest);
        key = settings_.name + ":" + hex(digest, sizeof digest) + ":" + std::to_string(job.next);
    }
    const std::string what =
        job.code + " step " + std::to_string(job.next + 1) + " (" + describe_step(step) + ")";
    const auto deadline = std::chrono::steady_clock::now() + settings_.submit_timeout;
    for (int attempt = 0;; ++attempt) {
        const Answer answer = client_.post(path, body, key);
        if (answer.status >= 200 && answer.status < 300)
            return Outcome::accepted;
        // 429 asks to come back later; a 409 (the task's state refuses the step) is the
        // clerk's mistake to record, not to repeat.
        const bool not_yet = answer.status == 429;
        if (!answer.retryable() && !not_yet) {
            error = what + ": " + answer.describe();
            return Outcome::failed;
        }
        if (not_yet && std::chrono::steady_clock::now() >= deadline) {
            error = what + ": still refused after " +
                    std::to_string(settings_.submit_timeout.count()) + " s: " + answer.describe();
            return Outcome::failed;
        }
        if (!wait_backoff(attempt))
            return Outcome::stopped;
    }
}

void Simulator::Impl::submit_all() {
    for (const Submission& submission : settings_.scenario.submit) {
        const auto deadline = std::chrono::steady_clock::now() + settings_.submit_timeout;
        Answer answer;
        std::string error;
        for (int attempt = 0;; ++attempt) {
            answer = client_.post(submission.path, submission.body, submission.idempotency_key);
            if (!answer.retryable() && answer.status != 429)
                break;
            if (std::chrono::steady_clock::now() >= deadline) {
                error = "gave up after " + std::to_string(settings_.submit_timeout.count()) + " s";
                break;
            }
            if (!wait_backoff(attempt))
                return;
        }
        Object::Ptr record = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        record->set("path", submission.path);
        if (!submission.idempotency_key.empty())
            record->set("idempotencyKey", submission.idempotency_key);
        record->set("status", answer.status);
        Var body = answer.body;
        if (answer.status != 0) {
            try {
                body = parse_json(answer.body);
            } catch (const Poco::Exception&) {
                // Kept as text: the answer was not JSON.
            }
        }
        record->set("body", body);
        if (!error.empty())
            record->set("error", error);
        std::lock_guard lock(mutex_);
        submitted_.push_back(record);
        --submit_pending_;
        log_locked("POST " + submission.path + ": " + (error.empty() ? "" : error + ", last: ") +
                   answer.describe());
    }
}

// ---------------------------------------------------------------------------------------

Simulator::Simulator(SimulatorSettings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}
Simulator::~Simulator() = default;
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

}  // namespace idesk_sim
