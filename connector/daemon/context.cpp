#include "context.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connector/error.hpp"
#include "connector/secret.hpp"
#include "ocsp/ocsp_source.hpp"
#include "store/soci_store.hpp"

extern char** environ;

namespace daemon_commands {

std::string account_name_problem(const std::string& name) {
    if (!connector::is_account_name(name))
        return "--name must be 1..64 of a-z 0-9 - _ .";
    return "";
}

std::string config_path_from(std::vector<std::string>& args) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--config") {
            const std::string path = args[i + 1];
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                       args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
            return path;
        }
    }
    const char* from_environment = std::getenv("CONNECTOR_CONFIG");
    return from_environment ? from_environment : "";
}

vdxp::ClientSettings axis_client_settings(const config::Settings& settings,
                                          const connector::SecretFileRules& rules) {
    vdxp::ClientSettings client;
    client.base_url = settings.text("axis.base_url");
    client.systemid = settings.has("axis.systemid") ? settings.text("axis.systemid")
                                                    : settings.text("agency.code");
    client.secret = connector::read_secret("axis.secret_file/axis.secret_env",
                                           settings.text("axis.secret_file"),
                                           settings.text("axis.secret_env"), rules);
    client.ca_file = settings.text("axis.ca_file");
    client.connect_timeout = std::chrono::milliseconds(settings.integer("axis.connect_timeout_ms"));
    client.read_timeout = std::chrono::milliseconds(settings.integer("axis.read_timeout_ms"));
    return client;
}

std::shared_ptr<const edxml::SigningCredentials> signing_credentials(
    const config::Settings& settings, const connector::SecretFileRules& rules) {
    if (!settings.has("signing.key_file"))
        return nullptr;
    std::string passphrase;
    if (settings.has("signing.passphrase_file") || settings.has("signing.passphrase_env"))
        passphrase = connector::read_secret("signing.passphrase_file/signing.passphrase_env",
                                            settings.text("signing.passphrase_file"),
                                            settings.text("signing.passphrase_env"), rules);
    connector::check_secret_file("signing.key_file", settings.text("signing.key_file"), rules);
    try {
        return std::make_shared<const edxml::SigningCredentials>(
            edxml::SigningCredentials::from_pem(settings.text("signing.key_file"),
                                                settings.text("signing.certificate_file"),
                                                settings.text("signing.chain_file"), passphrase));
    } catch (const edxml::Error& error) {
        throw connector::ConfigError(std::string("signing: ") + error.what());
    }
}

