// `axis-sim`: serve the simulator until SIGINT or SIGTERM.
#include <signal.h>

#include <exception>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "axis_sim/simulator.hpp"
#include "sample_support/http_server.hpp"

namespace axis_sim {
namespace {

constexpr const char* kUsage =
    "usage: axis-sim --config FILE [--host HOST] [--port N] [--database PATH]\n"
    "                [--base-path PATH]\n"
    "\n"
    "Serves the VDXP axis simulator described in samples/axis-sim/README.md until SIGINT\n"
    "or SIGTERM. Options override the config file's keys of the same name; --database ''\n"
    "keeps the state in memory only. Once listening it prints one line:\n"
    "  axis-sim listening on <base URL>\n"
    "Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for bad\n"
    "arguments or a bad config file.\n";

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string config_path;
    std::optional<std::string> host, database, base_path;
    std::optional<unsigned short> port;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            out << kUsage;
            return 0;
        }
        const bool takes_value = arg == "--config" || arg == "--host" || arg == "--port" ||
                                 arg == "--database" || arg == "--base-path";
        if (!takes_value) {
            err << "axis-sim: unknown argument '" << arg << "'\n" << kUsage;
            return 2;
        }
        if (i + 1 >= args.size()) {
            err << "axis-sim: " << arg << " needs a value\n" << kUsage;
            return 2;
        }
        const std::string& value = args[++i];
        if (arg == "--config") {
            config_path = value;
        } else if (arg == "--host") {
            host = value;
        } else if (arg == "--database") {
            database = value;
        } else if (arg == "--base-path") {
            base_path = value;
        } else {
            std::size_t used = 0;
            unsigned long number = 0;
            try {
                number = std::stoul(value, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != value.size() || value.empty() || number > 65535) {
                err << "axis-sim: --port '" << value << "' is not a port number (0-65535)\n";
                return 2;
            }
            port = static_cast<unsigned short>(number);
        }
    }
    if (config_path.empty()) {
        err << "axis-sim: --config FILE is required\n" << kUsage;
        return 2;
    }

    SimulatorConfig config;
    try {
        config = load_config(config_path);
    } catch (const std::exception& error) {
        err << "axis-sim: " << error.what() << "\n";
        return 2;
    }
    if (host)
        config.host = *host;
    if (port)
        config.port = *port;
    if (database)
        config.database = *database;
    if (base_path) {
        if (!base_path->empty() && base_path->front() != '/') {
            err << "axis-sim: --base-path must start with '/'\n";
            return 2;
        }
        config.base_path = *base_path;
    }

    sample_support::BlockedSignals signals;
    try {
        Simulator simulator(std::move(config));
        simulator.start();
        out << "axis-sim listening on " << simulator.base_url() << std::endl;
        signals.wait();
        simulator.stop();
    } catch (const std::exception& error) {
        err << "axis-sim: " << error.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace axis_sim
