// `connector run`, `connector check-config`, `connector config defaults`, and the task
// commands that act locally while the daemon (or the next `run`) does the sending.
#include "run_commands.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "connector/exchange.hpp"
#include "connector/plan_import.hpp"
#include "connector/secret.hpp"
#include "context.hpp"
#include "doctor_command.hpp"
#include "evidence/bundle.hpp"
#include "http_api/api_server.hpp"
#include "idesk/webhook_dispatcher.hpp"
#include "reload.hpp"
#include "store/soci_store.hpp"
#include "systemd_notify.hpp"

namespace daemon_commands {
namespace {

// Who asks for a package sent from the command line: "cli:<login>".
std::string cli_requester() {
    const passwd* user = getpwuid(geteuid());
    return std::string("cli:") +
           (user && user->pw_name ? user->pw_name : std::to_string(geteuid()));
}

namespace logging = connector::logging;

// Logs a pass that did something (its items were logged as they were done); true then.
bool log_pass(const char* pass, const connector::StepReport& report) {
    const bool did = report.done + report.retried + report.failed + report.duplicates > 0;
    if (did) {
        logging::sync.info("PASS_DONE", {{"pass", pass},
                                         {"done", report.done},
                                         {"retried", report.retried},
                                         {"failed", report.failed},
                                         {"duplicates", report.duplicates}});
    }
    return did;
}

long long positive(const config::Settings& settings, const std::string& key) {
    const long long value = settings.integer(key);
    if (value <= 0)
        throw connector::ConfigError(key + ": must be above 0, not " + std::to_string(value));
    return value;
}

long long not_negative(const config::Settings& settings, const std::string& key) {
    const long long value = settings.integer(key);
    if (value < 0)
        throw connector::ConfigError(key + ": must not be negative, not " + std::to_string(value));
    return value;
}

// Why the loop cannot use the store just now (empty: it can), for /readyz: set by the
// loop, read by the API's threads.
class StoreTrouble {
  public:
    void set(std::string problem) {
        std::lock_guard lock(mutex_);
        problem_ = std::move(problem);
    }
    // The problem there was (empty: none).
    std::string clear() {
        std::lock_guard lock(mutex_);
        return std::exchange(problem_, {});
    }
    std::string get() const {
        std::lock_guard lock(mutex_);
        return problem_;
    }

