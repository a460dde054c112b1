// `connector doctor --config FILE`: each thing the daemon needs, checked one by one.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daemon_commands {

// Prints one line per check, "✔", "!" (works, but act soon) or "✘" (broken), with what
// to do; exit 0 when nothing is broken, 1 when something is, 2 for usage.
int doctor(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
