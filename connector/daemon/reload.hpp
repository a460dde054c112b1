// SIGHUP: the configuration file read again, and what can change without a restart
// applied: the trust anchors and CRLs, the unit table, the log levels.
#pragma once

#include <string>
#include <vector>

#include "context.hpp"
#include "http_api/api_server.hpp"

namespace daemon_commands {

// The settings a reload applies; any other key that changed waits for a restart.
const std::vector<std::string>& reloadable_keys();

struct ReloadOutcome {
    bool applied = false;
    std::string detail;                      // what was reloaded, or why it was refused
    std::vector<std::string> needs_restart;  // keys changed that only a restart applies
};

// Reads `config_path` again and, all or nothing, re-reads the anchors and CRLs (from
// verify.trust and verify.crl as they are now), the unit table (given to `api`, which may
// be null) and sets the log levels. A file that does not load, or anchors, CRLs or a unit
// table that cannot be read, is refused and nothing changes. Says which in the log
// (CONFIG_RELOADED, CONFIG_RELOAD_REFUSED) and in the audit chain (same actions, actor
// "daemon"). Compared with the settings read at start (`context.settings`, left as is).
ReloadOutcome reload_configuration(Context& context, const std::string& config_path,
                                   http_api::ApiServer* api);

}  // namespace daemon_commands