  private:
    mutable std::mutex mutex_;
    std::string problem_;
};

// How long to wait before trying the store again after `attempt` failures in a row.
std::chrono::milliseconds store_retry_delay(int attempt, std::mt19937_64& random) {
    connector::RetryPolicy policy;
    policy.base = std::chrono::milliseconds(500);
    policy.cap = std::chrono::milliseconds(30'000);
    return policy.delay(attempt, random);
}

// The API server's store connection and exchange: a context of its own (the daemon's
// is used by the loop's thread only).
class ContextBackend final : public http_api::Backend {
  public:
    explicit ContextBackend(std::unique_ptr<Context> context) : context_(std::move(context)) {}
    connector::Store& store() override { return *context_->store; }
    connector::Exchange* exchange() override { return context_->exchange.get(); }

  private:
    std::unique_ptr<Context> context_;
};

std::unique_ptr<http_api::ApiServer> start_api(Context& context, const std::string& config_path,
                                               std::shared_ptr<http_api::ChangeSignal> changes,
                                               const StoreTrouble& store_trouble) {
    if (!context.settings.has("http.listen"))
        return nullptr;
    const std::string listen = context.settings.text("http.listen");
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos ||
        listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
        colon + 1 == listen.size() || listen.size() - colon > 6)
        throw connector::ConfigError("http.listen: '" + listen + "' is not host:port");
    http_api::ServerSettings server;
    server.host = listen.substr(0, colon);
    server.port = static_cast<unsigned short>(std::stoul(listen.substr(colon + 1)));
    server.tls_certificate = context.settings.text("http.tls_certificate");
    server.tls_private_key = context.settings.text("http.tls_private_key");
    if (!server.tls_private_key.empty())
        connector::check_secret_file("http.tls_private_key", server.tls_private_key,
                                     context.secret_rules);
    server.max_body_bytes =
        static_cast<std::size_t>(positive(context.settings, "http.max_body_bytes"));
    server.session_idle =
        std::chrono::minutes(positive(context.settings, "http.session_idle_minutes"));
    server.session_lifetime =
        std::chrono::minutes(60 * positive(context.settings, "http.session_lifetime_hours"));
    server.embed_origin = context.settings.text("http.embed_origin");
    if (!server.embed_origin.empty() &&
        ((server.embed_origin.rfind("https://", 0) != 0 &&
          server.embed_origin.rfind("http://", 0) != 0) ||
         server.embed_origin.find_first_of(" ;,'\"") != std::string::npos))
        throw connector::ConfigError("http.embed_origin: '" + server.embed_origin +
                                     "' is not an origin such as https://idesk.example.vn");
    server.checkpoint_file = context.settings.text("audit.checkpoint_file");
    server.checkpoint_certificate = context.settings.text("signing.certificate_file");
    if (context.signing) {
        server.make_evidence_bundle = [signing = context.signing, settings = context.settings](
                                          connector::Store& store,
                                          const std::vector<std::int64_t>& sequences,
                                          const std::string& exported_by) {
            // A checkpointer of its own: it reads where the file stands on its first use.
            std::unique_ptr<connector::ChainCheckpointer> checkpointer;
            if (settings.has("audit.checkpoint_file"))
                checkpointer = std::make_unique<connector::ChainCheckpointer>(
                    signing, settings.text("audit.checkpoint_file"), 1, std::chrono::seconds(1));
            evidence::BundleSource source{store,
                                          *signing,
                                          settings.text("signing.certificate_file"),
                                          settings.text("signing.chain_file"),
                                          checkpointer.get(),
                                          exported_by,
                                          std::chrono::system_clock::now()};
            return evidence::make_bundle(source, sequences);
        };
    }
    server.metrics_text = [&context](connector::Store& store) {
        const auto now = std::chrono::system_clock::now();
        std::vector<connector::MetricFamily> families = context.metrics.families();
        for (connector::MetricFamily& family : connector::store_metric_families(store, now))
            families.push_back(std::move(family));
        families.push_back(
            connector::certificate_expiry_family(certificate_files(context.settings)));
        if (context.verifier)
            for (connector::MetricFamily& family : connector::crl_families(*context.verifier, now))
                families.push_back(std::move(family));
        return connector::render_metrics(families);
    };
    server.diagnostics = [settings = context.settings, config_path] {
        std::vector<http_api::DiagnosticCheck> checks;
        checks.push_back({"configuration", "ok",
                          (config_path.empty() ? "defaults and environment" : config_path) +
                              std::string(", as read at start"),
                          ""});
        for (Diagnosis& found : diagnose(settings))
            checks.push_back({found.name, outcome_name(found.outcome), std::move(found.detail),
                              std::move(found.advice)});
        return checks;
    };
    if (context.settings.has("units.table")) {
        const std::string units = context.settings.text("units.table");
        server.agencies = connector::UnitDirectory::parse(read_text_file(units), units).entries();
    }
    connector::Exchange& exchange = *context.exchange;
    auto api = std::make_unique<http_api::ApiServer>(
        server,
        [config_path] {
            return std::make_unique<ContextBackend>(
                open_context(config_path, store::Migrations::refuse));
        },
        [&exchange, &store_trouble, verifier = context.verifier, settings = context.settings] {
            std::vector<std::string> problems;
            for (const connector::CertificateDue& due : connector::certificates_due(
                     certificate_files(settings), std::chrono::system_clock::now())) {
                if (due.days >= kCertificateUrgentDays)
                    break;
                problems.push_back("certificate: the " + due.role + " certificate " +
                                   (due.days < 0
                                        ? std::string("has expired")
                                        : "expires in " + std::to_string(due.days) + " days") +
                                   " (" + due.not_after + "): renew it");
            }
            // Not the database's words: /readyz needs no token, and they name hosts.
            if (!store_trouble.get().empty())
                problems.push_back(
                    "store: the daemon cannot reach it and retries by itself (the log has "
                    "the details: event=STORE_UNAVAILABLE)");
            if (exchange.circuit_open())
                problems.push_back("axis: sending paused (circuit open)");
            if (verifier) {
                for (const std::string& stale : verifier->stale_crls())
                    problems.push_back("verify: " + stale +
                                       " (signatures it covers are untrusted past "
                                       "verify.crl_grace_s)");
            }
            return problems;
        },
        std::move(changes));
    try {
        api->start();
    } catch (const std::exception& error) {
        throw connector::ConfigError("http.listen " + listen + ": " + error.what());
    }
    logging::http.info("HTTP_STARTED", {{"url", api->base_url()}});
    return api;
}

std::unique_ptr<idesk::WebhookDispatcher> start_webhooks(
    Context& context, std::shared_ptr<http_api::ChangeSignal> changes) {
    if (!context.settings.has("webhook.url"))
        return nullptr;
    idesk::WebhookSettings settings;
    settings.url = context.settings.text("webhook.url");
    settings.secret =
        connector::read_secret("webhook.secret_file", context.settings.text("webhook.secret_file"),
                               context.settings.text("webhook.secret_env"), context.secret_rules);
    settings.ca_file = context.settings.text("webhook.ca_file");
    settings.timeout = std::chrono::milliseconds(positive(context.settings, "webhook.timeout_ms"));
    settings.retry_base =
        std::chrono::milliseconds(not_negative(context.settings, "webhook.retry_base_ms"));
    settings.retry_cap =
        std::chrono::milliseconds(not_negative(context.settings, "webhook.retry_cap_ms"));
    settings.give_up_after =
        std::chrono::seconds(not_negative(context.settings, "webhook.give_up_after_s"));
    settings.lease_owner = context.worker_id;
    settings.lease = context.pass_lease;
    auto dispatcher = std::make_unique<idesk::WebhookDispatcher>(
        settings, store::open_store(context.settings.text("store.url")), std::move(changes));
    dispatcher->start();
    // Not the URL's query: it may carry a key.
    logging::http.info("WEBHOOK_STARTED", {{"url", connector::redact_url(settings.url)}});
    return dispatcher;
}

// Waits for SIGINT/SIGTERM on a thread of its own (they are blocked everywhere else), so
// the main loop can sleep on a condition variable and wake at once on a stop request.
// After a stop request the daemon has `grace` to finish the item in hand; past it, the
// process exits at once, which is safe: what was in hand is leased and picked up again.
// SIGHUP does not stop: it asks the loop to reload the configuration (`on_hangup`,
// reload.hpp).
class StopSignal {
  public:
    StopSignal(std::function<void()> on_stop, std::function<void()> on_hangup,
               std::chrono::milliseconds grace)
        : on_stop_(std::move(on_stop)), on_hangup_(std::move(on_hangup)), grace_(grace) {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGINT);
        sigaddset(&signals_, SIGTERM);
        sigaddset(&signals_, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
        waiter_ = std::thread([this] {
            int received = 0;
            while (sigwait(&signals_, &received) == 0 && received == SIGHUP) {
                std::lock_guard lock(mutex_);
                if (finished_)
                    return;
                on_hangup_();
            }
            std::unique_lock lock(mutex_);
            if (finished_)
                return;
            stopping_ = true;
            on_stop_();
            changed_.notify_all();
            if (!changed_.wait_for(lock, grace_, [this] { return finished_; })) {
                logging::daemon.error("GRACE_EXCEEDED", {{"grace_ms", grace_.count()}});
                std::_Exit(3);
            }
        });
    }
    ~StopSignal() {
        {
            std::lock_guard lock(mutex_);
            finished_ = true;
        }
        changed_.notify_all();
        if (!stopping())
            pthread_kill(waiter_.native_handle(), SIGTERM);
        waiter_.join();
    }
    bool stopping() {
        std::lock_guard lock(mutex_);
        return stopping_;
    }
    // True when a stop was requested during the wait.
    bool wait_for(std::chrono::milliseconds interval) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, interval, [this] { return stopping_; });
    }

