// The operator's first look: configuration, database, axis (our HMAC accepted), signing
// key and certificate, trust anchors, CRLs, webhook target. Each check stands alone, so
// that one broken thing does not hide the others.
#include "doctor_command.hpp"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <ostream>

#include "config/settings.hpp"
#include "connector/error.hpp"
#include "connector/metrics.hpp"
#include "connector/secret.hpp"
#include "context.hpp"
#include "edxml/signature.hpp"
#include "store/soci_store.hpp"
#include "vdxp/http_axis_client.hpp"

extern char** environ;

namespace daemon_commands {

namespace {

enum class Outcome { ok, warning, broken };

struct Check {
    Outcome outcome = Outcome::ok;
    std::string detail;  // what was found
    std::string advice;  // what to do (not for ok)
};

// The certificates of `pem_file`: the soonest to expire decides (kCertificateWarnDays,
// as the daemon's own warnings).
Check certificate_check(const std::string& pem_file, const std::string& what,
                        std::chrono::system_clock::time_point now) {
    if (!std::ifstream(pem_file, std::ios::binary))
        return {Outcome::broken, "cannot read " + pem_file, "check the path in the configuration"};
    const auto due = connector::certificates_due({{what, pem_file}}, now);
    if (due.empty())
        return {Outcome::broken, pem_file + " holds no certificate", "give a PEM certificate"};
    const connector::CertificateDue& soonest = due.front();
    const std::string detail =
        what + " " + soonest.subject + ": " +
        (soonest.days < 0 ? "expired " + std::to_string(-soonest.days) + " days ago"
                          : "expires in " + std::to_string(soonest.days) + " days") +
        " (" + soonest.not_after + ")";
    if (soonest.days < 0)
        return {Outcome::broken, detail,
                "renew it with the CA now: signatures with it are refused"};
    if (soonest.days < kCertificateWarnDays)
        return {Outcome::warning, detail,
                "renew it with the CA before it expires (docs/operations.md)"};
    return {Outcome::ok, detail, ""};
}

Check database_check(const config::Settings& settings) {
    const std::string url = settings.text("store.url");
    const std::string backend = url.substr(0, url.find(':'));
    try {
        const auto store = store::open_store(url, store::Migrations::refuse);
        return {Outcome::ok,
                backend + ", schema " + std::to_string(store->schema_version()) + " (current), " +
                    std::to_string(store->message_head().sequence) + " log entries",
                ""};
    } catch (const connector::TransientError& error) {
        return {Outcome::broken, std::string("not reachable: ") + error.what(),
                "start the database server or correct store.url"};
    } catch (const std::exception& error) {
        return {Outcome::broken, error.what(), "see the message; docs/operations.md, Upgrades"};
    }
}

Check axis_check(const config::Settings& settings, const connector::SecretFileRules& rules) {
    vdxp::ClientSettings client;
    try {
        client = axis_client_settings(settings, rules);
    } catch (const std::exception& error) {
        return {Outcome::broken, error.what(),
                "set axis.secret_file (mode 0600) or axis.secret_env"};
    }
    vdxp::HttpAxisClient axis(client);
    const auto answer = axis.agencies();
    if (answer.ok())
        return {Outcome::ok,
                connector::redact_url(client.base_url) + " answered getAgenciesList (" +
                    std::to_string(answer.value().size()) + " agencies): our HMAC is accepted",
                ""};
    const connector::AxisError& error = answer.error();
    if (error.failure == connector::AxisFailure::authentication)
        return {Outcome::broken, error.message(),
                "the axis refused systemid '" + client.systemid +
                    "' or its secret: check axis.systemid and axis.secret_file against what "
                    "the axis operator registered"};
    if (error.failure == connector::AxisFailure::tls)
        return {Outcome::broken, error.message(),
                "check axis.ca_file (the CA of the axis's certificate) and the host name"};
    return {Outcome::broken, error.message(),
            "check axis.base_url, the network and the firewall towards the axis"};
}

Check signing_check(const config::Settings& settings, const connector::SecretFileRules& rules,
                    std::chrono::system_clock::time_point now) {
    if (!settings.has("signing.key_file"))
        return {Outcome::warning, "no signing.key_file: packages go out unsigned",
                "the axis's receivers require signatures: set signing.key_file and "
                "signing.certificate_file"};
    try {
        const auto credentials = signing_credentials(settings, rules);
        Check check = certificate_check(settings.text("signing.certificate_file"), "signing", now);
        check.detail = "key and certificate usable; " + check.detail;
        return check;
    } catch (const std::exception& error) {
        return {Outcome::broken, error.what(),
                "check signing.key_file, signing.certificate_file and the passphrase"};
    }
}

Check trust_check(const config::Settings& settings, std::chrono::system_clock::time_point now) {
    if (settings.text("verify.policy") == "off")
        return {Outcome::warning, "verify.policy = off: no signature is checked",
                "set verify.policy = require and verify.trust"};
    std::vector<connector::CertificateFile> anchors;
    for (const connector::CertificateFile& file : certificate_files(settings))
        if (file.role == "trust")
            anchors.push_back(file);
    if (anchors.empty())
        return {Outcome::broken, "no trust anchor in '" + settings.text("verify.trust") + "'",
                "put the CA certificates (PEM) in verify.trust"};
    Check worst{Outcome::ok, "", ""};
    for (const connector::CertificateFile& anchor : anchors) {
        Check check = certificate_check(anchor.path, "anchor", now);
        if (worst.detail.empty() || check.outcome > worst.outcome)
            worst = check;
    }
    worst.detail = std::to_string(anchors.size()) + " anchor file(s); " + worst.detail;
    return worst;
}

Check crl_check(const config::Settings& settings) {
    if (settings.text("verify.crl").empty())
        return {Outcome::warning, "no verify.crl: revoked certificates are not recognised",
                "set verify.crl to the CAs' CRL files (or verify.ocsp)"};
    try {
        edxml::Verifier verifier(trust_options(settings));
        const std::vector<std::string> stale = verifier.stale_crls();
        if (stale.empty())
            return {Outcome::ok, "every CRL is current", ""};
        std::string list;
        for (const std::string& one : stale)
            list += (list.empty() ? "" : "; ") + one;
        return {Outcome::broken, "stale: " + list,
                "fetch the CAs' current CRLs into verify.crl (SIGHUP reloads them)"};
    } catch (const std::exception& error) {
        return {Outcome::broken, error.what(), "check verify.trust and verify.crl"};
    }
}

Check webhook_check(const config::Settings& settings) {
    const std::string url = settings.text("webhook.url");
    if (url.empty())
        return {Outcome::ok, "no webhook.url: iDesk reads the change feed itself", ""};
    try {
        const Poco::URI uri(url);
        Poco::Net::StreamSocket socket;
        socket.connect(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()),
                       Poco::Timespan(3, 0));
        return {Outcome::ok, connector::redact_url(url) + " accepts connections", ""};
    } catch (const std::exception& error) {
        return {Outcome::broken,
                connector::redact_url(url) + " does not accept connections: " + error.what(),
                "start iDesk's receiver or correct webhook.url; events wait in the feed"};
    }
}

}  // namespace

