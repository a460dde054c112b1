// The auditors' commands of the `connector` executable (but verify-chain, in
// store_commands): the message log and audit events listed, one message shown, evidence
// bundles exported and checked.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daemon_commands {

// connector audit messages|show|events|export|verify-bundle …: exit 0, 1 when something
// failed (a bundle refused), 2 on a usage error.
int audit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