  private:
    std::function<void()> on_stop_;
    std::function<void()> on_hangup_;
    std::chrono::milliseconds grace_;
    sigset_t signals_{};
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    bool finished_ = false;
    std::thread waiter_;
};

void report_stale_crls(const Context& context) {
    if (!context.verifier)
        return;
    for (const std::string& stale : context.verifier->stale_crls())
        logging::edxml.warning("CRL_STALE", {{"detail", stale}});
}

// A CRL that cannot be read leaves the ones loaded before in force (and says so).
void reload_crls(Context& context) {
    try {
        context.verifier->reload_crls();
        logging::edxml.info("CRL_RELOADED");
    } catch (const std::exception& error) {
        logging::edxml.error("CRL_RELOAD_FAILED", {{"detail", error.what()}, {"kept", "previous"}});
    }
    report_stale_crls(context);
}

// Certificates near their end, in the log: a warning from kCertificateWarnDays before, an
// error from kCertificateUrgentDays before and once expired. At start and every 6 hours.
void report_certificates_due(const Context& context) {
    for (const connector::CertificateDue& due : connector::certificates_due(
             certificate_files(context.settings), std::chrono::system_clock::now())) {
        if (due.days >= kCertificateWarnDays)
            break;
        const std::initializer_list<logging::Field> fields = {{"role", due.role},
                                                              {"subject", due.subject},
                                                              {"not_after", due.not_after},
                                                              {"days", due.days}};
        if (due.days < 0)
            logging::edxml.error("CERTIFICATE_EXPIRED", fields);
        else
            logging::edxml.at(
                due.days < kCertificateUrgentDays ? logging::Level::error : logging::Level::warning,
                "CERTIFICATE_EXPIRING", fields);
    }
}

void write_checkpoints(Context& context, bool force) {
    if (!context.checkpointer)
        return;
    for (const connector::ChainCheckpoint& checkpoint :
         context.checkpointer->maybe_checkpoint(*context.store, context.clock.now(), force))
        logging::store.info("CHECKPOINT_WRITTEN", {{"chain", checkpoint.chain},
                                                   {"sequence", checkpoint.sequence},
                                                   {"hash", checkpoint.hash}});
}

std::optional<edxml::StatusKind> status_kind_from(const std::string& code) {
    const auto status = edxml::StatusCode::from_wire(code);
    if (!status.is_known())
        return std::nullopt;
    return status.kind();
}

edxml::TaskAssignee assignee_from(const Poco::JSON::Object& object, edxml::AssigneeRole role) {
    return {role, object.optValue<std::string>("code", ""),
            object.optValue<std::string>("name", "")};
}

}  // namespace

