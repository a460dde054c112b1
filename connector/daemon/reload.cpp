// SIGHUP's configuration reload (reload.hpp). Everything is read and checked first, then
// applied: a file refused half-way leaves the daemon exactly as it was.
#include "reload.hpp"

#include <algorithm>
#include <map>

#include "connector/error.hpp"
#include "connector/logging.hpp"
#include "connector/plan_import.hpp"

extern char** environ;

namespace daemon_commands {

namespace {

namespace logging = connector::logging;

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& item : items)
        text += (text.empty() ? "" : ", ") + item;
    return text;
}

// Keys whose value differs between the two (set in one only counts), sorted.
std::vector<std::string> changed_keys(const config::Settings& before,
                                      const config::Settings& after) {
    std::map<std::string, std::string> old_values, new_values;
    for (const auto& [key, value] : before.effective())
        old_values[key] = value;
    for (const auto& [key, value] : after.effective())
        new_values[key] = value;
    std::vector<std::string> changed;
    for (const auto& [key, value] : new_values) {
        const auto found = old_values.find(key);
        if (found == old_values.end() || found->second != value)
            changed.push_back(key);
    }
    for (const auto& [key, value] : old_values)
        if (new_values.count(key) == 0)
            changed.push_back(key);
    std::sort(changed.begin(), changed.end());
    return changed;
}

void record(Context& context, const std::string& action, const std::string& config_path,
            const std::string& detail) {
    try {
        context.store->append_audit({0, "daemon", action, config_path, detail, "", "", ""});
    } catch (const std::exception& error) {
        // The reload stands (or was refused) whatever the store says; the log keeps it.
        logging::store.error("AUDIT_APPEND_FAILED", {{"action", action}, {"detail", error.what()}});
    }
}

}  // namespace

const std::vector<std::string>& reloadable_keys() {
    static const std::vector<std::string> keys = {"log.layer_levels", "log.level", "units.table",
                                                  "verify.crl", "verify.trust"};
    return keys;
}

ReloadOutcome reload_configuration(Context& context, const std::string& config_path,
                                   http_api::ApiServer* api) {
    ReloadOutcome outcome;
    const auto refuse = [&](const std::string& why) {
        outcome.detail = why;
        logging::daemon.error("CONFIG_RELOAD_REFUSED",
                              {{"config", config_path}, {"detail", why}, {"kept", "previous"}});
        record(context, "CONFIG_RELOAD_REFUSED", config_path, why);
        return outcome;
    };
    // 1. Read and check everything.
    std::optional<config::Settings> fresh;
    logging::Output levels;
    try {
        fresh = config::Settings::load(config_path, environ);
        levels = log_output(*fresh);
    } catch (const std::exception& error) {
        return refuse(error.what());
    }
    for (const std::string& key : changed_keys(context.settings, *fresh)) {
        const auto& reloadable = reloadable_keys();
        // Without a verifier built at start (nothing was verified), only a restart makes one.
        const bool trust_key = key == "verify.trust" || key == "verify.crl";
        if (std::find(reloadable.begin(), reloadable.end(), key) == reloadable.end() ||
            (trust_key && !context.verifier))
            outcome.needs_restart.push_back(key);
    }
    std::optional<std::vector<std::pair<std::string, std::string>>> units;
    if (fresh->has("units.table")) {
        try {
            const std::string path = fresh->text("units.table");
            units = connector::UnitDirectory::parse(read_text_file(path), path).entries();
        } catch (const std::exception& error) {
            return refuse(std::string("units.table: ") + error.what());
        }
    } else if (context.settings.has("units.table")) {
        units.emplace();  // removed: the API lists no unit
    }
    const edxml::TrustOptions trust = trust_options(*fresh);
    // 2. Apply. The trust is the one step that can still fail: it goes first.
    std::string applied;
    if (context.verifier) {
        try {
            const std::size_t anchors = context.verifier->reload_trust(trust.anchors, trust.crls);
            applied = std::to_string(anchors) + " trust anchor(s), " +
                      std::to_string(context.verifier->crls().size()) + " CRL(s)";
        } catch (const std::exception& error) {
            return refuse(std::string("verify.trust/verify.crl: ") + error.what());
        }
    }
    if (units) {
        if (api)
            api->set_agencies(*units);
        applied += (applied.empty() ? "" : ", ") + std::to_string(units->size()) + " unit(s)";
    }
    logging::set_levels(levels.level, levels.layer_levels);
    applied += (applied.empty() ? "" : ", ") + std::string("log.level ") + fresh->text("log.level");
    if (!levels.layer_levels.empty())
        applied += " (" + levels.layer_levels + ")";
    outcome.applied = true;
    outcome.detail = applied;
    logging::daemon.info("CONFIG_RELOADED", {{"config", config_path},
                                             {"applied", applied},
                                             {"restart_needed", joined(outcome.needs_restart)}});
    record(context, "CONFIG_RELOADED", config_path,
           applied + (outcome.needs_restart.empty()
                          ? std::string()
                          : "; a restart applies: " + joined(outcome.needs_restart)));
    return outcome;
}

}  // namespace daemon_commands
