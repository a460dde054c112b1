// The single `connector` executable: the daemon (run), its configuration and task
// commands, the edXML tools, the store commands and an axis client command. (The axis
// simulator is its own executable, samples/axis-sim: nothing of it ships in this one.)
#include <iostream>
#include <string>
#include <vector>

#include "audit_commands.hpp"
#include "axis_commands.hpp"
#include "doctor_command.hpp"
#include "edxml/cli.hpp"
#include "run_commands.hpp"
#include "store_commands.hpp"
#include "user_commands.hpp"

namespace {

constexpr const char* kUsage =
    "usage: connector <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  edxml inspect|validate|attachments|sign|verify …\n"
    "                                          work with edXML packages (connector edxml --help)\n"
    "  run --config FILE [--once] [--migrate]  the daemon: send, poll, apply until stopped\n"
    "                                          (--migrate: upgrade an older database first)\n"
    "  check-config --config FILE              check and print the settings\n"
    "  config defaults                         the settings table as a config file\n"
    "  doctor --config FILE                    check database, axis (our HMAC), signing,\n"
    "                                          trust anchors, CRLs and webhook target\n"
    "  task assign FILE.json | report CODE [--status NN] [--progress P] [--note T]\n"
    "       | list [--json] | show CODE        tasks (with --config FILE)\n"
    "  import-plan FILE --number N --notation X [--dry-run]\n"
    "                                          assign a plan appendix's tasks (with --config)\n"
    "  token create --name N --role R | revoke --name N | list\n"
    "                                          API tokens of the backend API (with --config)\n"
    "  user add --name N --role clerk|leader|auditor|admin [--unit CODE]...\n"
    "       [--password-file F | --generate] | list | disable --name N\n"
    "       | password --name N [--password-file F | --generate]\n"
    "                                          people who log in to the pages (with --config)\n"
    "  api routes                              the HTTP routes the daemon answers\n"
    "  migrate [--store URL]                   apply database migrations (default "
    "sqlite3:var/connector.db)\n"
    "  backup --out FILE [--store URL | --config FILE]\n"
    "                                          an online copy of an SQLite store (PostgreSQL: "
    "pg_dump)\n"
    "  restore --from FILE [--store URL | --config FILE] [--replace]\n"
    "                                          put a backup in place and verify its chains\n"
    "  audit verify-chain [--store URL | --config FILE] [--checkpoints FILE [--cert PEM]\n"
    "       [--to-last-checkpoint]] [--expect-head [CHAIN:]SEQ:HASH]\n"
    "                                          check the hash chains of the message and audit "
    "logs,\n"
    "                                          against signed checkpoints or a head noted "
    "elsewhere\n"
    "  audit messages [filters] [--json] | show SEQ [--raw] | events [filters] [--json]\n"
    "       | export SEQ... --out FILE.zip | verify-bundle FILE.zip --trust DIR\n"
    "                                          the message log and audit events, evidence "
    "bundles\n"
    "                                          (connector audit: the filters)\n"
    "  axis OPERATION --url URL --systemid ID …\n"
    "                                          one axis call with the connector's client "
    "(connector axis --help)\n"
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
    if (command == "run")
        return daemon_commands::run(rest, std::cout, std::cerr);
    if (command == "doctor")
        return daemon_commands::doctor(rest, std::cout, std::cerr);
    if (command == "check-config")
        return daemon_commands::check_config(rest, std::cout, std::cerr);
    if (command == "config" && rest.size() == 1 && rest[0] == "defaults")
        return daemon_commands::config_defaults(std::cout);
    if (command == "task")
        return daemon_commands::task(rest, std::cout, std::cerr);
    if (command == "token")
        return daemon_commands::token(rest, std::cout, std::cerr);
    if (command == "user")
        return daemon_commands::user(rest, std::cin, std::cout, std::cerr);
    if (command == "import-plan")
        return daemon_commands::import_plan(rest, std::cout, std::cerr);
    if (command == "axis")
        return daemon_commands::axis(rest, std::cout, std::cerr);
    if (command == "api")
        return daemon_commands::api_routes(rest, std::cout, std::cerr);
    if (command == "axis-sim") {
        std::cerr << "connector axis-sim: the axis simulator is its own executable now: "
                     "axis-sim (samples/axis-sim)\n";
        return 2;
    }
    if (command == "migrate")
        return daemon_commands::migrate(rest, std::cout, std::cerr);
    if (command == "backup")
        return daemon_commands::backup(rest, std::cout, std::cerr);
    if (command == "restore")
        return daemon_commands::restore(rest, std::cout, std::cerr);
    if (command == "audit" && !rest.empty() && rest[0] == "verify-chain") {
        return daemon_commands::verify_chain(std::vector<std::string>(rest.begin() + 1, rest.end()),
                                             std::cout, std::cerr);
    }
    if (command == "audit")
        return daemon_commands::audit(rest, std::cout, std::cerr);
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