int run(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    const std::string config_path = config_path_from(args);
    bool once = false;
    store::Migrations migrations = store::Migrations::set_up_when_empty;
    for (const auto& arg : args) {
        if (arg == "--once") {
            once = true;
        } else if (arg == "--migrate") {
            migrations = store::Migrations::apply;
        } else {
            err << "connector run: unexpected argument '" << arg
                << "'; usage: connector run --config FILE [--once] [--migrate]\n";
            return 2;
        }
    }
    // The log first: what follows, waiting for the store included, goes where it is asked.
    try {
        logging::configure(log_output(config::Settings::load(config_path, environ)), err);
    } catch (const std::exception& error) {
        err << "connector run: " << error.what() << "\n";
        return 2;
    }
    std::unique_ptr<Context> context;
    std::mt19937_64 random(std::random_device{}());
    // A store that is not there yet (a database restarting, a host still booting) is
    // waited for; anything else wrong with the configuration ends the start (status 2).
    for (int attempt = 1;; ++attempt) {
        try {
            context = open_context(config_path, migrations);
            break;
        } catch (const connector::TransientError& error) {
            const auto delay = store_retry_delay(attempt, random);
            logging::store.warning("STORE_UNAVAILABLE",
                                   {{"detail", error.what()}, {"retry_ms", delay.count()}});
            notify_service_manager("STATUS=waiting for the store");
            // Nothing is in hand yet: a stop signal during the wait ends the process as is.
            std::this_thread::sleep_for(delay);
        } catch (const std::exception& error) {
            err << "connector run: " << error.what() << "\n";
            return 2;
        }
    }
    connector::Exchange& exchange = *context->exchange;
    StoreTrouble store_trouble;
    // Wakes the loop when the API queued something, and the feed and the webhooks when a
    // pass changed tasks.
    const auto changes = std::make_shared<http_api::ChangeSignal>();
    std::atomic<bool> reload_requested{false};
    StopSignal stop(
        [&exchange, changes] {
            exchange.request_stop();
            changes->notify();
        },
        [&reload_requested, changes] {
            reload_requested = true;
            changes->notify();
        },
        std::chrono::milliseconds(context->settings.integer("shutdown.grace_ms")));
    std::chrono::milliseconds interval{};
    try {
        interval = std::chrono::milliseconds(positive(context->settings, "poll.interval_ms"));
    } catch (const std::exception& error) {
        err << "connector run: " << error.what() << "\n";
        return 2;
    }
    const std::string& store_url = context->settings.text("store.url");
    logging::daemon.info("DAEMON_STARTED",
                         {{"agency", context->settings.text("agency.code")},
                          // The kind of store only: a PostgreSQL URL may carry a password.
                          {"store", store_url.substr(0, store_url.find(':'))},
                          {"axis", connector::redact_url(context->settings.text("axis.base_url"))},
                          {"worker", context->worker_id},
                          {"version", CONNECTOR_VERSION}});
    for (const auto& warning : context->warnings)
        logging::daemon.warning("SECRET_FILE_LOOSE", {{"detail", warning}});
    std::unique_ptr<http_api::ApiServer> api;
    std::unique_ptr<idesk::WebhookDispatcher> webhooks;
    try {
        // Webhooks first: what the API's first calls change is then pushed, not skipped
        // as history.
        webhooks = start_webhooks(*context, changes);
        api = start_api(*context, config_path, changes, store_trouble);
    } catch (const std::exception& error) {
        err << "connector run: " << error.what() << "\n";
        return 2;
    }
    // Started for systemd (Type=notify): the store is open and the API listens.
    notify_service_manager("READY=1\nSTATUS=exchanging with the axis");
    try {
        bool recovered = false;
        int store_failures = 0;
        // The axis is asked every `poll.interval_ms`; what the API queues is sent at once.
        auto next_poll = std::chrono::steady_clock::now();
        const auto crl_reload_every = std::chrono::seconds(
            std::max<long long>(1, context->settings.integer("verify.crl_reload_s")));
        auto next_crl_reload = std::chrono::steady_clock::now() + crl_reload_every;
        report_stale_crls(*context);
        constexpr auto kCertificateCheckEvery = std::chrono::hours(6);
        auto next_certificate_check = std::chrono::steady_clock::now() + kCertificateCheckEvery;
        report_certificates_due(*context);
        do {
            if (reload_requested.exchange(false)) {  // SIGHUP
                next_crl_reload = std::chrono::steady_clock::now() + crl_reload_every;
                reload_configuration(*context, config_path, api.get());
                report_stale_crls(*context);
            } else if (context->verifier && std::chrono::steady_clock::now() >= next_crl_reload) {
                next_crl_reload = std::chrono::steady_clock::now() + crl_reload_every;
                reload_crls(*context);
            }
            if (std::chrono::steady_clock::now() >= next_certificate_check) {
                next_certificate_check = std::chrono::steady_clock::now() + kCertificateCheckEvery;
                report_certificates_due(*context);
            }
            // Taken before the passes: a call the API makes meanwhile means another pass at
            // once; the loop's own notifications (counted) do not.
            const std::uint64_t seen = changes->generation();
            std::uint64_t own = 0;
            // A transient store failure (the database restarting, a network cut) ends the
            // pass, not the daemon: it waits, says why in /readyz, and tries again; what
            // was in hand is leased or logged, and picked up again.
            try {
                if (!recovered) {
                    log_pass("recover", exchange.recover());
                    recovered = true;
                }
                // Each step that changed something wakes the feed and the webhooks at once.
                const auto step = [&](const char* name, const auto& pass) {
                    const auto started = std::chrono::steady_clock::now();
                    const connector::StepReport report = pass();
                    context->metrics.observe_pass(name, std::chrono::steady_clock::now() - started);
                    if (log_pass(name, report)) {
                        changes->notify();
                        ++own;
                    }
                };
                step("outbox.send", [&] { return exchange.send_pending(); });
                if (std::chrono::steady_clock::now() >= next_poll) {
                    next_poll = std::chrono::steady_clock::now() + interval;
                    step("inbound.poll.edoc",
                         [&] { return exchange.poll(connector::AxisMessageType::edoc); });
                    step("inbound.poll.status",
                         [&] { return exchange.poll(connector::AxisMessageType::status); });
                    step("inbox.apply", [&] { return exchange.apply_pending(); });
                    step("outbox.delivery", [&] { return exchange.track_deliveries(); });
                    context->metrics.set_circuit_open(exchange.circuit_open());
                    if (exchange.circuit_open())
                        logging::axis.warning("CIRCUIT_OPEN");
                }
                write_checkpoints(*context, false);
                if (const std::string was = store_trouble.clear(); !was.empty())
                    logging::store.info("STORE_AVAILABLE", {{"after_failures", store_failures}});
                store_failures = 0;
            } catch (const connector::TransientError& error) {
                if (once)
                    throw;
                const auto delay = store_retry_delay(++store_failures, random);
                store_trouble.set(error.what());
                logging::store.warning("STORE_UNAVAILABLE",
                                       {{"detail", error.what()}, {"retry_ms", delay.count()}});
                if (stop.wait_for(delay))
                    break;
                continue;
            }
            if (once)
                break;
            const std::uint64_t now = changes->generation();
            if (now == seen + own) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    next_poll - std::chrono::steady_clock::now());
                changes->wait(now, std::max(left, std::chrono::milliseconds(0)));
            }
        } while (!stop.wait_for(std::chrono::milliseconds(0)));
    } catch (const std::exception& error) {
        // The store refused for good (a disk full, a schema changed under us) or something
        // unforeseen: stop (status 1); recover() picks up what was in flight at the next
        // start. A store that is only away is waited for above.
        logging::daemon.error("DAEMON_FAILED", {{"detail", error.what()}});
        return 1;
    }
    notify_service_manager("STOPPING=1");
    if (webhooks)
        webhooks->stop();
    if (api)
        api->stop();
    try {
        write_checkpoints(*context, true);
    } catch (const std::exception& error) {
        logging::store.error("CHECKPOINT_FAILED", {{"detail", error.what()}});
    }
    logging::daemon.info("DAEMON_STOPPED");
    out << std::flush;
    return 0;
}

