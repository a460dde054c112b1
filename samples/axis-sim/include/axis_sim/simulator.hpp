// The axis simulator: a protocol-faithful stand-in for the national document interchange
// axis (VDXP, protocol.md §5) over real HTTP, with XroadVnpt authentication, per-recipient
// knobsticks, an optional SQLite copy of its state, fault injection and admin endpoints.
// The client in adapters/vdxp and the end-to-end tests run against it; samples/axis-sim/
// README.md describes the wire behaviour, the error codes and the config file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace axis_sim {

// Misbehaviour injected into API operations (never into /admin). Rates are 0..1 and are
// drawn per request, in this order: latency, drop_before, http_500, send_refusal (the
// work), drop_after, malformed_json.
struct FaultSettings {
    double http_500_rate = 0, drop_before_rate = 0, drop_after_rate = 0, duplicate_rate = 0,
           malformed_json_rate = 0, send_refusal_rate = 0;
    std::chrono::milliseconds latency{0};
    bool out_of_order_statuses = false;   // status lists newest first
    std::vector<std::string> operations;  // operation names faults apply to; empty = all
    std::uint64_t seed = 0;               // 0 = random
};

struct AgencyConfig {
    std::string id, pid, code, name, mail, mobile, fax, old_code, code_qd20;
};

struct SystemConfig {
    std::string systemid, secret;
    std::vector<AgencyConfig> agencies;
};

struct SimulatorConfig {
    std::string host = "127.0.0.1";
    unsigned short port = 0;  // 0 = any free port
    std::string base_path;    // e.g. "/XrdAdapter/adapter"; operations at base_path + "/<op>"
    std::vector<SystemConfig> systems;
    std::string database;        // SQLite file; empty = memory only
    std::string admin_token;     // empty = admin endpoints answer 404
    bool reoffer_failed = true;  // are knobsticks acked `fail` offered again
    // Lists without `from`, as some axis versions answer (protocol.md): the receiver then
    // has only the package's own word for the sender.
    bool lists_without_sender = false;
    std::size_t max_body_bytes = 64 * 1024 * 1024 + 2;
    // How far the Date header of each answer is from this host's clock (seconds, either
    // way): a server whose clock is off, for the connector's clock-skew check.
    long long clock_offset_s = 0;
    std::string tls_certificate, tls_private_key;  // both set = serve HTTPS
    FaultSettings faults;
};

// Reads a JSON config file (README.md). Relative paths resolve against the file's folder;
// secrets come from files or environment variables only. Throws std::runtime_error naming
// the file, the key path and the problem.
SimulatorConfig load_config(const std::string& path);

class Simulator {
  public:
    explicit Simulator(SimulatorConfig config);
    ~Simulator();  // stops
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    // Opens the database (if any), binds and serves on a thread pool. Throws on failure.
    void start();
    void stop();
    unsigned short port() const;
    std::string base_url() const;    // e.g. http://127.0.0.1:41234/XrdAdapter/adapter
    std::string state_json() const;  // the document GET /admin/state returns
    void set_faults(const FaultSettings& faults);
    FaultSettings faults() const;
    void reset();  // what POST /admin/reset does

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// `axis-sim …`; `args` excludes the program name.
// Serves until SIGINT or SIGTERM. Returns 0 after a clean stop, 1 when the server
// cannot start, 2 for bad arguments or a bad config file.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace axis_sim
