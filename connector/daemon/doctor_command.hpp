// `connector doctor --config FILE`: each thing the daemon needs, checked one by one; the
// same checks for GET /api/v1/diagnostics (diagnose).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace daemon_commands {

enum class Outcome { ok, warning, broken };  // ✔, ! (works, but act soon), ✘
const char* outcome_name(Outcome outcome);   // "ok", "warning", "broken"

struct Diagnosis {
    Outcome outcome = Outcome::ok;
    std::string detail;  // what was found
    std::string advice;  // what to do (not for ok)
    std::string name;    // database, axis, clock, signing, trust anchors, CRLs, webhook
};

// Every check but the configuration's (it is loaded already), in order; each stands
// alone. Calls the axis (getAgenciesList) and connects to the webhook target.
std::vector<Diagnosis> diagnose(const config::Settings& settings);

// Prints one line per check, "✔", "!" or "✘", with what to do; exit 0 when nothing is
// broken, 1 when something is, 2 for usage.
int doctor(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