int api_routes(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    if (args.size() != 1 || args[0] != "routes") {
        err << "usage: connector api routes\n";
        return 2;
    }
    for (const auto& route : http_api::route_table())
        out << route << "\n";
    return 0;
}

int check_config(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    const std::string config_path = config_path_from(args);
    try {
        const auto context = open_context(config_path, store::Migrations::refuse);
        for (const auto& warning : context->warnings)
            err << "warning: " << warning << "\n";
        for (const auto& [key, value] : context->settings.effective())
            out << key << " = " << connector::redact_url(value) << "    # "
                << context->settings.origin(key) << "\n";
        out << "configuration OK\n";
        return 0;
    } catch (const std::exception& error) {
        err << error.what() << "\n";
        return 1;
    }
}

int config_defaults(std::ostream& out) {
    out << config::defaults_file();
    return 0;
}

int task(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    const std::string config_path = config_path_from(args);
    if (args.empty()) {
        err << "usage: connector task assign FILE.json | report CODE [--status NN] [--progress "
               "P] [--note TEXT] | revoke DOCUMENT_ID [--reason TEXT] | amend CODE [--due "
               "yyyy-MM-dd|-] "
               "[--due-text TEXT] [--title TEXT] [--reason TEXT] | list [--json] | show CODE   "
               "(--config FILE)\n";
        return 2;
    }
    const std::string action = args[0];
    try {
        auto context = open_context(config_path, store::Migrations::set_up_when_empty);
        connector::Store& store = *context->store;
        const edxml::Date today = connector::vietnam_date(context->clock.now());
        if (action == "assign" && args.size() == 2) {
            Poco::JSON::Parser parser;
            parser.setDepth(16);
            const auto root =
                parser.parse(read_text_file(args[1])).extract<Poco::JSON::Object::Ptr>();
            connector::AssignmentDocument document;
            document.code_number = root->optValue<std::string>("number", "");
            document.code_notation = root->optValue<std::string>("notation", "");
            document.subject = root->optValue<std::string>("subject", "");
            document.content = root->optValue<std::string>("content", "");
            const auto tasks = root->getArray("tasks");
            if (!tasks)
                throw std::invalid_argument(args[1] + ": 'tasks' must be an array");
            for (std::size_t i = 0; i < tasks->size(); ++i) {
                const auto item = tasks->getObject(static_cast<unsigned>(i));
                if (!item)
                    throw std::invalid_argument(args[1] + ": tasks[" + std::to_string(i) +
                                                "] is not an object");
                edxml::TaskRecord record;
                record.task_code = item->optValue<std::string>("code", "");
                record.title = item->optValue<std::string>("title", "");
                record.content = item->optValue<std::string>("content", "");
                if (const auto lead = item->getObject("lead"))
                    record.assignees.push_back(assignee_from(*lead, edxml::AssigneeRole::lead));
                if (const auto others = item->getArray("coordinating")) {
                    for (std::size_t k = 0; k < others->size(); ++k) {
                        if (const auto other = others->getObject(static_cast<unsigned>(k)))
                            record.assignees.push_back(
                                assignee_from(*other, edxml::AssigneeRole::coordinating));
                    }
                }
                const std::string due = item->optValue<std::string>("due", "");
                record.due_text = item->optValue<std::string>("due_text", due);
                if (!due.empty()) {
                    const auto parsed = connector::parse_vietnamese_deadline(due);
                    const auto date = edxml::parse_date(due);
                    if (date)
                        record.due_date = date->value;
                    else if (parsed)
                        record.due_date = parsed->due;
                    else
                        throw std::invalid_argument(args[1] + ": tasks[" + std::to_string(i) +
                                                    "].due '" + due +
                                                    "' is not a date or a "
                                                    "known deadline form");
                }
                document.tasks.push_back(std::move(record));
            }
            const auto sequence = context->exchange->assign(document, cli_requester());
            out << "assignment queued as message " << sequence << " with " << document.tasks.size()
                << " task(s)\n";
            return 0;
        }
        if (action == "report" && args.size() >= 2) {
            connector::ReportRequest request;
            request.task_code = args[1];
            for (std::size_t i = 2; i + 1 < args.size(); i += 2) {
                if (args[i] == "--status") {
                    request.status = status_kind_from(args[i + 1]);
                    if (!request.status)
                        throw std::invalid_argument("--status '" + args[i + 1] +
                                                    "' is not a status code (01…06, 02)");
                } else if (args[i] == "--progress") {
                    const std::string& value = args[i + 1];
                    if (value.empty() || value.size() > 3 ||
                        value.find_first_not_of("0123456789") != std::string::npos)
                        throw std::invalid_argument("--progress '" + value + "' is not 0..100");
                    request.progress = std::stoi(value);
                } else if (args[i] == "--note") {
                    request.note = args[i + 1];
                } else {
                    throw std::invalid_argument("unknown option '" + args[i] + "'");
                }
            }
            if ((args.size() - 2) % 2 != 0)
                throw std::invalid_argument("option '" + args.back() + "' needs a value");
            const auto sequence = context->exchange->report(request, cli_requester());
            out << "report queued as message " << sequence << "\n";
            return 0;
        }
        if (action == "revoke" && args.size() >= 2) {
            std::string reason;
            if (args.size() == 4 && args[2] == "--reason")
                reason = args[3];
            else if (args.size() != 2)
                throw std::invalid_argument("usage: task revoke DOCUMENT_ID [--reason TEXT]");
            const auto sequence = context->exchange->revoke(args[1], reason, cli_requester());
            out << "revocation queued as message " << sequence << "\n";
            return 0;
        }
        if (action == "amend" && args.size() >= 2) {
            // One task: its assignment (source document) is the one amended.
            connector::TaskAmendment change;
            change.task_code = args[1];
            std::string reason;
            std::optional<std::string> due;
            std::optional<std::string> due_text;
            if ((args.size() - 2) % 2 != 0)
                throw std::invalid_argument("option '" + args.back() + "' needs a value");
            for (std::size_t i = 2; i + 1 < args.size(); i += 2) {
                if (args[i] == "--due")
                    due = args[i + 1];
                else if (args[i] == "--due-text")
                    due_text = args[i + 1];
                else if (args[i] == "--title")
                    change.title = args[i + 1];
                else if (args[i] == "--reason")
                    reason = args[i + 1];
                else
                    throw std::invalid_argument("unknown option '" + args[i] + "'");
            }
            if (due || due_text) {
                connector::TaskAmendment::Deadline deadline;
                if (due && *due != "-") {
                    const auto date = edxml::parse_date(*due);
                    if (!date)
                        throw std::invalid_argument("--due '" + *due +
                                                    "' is not a date (yyyy-MM-dd, or - for none)");
                    deadline.date = date->value;
                }
                deadline.text = due_text.value_or("");
                change.due = deadline;
            }
            const auto task = store.task(change.task_code);
            if (!task)
                throw std::invalid_argument("no task '" + change.task_code + "'");
            const auto sequence = context->exchange->amend(task->source_document_id, {change},
                                                           reason, cli_requester());
            out << "amendment queued as message " << sequence << "\n";
            return 0;
        }
        if (action == "list") {
            const bool json = args.size() == 2 && args[1] == "--json";
            Poco::JSON::Array list;
            std::string after;
            for (;;) {
                const auto page = store.tasks(after, 500);
                if (page.empty())
                    break;
                for (const connector::Task& task : page) {
                    after = task.task_code;
                    const auto timeliness = connector::derive_timeliness(
                        task.status, task.due_date, task.completion_date, today);
                    const std::string status = task.status.withdrawn ? "withdrawn"
                                               : task.status.current
                                                   ? edxml::canonical_code(*task.status.current)
                                                   : "-";
                    if (json) {
                        Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
                        entry.set("code", task.task_code);
                        entry.set("side", connector::to_string(task.side));
                        entry.set("status", status);
                        entry.set("progress", task.progress);
                        entry.set("timeliness", connector::to_string(timeliness));
                        entry.set("due", task.due_date ? edxml::format_date(*task.due_date) : "");
                        entry.set("title", task.title);
                        list.add(entry);
                    } else {
                        out << task.task_code << "\t" << connector::to_string(task.side) << "\t"
                            << status << "\t" << task.progress << "%\t"
                            << connector::vietnamese_label(timeliness) << "\t" << task.title
                            << "\n";
                    }
                }
            }
            if (json) {
                list.stringify(out, 2);
                out << "\n";
            }
            return 0;
        }
        if (action == "show" && args.size() == 2) {
            const auto task = store.task(args[1]);
            if (!task) {
                err << "no task '" << args[1] << "'\n";
                return 1;
            }
            const auto timeliness = connector::derive_timeliness(task->status, task->due_date,
                                                                 task->completion_date, today);
            out << "Nhiệm vụ:    " << task->title << "\n"
                << "Mã:          " << task->task_code << "\n"
                << "Văn bản:     " << task->source_document_id << " (" << task->issuer << ")\n";
            for (const auto& assignee : task->assignees)
                out << (assignee.role == edxml::AssigneeRole::lead ? "Chủ trì:     "
                                                                   : "Phối hợp:    ")
                    << assignee.name
                    << (assignee.organ_id.empty() ? "" : " (" + assignee.organ_id + ")") << "\n";
            out << "Hạn:         "
                << (task->due_date ? edxml::format_date(*task->due_date) : "không thời hạn")
                << (task->due_text.empty() ? "" : " (" + task->due_text + ")") << "\n"
                << "Trạng thái:  "
                << (task->status.current ? edxml::canonical_code(*task->status.current) + " " +
                                               edxml::vietnamese_label(*task->status.current)
                                         : "chưa có")
                << (task->status.withdrawn ? " (đã lấy lại)" : "") << "\n"
                << "Tiến độ:     " << task->progress << "%"
                << (task->progress_note.empty() ? "" : ": " + task->progress_note) << "\n"
                << "Đánh giá:    " << connector::vietnamese_label(timeliness) << "\n"
                << "Lịch sử:\n";
            for (const auto& event : store.task_events(task->task_code))
                out << "  " << event.recorded_at << "  " << event.kind << "  " << event.detail
                    << (event.message_sequence
                            ? "  (message " + std::to_string(event.message_sequence) + ")"
                            : "")
                    << "\n";
            return 0;
        }
        err << "connector task: unknown or incomplete command '" << action << "'\n";
        return 2;
    } catch (const std::invalid_argument& error) {
        err << "connector task " << action << ": " << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        err << "connector task " << action << ": " << error.what() << "\n";
        return 1;
    }
}

