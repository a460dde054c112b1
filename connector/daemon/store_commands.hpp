// Store subcommands of the `connector` executable.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daemon_commands {

// connector migrate [--store URL]: applies missing migrations. Exit 0, 1 on error, 2 usage.
int migrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// connector backup --out FILE [--store URL | --config FILE]: an online copy of an SQLite
// store, with the chain heads it holds. Exit 0, 1 on error, 2 usage or PostgreSQL.
int backup(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// connector restore --from FILE [--store URL | --config FILE] [--replace]: puts a backup in
// place (migrating an older one) and verifies both chains. Exit 1 when a chain is broken.
int restore(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// connector audit verify-chain [--store URL | --config FILE] [--checkpoints FILE --cert PEM]
// [--expect-head …]: walks both chains; exit 1 when one is broken or does not match.
int verify_chain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
