// The composition root: builds the store, the axis client and the exchange from the
// settings, for `connector run` and the task commands.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "connector/checkpoint.hpp"
#include "connector/exchange.hpp"
#include "connector/logging.hpp"
#include "connector/metrics.hpp"
#include "connector/secret.hpp"
#include "connector/store.hpp"
#include "store/soci_store.hpp"
#include "vdxp/http_axis_client.hpp"

namespace daemon_commands {

struct Context {
    config::Settings settings;
    connector::SecretFileRules secret_rules;
    std::vector<std::string> warnings;  // loose secret files accepted, for the log
    // Also the exchange's: the daemon reloads its CRLs and reports stale ones.
    std::shared_ptr<edxml::Verifier> verifier;
    std::unique_ptr<connector::ChainCheckpointer> checkpointer;  // audit.checkpoint_file
    // signing.*: the packages', the checkpoints' and the evidence bundles' key (may be null).
    std::shared_ptr<const edxml::SigningCredentials> signing;
    std::unique_ptr<connector::Store> store;
    std::unique_ptr<vdxp::HttpAxisClient> axis;
    // What GET /metrics shows of this process; the exchange calls the axis through
    // timed_axis, which times each call into it.
    connector::Metrics metrics;
    std::unique_ptr<connector::TimedAxisTransport> timed_axis;
    connector::SystemClock clock;
    std::unique_ptr<connector::Exchange> exchange;
    // worker.id (else host:pid) and worker.pass_lease_ms, for the webhook dispatcher too.
    std::string worker_id;
    std::chrono::milliseconds pass_lease{};
};

// The pieces of a context, for the commands that check them one by one (doctor): the axis
// client's settings (reads the secret), our signing credentials (none without
// signing.key_file), the trust options, and the certificate files whose expiry is watched
// (ours, its chain, each anchor of verify.trust). Each throws ConfigError naming the key.
vdxp::ClientSettings axis_client_settings(const config::Settings& settings,
                                          const connector::SecretFileRules& rules);
std::shared_ptr<const edxml::SigningCredentials> signing_credentials(
    const config::Settings& settings, const connector::SecretFileRules& rules);
edxml::TrustOptions trust_options(const config::Settings& settings);
connector::logging::Output log_output(const config::Settings& settings);
std::vector<connector::CertificateFile> certificate_files(const config::Settings& settings);

// Warnings start this many days before a certificate's end; under the second, /readyz
// reports it too and the log says it as an error.
inline constexpr long kCertificateWarnDays = 60;
inline constexpr long kCertificateUrgentDays = 14;

// Throws config::ConfigError or connector::Error (ConfigError, TransientError…) naming
// what is wrong. `migrations`: what to do with a database at another schema version
// (commands that write set up an empty one; only `migrate` and `run --migrate` upgrade).
std::unique_ptr<Context> open_context(const std::string& config_path, store::Migrations migrations);

// The whole of a file the configuration names (a unit table, a JSON body); throws
// ConfigError "cannot read PATH".
std::string read_text_file(const std::string& path);

// Why `name` cannot name an API client or a user (1..64 of a-z 0-9 - _ .), or empty.
std::string account_name_problem(const std::string& name);

// "--config FILE" from the arguments (removed from them); CONNECTOR_CONFIG otherwise.
std::string config_path_from(std::vector<std::string>& args);

}  // namespace daemon_commands