int token(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    const std::string config_path = config_path_from(args);
    static const char* kUsage =
        "usage: connector token create --name NAME --role backend|clerk|auditor|admin|metrics "
        "[--expires UTC-TIME] | revoke --name NAME | list   (--config FILE)\n";
    if (args.empty()) {
        err << kUsage;
        return 2;
    }
    std::string name, role, expires;
    for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == "--name")
            name = args[i + 1];
        else if (args[i] == "--role")
            role = args[i + 1];
        else if (args[i] == "--expires")
            expires = args[i + 1];
        else {
            err << "connector token: unknown option '" << args[i] << "'\n" << kUsage;
            return 2;
        }
    }
    try {
        auto context = open_context(config_path, store::Migrations::set_up_when_empty);
        connector::Store& store = *context->store;
        if (args[0] == "create") {
            if (const std::string problem = account_name_problem(name); !problem.empty()) {
                err << "connector token create: " << problem << "\n";
                return 2;
            }
            if (role != "backend" && role != "clerk" && role != "auditor" && role != "admin" &&
                role != "metrics") {
                err << "connector token create: --role must be backend, clerk, auditor, admin or "
                       "metrics\n";
                return 2;
            }
            std::string expires_at;
            if (!expires.empty()) {
                const auto when = connector::parse_utc_text(expires);
                if (!when || *when <= std::chrono::system_clock::now()) {
                    err << "connector token create: --expires '" << expires
                        << "' is not a UTC time in the future (2027-01-31T00:00:00Z)\n";
                    return 2;
                }
                expires_at = connector::utc_text(*when);
            }
            const std::string secret = http_api::new_token();
            store.create_api_client(name, http_api::token_hash(secret), role, expires_at);
            store.append_audit(
                {0, "cli", "TOKEN_CREATED", name,
                 "role " + role + (expires_at.empty() ? "" : ", expires " + expires_at), "", "",
                 ""});
            out << secret << "\n";
            err << "token for '" << name << "' (" << role
                << "): shown once, store it now; only its hash is kept\n";
            return 0;
        }
        if (args[0] == "revoke" && !name.empty()) {
            if (!store.revoke_api_client(name)) {
                err << "connector token revoke: no valid token named '" << name << "'\n";
                return 1;
            }
            store.append_audit({0, "cli", "TOKEN_REVOKED", name, "", "", "", ""});
            out << "revoked " << name << "\n";
            return 0;
        }
        if (args[0] == "list") {
            for (const auto& client : store.api_clients())
                out << client.name << "\t" << client.role << "\t" << client.created_at << "\t"
                    << (!client.revoked_at.empty()  ? "revoked " + client.revoked_at
                        : client.expires_at.empty() ? std::string("valid")
                                                    : "valid until " + client.expires_at)
                    << "\n";
            return 0;
        }
        err << kUsage;
        return 2;
    } catch (const connector::DuplicateError&) {
        err << "connector token create: the name '" << name << "' is taken\n";
        return 1;
    } catch (const std::exception& error) {
        err << "connector token: " << error.what() << "\n";
        return 1;
    }
}