std::string read_text_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw connector::ConfigError("cannot read " + path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

edxml::TrustOptions trust_options(const config::Settings& settings) {
    edxml::TrustOptions trust;
    trust.anchors.push_back(settings.text("verify.trust"));
    trust.crls = config::split_list(settings.text("verify.crl"));
    trust.allow_sha1 = settings.text("verify.allow_sha1") == "true";
    trust.crl_grace_seconds = settings.integer("verify.crl_grace_s");
    return trust;
}

connector::logging::Output log_output(const config::Settings& settings) {
    connector::logging::Output output;
    output.level = connector::logging::parse_level(settings.text("log.level"), "log.level");
    output.layer_levels = settings.text("log.layer_levels");
    output.format = settings.text("log.format") == "json" ? connector::logging::Format::json
                                                          : connector::logging::Format::text;
    output.target = settings.text("log.output");
    output.file = settings.text("log.file");
    output.rotate = settings.text("log.rotate");
    output.keep = static_cast<int>(std::min<long long>(settings.integer("log.keep"), 100000));
    connector::logging::check_layer_levels(output.layer_levels);
    if (output.target == "file" && output.file.empty())
        throw connector::ConfigError("log.file: needed with log.output = file");
    return output;
}

std::vector<connector::CertificateFile> certificate_files(const config::Settings& settings) {
    std::vector<connector::CertificateFile> files;
    if (!settings.text("signing.certificate_file").empty())
        files.push_back({"signing", settings.text("signing.certificate_file")});
    if (!settings.text("signing.chain_file").empty())
        files.push_back({"signing_chain", settings.text("signing.chain_file")});
    const std::string trust = settings.text("verify.trust");
    std::error_code ignored;
    if (!trust.empty() && std::filesystem::is_directory(trust, ignored)) {
        std::vector<std::string> anchors;
        for (const auto& entry : std::filesystem::directory_iterator(trust, ignored)) {
            const std::string extension = entry.path().extension().string();
            if (entry.is_regular_file(ignored) && (extension == ".pem" || extension == ".crt"))
                anchors.push_back(entry.path().string());
        }
        std::sort(anchors.begin(), anchors.end());
        for (std::string& anchor : anchors)
            files.push_back({"trust", std::move(anchor)});
    } else if (!trust.empty()) {
        files.push_back({"trust", trust});
    }
    return files;
}

std::unique_ptr<Context> open_context(const std::string& config_path,
                                      store::Migrations migrations) {
    auto context = std::make_unique<Context>();
    context->settings = config::Settings::load(config_path, environ);
    const config::Settings& settings = context->settings;
    log_output(settings);  // its problems named by every command, not only by `run`

    // A fresh SQLite database may live in a folder that does not exist yet.
    const std::string url = settings.text("store.url");
    if (url.rfind("sqlite3:", 0) == 0) {
        const auto folder = std::filesystem::path(url.substr(8)).parent_path();
        if (!folder.empty())
            std::filesystem::create_directories(folder);
    }
    context->store = store::open_store(settings.text("store.url"), migrations);

    context->secret_rules.allow_loose_permissions =
        settings.text("secrets.allow_loose_permissions") == "true";
    context->secret_rules.warn = [context = context.get()](const std::string& warning) {
        context->warnings.push_back(warning);
    };
    const connector::SecretFileRules& rules = context->secret_rules;

    context->axis = std::make_unique<vdxp::HttpAxisClient>(axis_client_settings(settings, rules));

    connector::ExchangeSettings exchange;
    exchange.sender = {settings.text("agency.code"), settings.text("agency.name"),
                       settings.text("agency.place")};
    exchange.signing = signing_credentials(settings, rules);
    const std::string policy = settings.text("verify.policy");
    exchange.verify_policy = policy == "require" ? connector::VerifyPolicy::require
                             : policy == "off"   ? connector::VerifyPolicy::off
                                                 : connector::VerifyPolicy::verify;
    if (exchange.verify_policy != connector::VerifyPolicy::off) {
        edxml::TrustOptions trust = trust_options(settings);
        if (settings.has("verify.ocsp")) {
            ocsp::OcspSettings online;
            online.responder_url =
                settings.text("verify.ocsp") == "aia" ? "" : settings.text("verify.ocsp");
            // No extra responder anchors: only the issuer, or a responder it delegated,
            // may answer for its certificates.
            online.timeout = std::chrono::milliseconds(settings.integer("verify.ocsp_timeout_ms"));
            online.max_age = std::chrono::seconds(settings.integer("verify.ocsp_max_age_s"));
            try {
                trust.online_revocation = std::make_shared<const ocsp::OcspSource>(online);
            } catch (const edxml::Error& error) {
                throw connector::ConfigError(std::string("verify.ocsp: ") + error.what());
            }
        }
        try {
            context->verifier = std::make_shared<edxml::Verifier>(trust);
        } catch (const edxml::Error& error) {
            throw connector::ConfigError(std::string("verify.trust/verify.crl: ") + error.what());
        }
        exchange.verifier = context->verifier;
        auto signers =
            std::make_shared<edxml::SignerPolicy>(settings.text("trust.signer_attribute"));
        if (settings.has("trust.signers")) {
            try {
                signers->load_table(settings.text("trust.signers"));
            } catch (const edxml::Error& error) {
                throw connector::ConfigError(std::string("trust.signers: ") + error.what());
            }
        }
        exchange.signers = std::move(signers);
    }
    context->signing = exchange.signing;
    if (settings.has("audit.checkpoint_file"))
        context->checkpointer = std::make_unique<connector::ChainCheckpointer>(
            exchange.signing, settings.text("audit.checkpoint_file"),
            std::max<long long>(1, settings.integer("audit.checkpoint_every_entries")),
            std::chrono::seconds(
                std::max<long long>(1, settings.integer("audit.checkpoint_every_s"))));
    exchange.retry.base = std::chrono::milliseconds(settings.integer("retry.base_ms"));
    exchange.retry.cap = std::chrono::milliseconds(settings.integer("retry.cap_ms"));
    exchange.retry.max_attempts = static_cast<int>(settings.integer("retry.max_attempts"));
    exchange.breaker.threshold = static_cast<int>(settings.integer("breaker.threshold"));
    exchange.breaker.open_for = std::chrono::milliseconds(settings.integer("breaker.open_ms"));
    exchange.lease = std::chrono::milliseconds(settings.integer("worker.lease_ms"));
    exchange.pass_lease = std::chrono::milliseconds(settings.integer("worker.pass_lease_ms"));
    exchange.delivery_deadline = std::chrono::seconds(settings.integer("delivery.deadline_s"));
    if (exchange.delivery_deadline.count() < 0)
        throw connector::ConfigError("delivery.deadline_s: must not be negative, not " +
                                     std::to_string(exchange.delivery_deadline.count()));
    if (exchange.pass_lease.count() <= 0)
        throw connector::ConfigError("worker.pass_lease_ms: must be positive, not " +
                                     std::to_string(exchange.pass_lease.count()));
    if (settings.has("worker.id")) {
        exchange.worker_id = settings.text("worker.id");
    } else {
        char host[256] = {};
        gethostname(host, sizeof host - 1);
        exchange.worker_id = std::string(host) + ":" + std::to_string(getpid());
    }
    context->worker_id = exchange.worker_id;
    context->pass_lease = exchange.pass_lease;
    context->timed_axis =
        std::make_unique<connector::TimedAxisTransport>(*context->axis, context->metrics);
    context->exchange = std::make_unique<connector::Exchange>(*context->store, *context->timed_axis,
                                                              context->clock, exchange);
    return context;
}

}  // namespace daemon_commands
