#include "config/settings.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace config {
namespace {

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

const SettingSpec* find_spec(const std::string& key) {
    for (const SettingSpec& spec : setting_table()) {
        if (key == spec.key)
            return &spec;
    }
    return nullptr;
}

std::string environment_name(const std::string& key) {
    std::string name = "CONNECTOR_";
    for (const char c : key)
        name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

}  // namespace

std::vector<std::string> split_list(const std::string& value) {
    std::vector<std::string> items;
    std::stringstream parts(value);
    for (std::string item; std::getline(parts, item, ',');) {
        item = trim(item);
        if (!item.empty())
            items.push_back(item);
    }
    return items;
}

namespace {

// Checks one value against its spec; the problem, or nothing.
std::optional<std::string> problem_with(const SettingSpec& spec, const std::string& value) {
    switch (spec.type) {
        case SettingType::integer: {
            if (value.empty() || value.size() > 12 ||
                value.find_first_not_of("0123456789") != std::string::npos)
                return "'" + value + "' is not a whole number";
            return std::nullopt;
        }
        case SettingType::choice: {
            std::stringstream choices(spec.choices);
            std::string choice;
            while (std::getline(choices, choice, '|')) {
                if (choice == value)
                    return std::nullopt;
            }
            return "'" + value + "' is not one of " + spec.choices;
        }
        default:
            return std::nullopt;
    }
}

}  // namespace

const std::vector<SettingSpec>& setting_table() {
    static const std::vector<SettingSpec> kTable = {
        {"agency.code", SettingType::text, "", "our agency code (QCVN 102), e.g. 000.00.00.H20", "",
         true},
        {"agency.name", SettingType::text, "", "our agency's name, as written on documents", "",
         false},
        {"agency.place", SettingType::text, "", "nơi ban hành written on our documents", "", false},
        {"store.url", SettingType::text, "sqlite3:var/connector.db",
         "sqlite3:PATH (relative to this file) or postgresql://user@host:port/db", "", false},
        {"axis.base_url", SettingType::text, "",
         "the axis adapter, e.g. http://10.0.0.5:8080/XrdAdapter/adapter", "", true},
        {"axis.systemid", SettingType::text, "",
         "the systemid the axis issued (default: agency.code)", "", false},
        {"axis.secret_file", SettingType::path, "", "file holding the axis secret", "", false},
        {"axis.secret_env", SettingType::text, "", "or: environment variable holding it", "",
         false},
        {"axis.ca_file", SettingType::path, "", "https only: PEM file of the CAs to trust", "",
         false},
        {"axis.connect_timeout_ms", SettingType::integer, "10000", "", "", false},
        {"axis.read_timeout_ms", SettingType::integer, "60000", "per read", "", false},
        {"signing.key_file", SettingType::path, "", "PEM private key signing our packages", "",
         false},
        {"signing.certificate_file", SettingType::path, "", "its certificate (PEM)", "", false},
        {"signing.chain_file", SettingType::path, "", "intermediate certificates (PEM)", "", false},
        {"signing.passphrase_file", SettingType::path, "", "file holding the key's passphrase", "",
         false},
        {"signing.passphrase_env", SettingType::text, "", "or: environment variable holding it", "",
         false},
        {"verify.policy", SettingType::choice, "verify",
         "inbound signatures: require, verify (record the verdict) or off", "require|verify|off",
         false},
        {"verify.trust", SettingType::path, "", "trust anchors: a PEM file or a directory of them",
         "", false},
        {"verify.crl", SettingType::paths, "",
         "CRLs, one per CA of the chain: files (PEM, several in one, or DER) or directories, "
         "separated by commas",
         "", false},
        {"verify.crl_reload_s", SettingType::integer, "3600",
         "how often the CRLs are read again (also on SIGHUP)", "", false},
        {"verify.crl_grace_s", SettingType::integer, "0",
         "how long a CRL past its nextUpdate still counts; then its chains are untrusted", "",
         false},
        {"verify.allow_sha1", SettingType::choice, "false",
         "accept RSA-SHA1 / SHA-1 signatures (only for a legacy peer)", "true|false", false},
        {"verify.ocsp", SettingType::text, "",
         "OCSP: a responder URL (http://…), 'aia' (the certificate's own), or empty: off", "",
         false},
        {"verify.ocsp_max_age_s", SettingType::integer, "3600",
         "how long an OCSP answer is reused, at most", "", false},
        {"verify.ocsp_timeout_ms", SettingType::integer, "5000", "per OCSP request", "", false},
        {"trust.signer_attribute", SettingType::text, "CN",
         "the certificate subject attribute holding the agency code (CN, OU, UID, "
         "serialNumber…)",
         "", false},
        {"trust.signers", SettingType::path, "",
         "a table 'FINGERPRINT-OR-SUBJECT AGENCY-CODE' a line; wins over the attribute", "", false},
        {"audit.checkpoint_file", SettingType::path, "",
         "signed chain-head checkpoints are appended here (outside the database); needs "
         "signing.key_file",
         "", false},
        {"audit.checkpoint_every_entries", SettingType::integer, "100",
         "a checkpoint after this many new entries", "", false},
        {"audit.checkpoint_every_s", SettingType::integer, "600",
         "or after this many seconds with new entries", "", false},
        {"secrets.allow_loose_permissions", SettingType::choice, "false",
         "accept secret, key and passphrase files that group or others may read (warns)",
         "true|false", false},
        {"poll.interval_ms", SettingType::integer, "5000", "how often to ask the axis", "", false},
        {"retry.base_ms", SettingType::integer, "2000", "first retry delay ceiling", "", false},
        {"retry.cap_ms", SettingType::integer, "300000", "largest retry delay", "", false},
        {"retry.max_attempts", SettingType::integer, "30", "then the package is failed", "", false},
        {"breaker.threshold", SettingType::integer, "5",
         "transient failures in a row that stop sending for a while", "", false},
        {"breaker.open_ms", SettingType::integer, "30000", "", "", false},
        {"worker.id", SettingType::text, "", "lease owner name (default: host and process id)", "",
         false},
        {"worker.lease_ms", SettingType::integer, "120000",
         "how long a claimed item is ours; a dead daemon's items are free again after it", "",
         false},
        {"worker.pass_lease_ms", SettingType::integer, "30000",
         "several daemons on one database take turns at each poll and at delivery tracking; "
         "a dead daemon's turn passes after this long",
         "", false},
        {"delivery.deadline_s", SettingType::integer, "259200",
         "a package its recipients have not acknowledged after this long is given up "
         "(undelivered, task.delivery_failed); 0: never",
         "", false},
        {"units.table", SettingType::path, "", "unit names to agency codes, for import-plan", "",
         false},
        {"http.listen", SettingType::text, "",
         "host:port of the backend API and health endpoints, e.g. 127.0.0.1:8380; empty: off", "",
         false},
        {"http.tls_certificate", SettingType::path, "", "HTTPS: certificate (PEM, chain)", "",
         false},
        {"http.tls_private_key", SettingType::path, "", "HTTPS: its private key (PEM)", "", false},
        {"http.max_body_bytes", SettingType::integer, "16777216",
         "largest request body (attachments travel as base64 inside)", "", false},
        {"http.session_idle_minutes", SettingType::integer, "30",
         "the pages: a login not used for this long ends", "", false},
        {"http.session_lifetime_hours", SettingType::integer, "12",
         "the pages: a login ends this long after it began, used or not", "", false},
        {"http.embed_origin", SettingType::text, "",
         "the pages: the one origin that may show them in a frame (iDesk's, e.g. "
         "https://idesk.dongthap.gov.vn); empty: none",
         "", false},
        {"webhook.url", SettingType::text, "",
         "iDesk's URL that receives each change-feed event; empty: no webhooks", "", false},
        {"webhook.secret_file", SettingType::path, "", "file holding the webhook HMAC secret", "",
         false},
        {"webhook.secret_env", SettingType::text, "", "or: environment variable holding it", "",
         false},
        {"webhook.ca_file", SettingType::path, "", "https only: PEM file of the CAs to trust", "",
         false},
        {"webhook.timeout_ms", SettingType::integer, "10000", "per delivery", "", false},
        {"webhook.retry_base_ms", SettingType::integer, "1000", "first retry delay ceiling", "",
         false},
        {"webhook.retry_cap_ms", SettingType::integer, "60000", "largest retry delay", "", false},
        {"webhook.give_up_after_s", SettingType::integer, "86400",
         "an event undelivered this long after it happened is abandoned (it stays in the feed)", "",
         false},
        {"shutdown.grace_ms", SettingType::integer, "10000",
         "how long a stop waits for work in hand", "", false},
        {"log.level", SettingType::choice, "info", "the least level logged",
         "debug|info|warning|error", false},
        {"log.layer_levels", SettingType::text, "",
         "per layer (edxml, store, axis, sync, http, daemon), e.g. http=debug,store=warning", "",
         false},
        {"log.format", SettingType::choice, "text",
         "text: time level=… logger=… event=… key=value; json: one JSON object a line", "text|json",
         false},
        {"log.output", SettingType::choice, "stderr",
         "stderr; journald (stderr with priorities, under systemd); syslog; file",
         "stderr|journald|syslog|file", false},
        {"log.file", SettingType::path, "", "with log.output = file: the file", "", false},
        {"log.rotate", SettingType::text, "10 M",
         "with log.output = file: rotate at a size (10 M, 500 K) or a time (daily, weekly)", "",
         false},
        {"log.keep", SettingType::integer, "10", "with log.output = file: rotated files kept", "",
         false},
    };
    return kTable;
}

Settings Settings::load(const std::string& path, char** environment) {
    Settings settings;
    std::vector<std::string> problems;
    std::filesystem::path base = std::filesystem::current_path();
    if (!path.empty()) {
        std::ifstream file(path);
        if (!file)
            throw ConfigError(path + ": cannot read the config file");
        base = std::filesystem::absolute(path).parent_path();
        std::string line;
        int number = 0;
        while (std::getline(file, line)) {
            ++number;
            const std::string content = trim(line);
            if (content.empty() || content[0] == '#')
                continue;
            const std::string where = path + ":" + std::to_string(number);
            const auto equals = content.find('=');
            if (equals == std::string::npos) {
                problems.push_back(where + ": expected 'key = value'");
                continue;
            }
            const std::string key = trim(content.substr(0, equals));
            const std::string value = trim(content.substr(equals + 1));
            const SettingSpec* spec = find_spec(key);
            if (!spec) {
                problems.push_back(where + ": unknown setting '" + key + "'");
                continue;
            }
            if (settings.origins_.count(key) && settings.origins_[key] != "default") {
                problems.push_back(where + ": '" + key + "' is set twice (first at " +
                                   settings.origins_[key] + ")");
                continue;
            }
            if (const auto problem = problem_with(*spec, value)) {
                problems.push_back(where + ": " + key + ": " + *problem);
                continue;
            }
            std::string resolved = value;
            if (spec->type == SettingType::path && !value.empty() &&
                std::filesystem::path(value).is_relative())
                resolved = (base / value).lexically_normal().string();
            if (spec->type == SettingType::paths) {
                resolved.clear();
                for (const std::string& item : split_list(value)) {
                    const std::filesystem::path one(item);
                    resolved +=
                        (resolved.empty() ? "" : ",") +
                        (one.is_relative() ? (base / one).lexically_normal().string() : item);
                }
            }
            settings.values_[key] = resolved;
            settings.origins_[key] = where;
        }
    }
    // The environment overrides the file.
    for (char** entry = environment; entry && *entry; ++entry) {
        const std::string text = *entry;
        if (text.rfind("CONNECTOR_", 0) != 0)
            continue;
        const auto equals = text.find('=');
        const std::string name = text.substr(0, equals);
        const std::string value = equals == std::string::npos ? "" : text.substr(equals + 1);
        const SettingSpec* spec = nullptr;
        for (const SettingSpec& candidate : setting_table()) {
            if (environment_name(candidate.key) == name)
                spec = &candidate;
        }
        if (!spec)
            continue;  // other CONNECTOR_ variables (a secret's own variable, for one)
        if (const auto problem = problem_with(*spec, value)) {
            problems.push_back("environment " + name + ": " + *problem);
            continue;
        }
        settings.values_[spec->key] = value;
        settings.origins_[spec->key] = "environment " + name;
    }
    for (const SettingSpec& spec : setting_table()) {
        const auto set = settings.values_.find(spec.key);
        // `config defaults` writes a required key as "key = ": it is still to be filled in.
        if (set != settings.values_.end() && !(spec.required && set->second.empty()))
            continue;
        if (spec.required) {
            problems.push_back((path.empty() ? std::string("settings") : path) + ": '" + spec.key +
                               "' is required (" + spec.help + ")" +
                               (set != settings.values_.end() ? ", and is empty" : ""));
            continue;
        }
        if (*spec.default_value) {
            settings.values_[spec.key] = spec.default_value;
            settings.origins_[spec.key] = "default";
        }
    }
    // A relative SQLite path is relative to the config file, like every other path.
    auto& url = settings.values_["store.url"];
    if (url.rfind("sqlite3:", 0) == 0 && std::filesystem::path(url.substr(8)).is_relative())
        url = "sqlite3:" + (base / url.substr(8)).lexically_normal().string();
    if (settings.text("axis.secret_file").empty() == settings.text("axis.secret_env").empty())
        problems.push_back("give exactly one of axis.secret_file and axis.secret_env");
    const bool signs = settings.has("signing.key_file") || settings.has("signing.certificate_file");
    if (signs && !(settings.has("signing.key_file") && settings.has("signing.certificate_file")))
        problems.push_back("signing.key_file and signing.certificate_file go together");
    // A policy that verifies without anchors would call every signature "unchecked":
    // silently checking nothing is worse than refusing to start.
    if (settings.text("verify.policy") != "off" && settings.text("verify.trust").empty())
        problems.push_back("verify.policy = " + settings.text("verify.policy") +
                           " needs verify.trust (trust anchors), or set verify.policy = off");
    if (settings.has("audit.checkpoint_file") && !settings.has("signing.key_file"))
        problems.push_back("audit.checkpoint_file needs signing.key_file (checkpoints are signed)");
    const std::string ocsp = settings.text("verify.ocsp");
    if (!ocsp.empty() && ocsp != "aia" && ocsp.rfind("http://", 0) != 0)
        problems.push_back("verify.ocsp: '" + ocsp + "' is neither an http:// URL nor 'aia'");
    if (!problems.empty()) {
        std::string message;
        for (const auto& problem : problems)
            message += (message.empty() ? "" : "\n") + problem;
        throw ConfigError(message);
    }
    return settings;
}

std::string Settings::text(const std::string& key) const {
    const auto found = values_.find(key);
    return found == values_.end() ? std::string() : found->second;
}

long long Settings::integer(const std::string& key) const {
    const std::string value = text(key);
    return value.empty() ? 0 : std::stoll(value);
}

bool Settings::has(const std::string& key) const {
    const auto found = values_.find(key);
    return found != values_.end() && !found->second.empty();
}

std::string Settings::origin(const std::string& key) const {
    const auto found = origins_.find(key);
    return found == origins_.end() ? std::string("unset") : found->second;
}

std::vector<std::pair<std::string, std::string>> Settings::effective() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const SettingSpec& spec : setting_table()) {
        if (has(spec.key))
            out.emplace_back(spec.key, text(spec.key));
    }
    return out;
}

std::string defaults_file() {
    std::string text = "# connector settings: key = value; CONNECTOR_<KEY> overrides.\n";
    for (const SettingSpec& spec : setting_table()) {
        text += "\n";
        if (*spec.help)
            text += std::string("# ") + spec.help + "\n";
        text +=
            std::string(spec.required ? "" : "# ") + spec.key + " = " + spec.default_value + "\n";
    }
    return text;
}

}  // namespace config
