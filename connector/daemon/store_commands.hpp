// Store subcommands of the `connector` executable.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daemon_commands {

// connector migrate [--store URL]: applies missing migrations. Exit 0, 1 on error, 2 usage.
int migrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// connector audit verify-chain [--store URL | --config FILE] [--checkpoints FILE --cert PEM]
// [--expect-head …]: walks both chains; exit 1 when one is broken or does not match.
int verify_chain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