int doctor(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string config_path;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config" && i + 1 < args.size()) {
            config_path = args[++i];
        } else {
            err << "unexpected argument '" << args[i]
                << "'; usage: connector doctor --config FILE\n";
            return 2;
        }
    }
    const auto print = [&out](const char* name, const Check& check) {
        const char* mark = check.outcome == Outcome::ok        ? "✔"
                           : check.outcome == Outcome::warning ? "!"
                                                               : "✘";
        out << mark << " " << name << ": " << check.detail << "\n";
        if (check.outcome != Outcome::ok && !check.advice.empty())
            out << "    → " << check.advice << "\n";
    };
    std::optional<config::Settings> loaded;
    try {
        loaded = config::Settings::load(config_path, environ);
    } catch (const std::exception& error) {
        print("configuration",
              {Outcome::broken, error.what(), "connector check-config --config FILE"});
        return 1;
    }
    print("configuration",
          {Outcome::ok, config_path.empty() ? "defaults and environment" : config_path, ""});
    const config::Settings& settings = *loaded;
    connector::SecretFileRules rules;
    rules.allow_loose_permissions = settings.text("secrets.allow_loose_permissions") == "true";
    const auto now = std::chrono::system_clock::now();
    bool broken = false;
    const std::vector<std::pair<const char*, std::function<Check()>>> checks = {
        {"database", [&] { return database_check(settings); }},
        {"axis", [&] { return axis_check(settings, rules); }},
        {"signing", [&] { return signing_check(settings, rules, now); }},
        {"trust anchors", [&] { return trust_check(settings, now); }},
        {"CRLs", [&] { return crl_check(settings); }},
        {"webhook", [&] { return webhook_check(settings); }},
    };
    for (const auto& [name, run] : checks) {
        const Check check = run();
        print(name, check);
        broken = broken || check.outcome == Outcome::broken;
    }
    return broken ? 1 : 0;
}

}  // namespace daemon_commands
