// The iDesk simulator: plays iDesk's backend against the connector's API (docs/api.md). It
// receives webhooks (checking signature, timestamp and sequence, filling gaps from the
// change feed), submits the assignments of a scenario and plays clerks who report on the
// tasks they receive. samples/idesk-sim/README.md describes the options, the scenario
// format and the admin endpoints.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace idesk_sim {

// One clerk action: the body of POST /api/v1/tasks/{code}/reports.
struct ReportStep {
    std::optional<std::string> status;  // two digits, e.g. "05"
    std::optional<int> progress;        // 0..100
    std::optional<std::string> note;
    std::optional<std::string> completion_date;  // yyyy-MM-dd
};

// Which `task.assigned` events a clerk acts on; an empty field matches anything.
struct ClerkRule {
    std::string side;  // "received" or "issued"
    std::string code_suffix;
    std::string issuer;  // the task's issuer agency code
    std::vector<ReportStep> steps;
};

// One call made at start, e.g. POST /api/v1/tasks.
struct Submission {
    std::string path;             // under the connector's base URL, starting with '/'
    std::string idempotency_key;  // empty = no Idempotency-Key header
    std::string body;             // JSON text
};

struct Scenario {
    std::vector<Submission> submit;
    std::vector<ClerkRule> clerks;  // the first rule that matches wins
};

// Parses a scenario (README.md). Throws std::runtime_error starting with `source` and the
// JSON path of the problem, e.g. "s.json: clerks[1].steps[0].progress: must be 0..100".
Scenario parse_scenario(const std::string& json, const std::string& source);
Scenario load_scenario(const std::string& path);

struct SimulatorSettings {
    std::string name = "idesk-sim";  // prefix of the clerks' Idempotency-Keys
    std::string host = "127.0.0.1";
    unsigned short port = 0;     // 0 = any free port
    std::string connector_url;   // http://host:port[/base]
    std::string token;           // Authorization: Bearer
    std::string webhook_secret;  // HMAC key of X-Connector-Signature
    Scenario scenario;
    // How long a submission is retried, and a report step answered 429.
    std::chrono::seconds submit_timeout{60};
    std::chrono::seconds timestamp_tolerance{300};
    std::size_t max_body_bytes = 1024 * 1024;
    std::chrono::milliseconds retry_base{250};
    std::chrono::milliseconds retry_cap{5000};
    std::ostream* log = nullptr;  // one line per submission answer and per problem
};

class Simulator {
  public:
    // Throws std::invalid_argument when a setting is unusable (e.g. the connector URL).
    explicit Simulator(SimulatorSettings settings);
    ~Simulator();  // stops
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    // Binds and serves, then starts the worker that submits and plays the clerks.
    void start();
    void stop();
    unsigned short port() const;
    std::string base_url() const;    // e.g. http://127.0.0.1:41234
    std::string state_json() const;  // the document GET /state returns

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// "sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>", as the connector signs.
std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body);

// `idesk-sim …`; `args` excludes the program name. Serves until SIGINT or SIGTERM.
// Returns 0 after a clean stop, 1 when the server cannot start, 2 for bad arguments,
// files or scenario.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace idesk_sim
