// Axis subcommands of the `connector` executable.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daemon_commands {

// connector axis OPERATION …: one call through vdxp::HttpAxisClient (connector axis --help).
// Exit 0 done, 1 refused by the axis or the network, 2 usage or configuration.
int axis(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
