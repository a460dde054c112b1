// The single `connector` executable. For now it carries the edXML tools, the store
// commands, an axis client command and the axis simulator; the daemon arrives with its
// issue.
#include <iostream>
#include <string>
#include <vector>

#include "axis_commands.hpp"
#include "axis_sim/simulator.hpp"
#include "edxml/cli.hpp"
#include "store_commands.hpp"

namespace {

constexpr const char* kUsage =
    "usage: connector <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  edxml inspect|validate|attachments|sign|verify …\n"
    "                                          work with edXML packages (connector edxml --help)\n"
    "  migrate [--store URL]                   apply database migrations (default "
    "sqlite3:var/connector.db)\n"
    "  audit verify-chain [--store URL]        check the hash chains of the message and audit "
    "logs\n"
    "  axis OPERATION --url URL --systemid ID …\n"
    "                                          one axis call with the connector's client "
    "(connector axis --help)\n"
    "  axis-sim --config FILE [options]        run the VDXP axis simulator (connector axis-sim "
    "--help)\n"
    "  version                                 print the version\n"
    "  help                                    this text\n";

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << kUsage;
        return 2;
    }
    const std::string& command = args[0];
    if (command == "edxml") {
        return edxml::run_cli(std::vector<std::string>(args.begin() + 1, args.end()), std::cout,
                              std::cerr);
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "axis")
        return daemon_commands::axis(rest, std::cout, std::cerr);
    if (command == "axis-sim")
        return axis_sim::run_cli(rest, std::cout, std::cerr);
    if (command == "migrate")
        return daemon_commands::migrate(rest, std::cout, std::cerr);
    if (command == "audit" && !rest.empty() && rest[0] == "verify-chain") {
        return daemon_commands::verify_chain(std::vector<std::string>(rest.begin() + 1, rest.end()),
                                             std::cout, std::cerr);
    }
    if (command == "version" || command == "--version") {
        std::cout << "connector " << CONNECTOR_VERSION << "\n";
        return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
        std::cout << kUsage;
        return 0;
    }
    std::cerr << "unknown command '" << command << "'\n" << kUsage;
    return 2;
}