int import_plan(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    const std::string config_path = config_path_from(args);
    std::string file, number, notation, subject = "Giao nhiệm vụ theo kế hoạch", units_path;
    bool dry_run = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--dry-run") {
            dry_run = true;
        } else if (i + 1 < args.size() && args[i] == "--number") {
            number = args[++i];
        } else if (i + 1 < args.size() && args[i] == "--notation") {
            notation = args[++i];
        } else if (i + 1 < args.size() && args[i] == "--subject") {
            subject = args[++i];
        } else if (i + 1 < args.size() && args[i] == "--units") {
            units_path = args[++i];
        } else if (file.empty() && args[i].rfind("--", 0) != 0) {
            file = args[i];
        } else {
            err << "connector import-plan: unexpected argument '" << args[i] << "'\n";
            return 2;
        }
    }
    if (file.empty() || number.empty() || notation.empty()) {
        err << "usage: connector import-plan FILE --number N --notation KH-X [--subject S] "
               "[--units TABLE] [--dry-run] --config FILE\n";
        return 2;
    }
    try {
        auto context = open_context(config_path, store::Migrations::set_up_when_empty);
        if (units_path.empty())
            units_path = context->settings.text("units.table");
        if (units_path.empty())
            throw connector::ConfigError("no unit table: set units.table or give --units");
        const auto units = connector::UnitDirectory::parse(read_text_file(units_path), units_path);
        const std::string agency = context->settings.text("agency.code");
        const std::string document_id = connector::document_id_for(
            agency, connector::vietnam_date(context->clock.now()), number, notation);
        const auto imported =
            connector::import_plan(read_text_file(file), units, document_id, agency);
        for (const auto& warning : imported.warnings)
            err << file << ": warning: " << warning << "\n";
        for (const auto& error : imported.errors)
            err << file << ": error: " << error << "\n";
        out << imported.tasks.size() << " task(s) read, " << imported.errors.size()
            << " row(s) refused\n";
        if (!imported.errors.empty() || imported.tasks.empty())
            return 1;
        if (dry_run)
            return 0;
        connector::AssignmentDocument document;
        document.code_number = number;
        document.code_notation = notation;
        document.subject = subject;
        document.tasks = imported.tasks;
        const auto sequence = context->exchange->assign(document, cli_requester());
        out << "assignment " << document_id << " queued as message " << sequence << "\n";
        return 0;
    } catch (const std::exception& error) {
        err << "connector import-plan: " << error.what() << "\n";
        return 1;
    }
}

}  // namespace daemon_commands
