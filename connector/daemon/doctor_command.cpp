// The operator's first look: configuration, database, axis (our HMAC accepted), the clocks,
// signing key and certificate, trust anchors, CRLs, webhook target. Each check stands
// alone, so that one broken thing does not hide the others. `connector doctor` prints
// them; the running daemon serves them at GET /api/v1/diagnostics (its admin page).
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

// What a check found, before diagnose() names it.
struct Check {
    Outcome outcome = Outcome::ok;
    std::string detail;
    std::string advice;
};

// Within this, a Date header's second and the network's delay explain the difference.
constexpr long long kClockOkSeconds = 10;
// Beyond this, deadlines, the times on packages and certificate checks go wrong.
constexpr long long kClockBrokenSeconds = 120;

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

Check axis_check(vdxp::HttpAxisClient& axis, const vdxp::ClientSettings& client) {
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

// The axis's clock against ours, from the Date of the answer axis_check got.
Check clock_check(const std::optional<std::chrono::seconds>& offset) {
    if (!offset)
        return {Outcome::warning, "not compared: no answer of the axis with a Date header",
                "keep this host's clock on NTP (timedatectl status)"};
    const long long seconds = offset->count();
    const long long apart = seconds < 0 ? -seconds : seconds;
    const std::string detail = apart == 0 ? "the axis's clock is within a second of ours"
                                          : "the axis's clock is " + std::to_string(apart) + " s " +
                                                (seconds > 0 ? "ahead of" : "behind") + " ours";
    if (apart <= kClockOkSeconds)
        return {Outcome::ok, detail, ""};
    if (apart <= kClockBrokenSeconds)
        return {Outcome::warning, detail,
                "check NTP on this host (timedatectl status); past " +
                    std::to_string(kClockBrokenSeconds) + " s deadlines and times go wrong"};
    return {Outcome::broken, detail,
            "the times on packages, deadlines and certificate checks go wrong: put this host "
            "on NTP (timedatectl set-ntp true), or tell the axis operator if theirs is off"};
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
        // The key opens and matches; whether the certificate is still in force is its own.
        check.detail = "key loads and matches the certificate; " + check.detail;
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

const char* outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::ok:
            return "ok";
        case Outcome::warning:
            return "warning";
        case Outcome::broken:
            return "broken";
    }
    return "broken";
}

std::vector<Diagnosis> diagnose(const config::Settings& settings) {
    connector::SecretFileRules rules;
    rules.allow_loose_permissions = settings.text("secrets.allow_loose_permissions") == "true";
    const auto now = std::chrono::system_clock::now();
    const auto named = [](const char* name, Check check) {
        return Diagnosis{check.outcome, std::move(check.detail), std::move(check.advice), name};
    };
    std::vector<Diagnosis> found;
    found.push_back(named("database", database_check(settings)));
    try {
        const vdxp::ClientSettings client = axis_client_settings(settings, rules);
        vdxp::HttpAxisClient axis(client);
        found.push_back(named("axis", axis_check(axis, client)));
        found.push_back(named("clock", clock_check(axis.clock_offset())));
    } catch (const std::exception& error) {
        found.push_back(named("axis", {Outcome::broken, error.what(),
                                       "set axis.base_url, and axis.secret_file (mode 0600) or "
                                       "axis.secret_env"}));
        found.push_back(named("clock", clock_check(std::nullopt)));
    }
    found.push_back(named("signing", signing_check(settings, rules, now)));
    found.push_back(named("trust anchors", trust_check(settings, now)));
    found.push_back(named("CRLs", crl_check(settings)));
    found.push_back(named("webhook", webhook_check(settings)));
    return found;
}

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
    const auto print = [&out](const Diagnosis& check) {
        const char* mark = check.outcome == Outcome::ok        ? "✔"
                           : check.outcome == Outcome::warning ? "!"
                                                               : "✘";
        out << mark << " " << check.name << ": " << check.detail << "\n";
        if (check.outcome != Outcome::ok && !check.advice.empty())
            out << "    → " << check.advice << "\n";
    };
    std::optional<config::Settings> loaded;
    try {
        loaded = config::Settings::load(config_path, environ);
    } catch (const std::exception& error) {
        print({Outcome::broken, error.what(), "connector check-config --config FILE",
               "configuration"});
        return 1;
    }
    print({Outcome::ok, config_path.empty() ? "defaults and environment" : config_path, "",
           "configuration"});
    bool broken = false;
    for (const Diagnosis& check : diagnose(*loaded)) {
        print(check);
        broken = broken || check.outcome == Outcome::broken;
    }
    return broken ? 1 : 0;
}

}  // namespace daemon_commands
