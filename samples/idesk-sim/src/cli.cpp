// `idesk-sim`: serve the simulator until SIGINT or SIGTERM.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "idesk_sim/simulator.hpp"
#include "sample_support/http_server.hpp"
#include "text.hpp"

namespace idesk_sim {
namespace {

constexpr const char* kUsage =
    "usage: idesk-sim --connector URL --webhook-secret-file FILE [--token-file FILE]\n"
    "                 [--scenario FILE] [--name NAME] [--listen HOST:PORT]\n"
    "                 [--submit-timeout SECONDS]\n"
    "\n"
    "Plays iDesk's backend against the connector's API (docs/api.md): receives its\n"
    "webhooks on POST /webhook, submits the scenario's calls and plays its clerks\n"
    "(samples/idesk-sim/README.md).\n"
    "\n"
    "  --connector URL            the connector's base URL, e.g. http://127.0.0.1:8380\n"
    "  --webhook-secret-file FILE the connector's webhook.secret_file (one trailing\n"
    "                             newline is dropped)\n"
    "  --token-file FILE          the API token (role backend); default: the environment\n"
    "                             variable IDESK_SIM_TOKEN\n"
    "  --scenario FILE            what to submit at start and how the clerks answer\n"
    "  --name NAME                prefix of the clerks' Idempotency-Keys (idesk-sim)\n"
    "  --listen HOST:PORT         where to serve (127.0.0.1:0; port 0 = any free port)\n"
    "  --submit-timeout SECONDS   how long a submission (or a step answered 429) is\n"
    "                             retried (60)\n"
    "\n"
    "Once listening it prints one line, then serves until SIGINT or SIGTERM:\n"
    "  idesk-sim listening on http://HOST:PORT\n"
    "Admin endpoints on the same server: GET /state, POST /admin/availability {\"up\": false},\n"
    "GET /healthz.\n"
    "Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for bad\n"
    "arguments, files or scenario.\n";

// Bad arguments: the message names the option or the file.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A secret or token file, as the connector reads its secret files: one trailing newline
// (LF or CRLF) is dropped.
std::string read_secret_file(const std::string& option, const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw UsageError(option + ": cannot read " + path);
    std::ostringstream text;
    text << file.rdbuf();
    std::string secret = text.str();
    if (!secret.empty() && secret.back() == '\n')
        secret.pop_back();
    if (!secret.empty() && secret.back() == '\r')
        secret.pop_back();
    if (secret.empty())
        throw UsageError(option + ": " + path + " is empty");
    return secret;
}

void check_token(const std::string& token, const std::string& source) {
    for (const char c : token) {
        if (c <= 0x20 || c > 0x7E)
            throw UsageError(source + ": the token must be printable ASCII without spaces");
    }
}

unsigned long number_in(const std::string& option, const std::string& value, unsigned long min,
                        unsigned long max) {
    if (!is_digits(value) || value.size() > 9 || std::stoul(value) < min || std::stoul(value) > max)
        throw UsageError(option + " '" + value + "' is not a whole number " + std::to_string(min) +
                         ".." + std::to_string(max));
    return std::stoul(value);
}

void parse_listen(const std::string& value, SimulatorSettings& settings) {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw UsageError("--listen '" + value + "' must be HOST:PORT, e.g. 127.0.0.1:0");
    std::string host = value.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    settings.host = host;
    settings.port =
        static_cast<unsigned short>(number_in("--listen port", value.substr(colon + 1), 0, 65535));
}

SimulatorSettings settings_from(const std::vector<std::string>& args) {
    static const std::vector<std::string> kOptions{
        "--connector", "--token-file", "--webhook-secret-file", "--scenario",
        "--name",      "--listen",     "--submit-timeout"};
    std::map<std::string, std::string> values;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (std::find(kOptions.begin(), kOptions.end(), arg) == kOptions.end())
            throw UsageError("unknown argument '" + arg + "'");
        if (i + 1 >= args.size())
            throw UsageError(arg + " needs a value");
        if (!values.emplace(arg, args[++i]).second)
            throw UsageError(arg + " is given twice");
    }
    const auto value = [&](const std::string& option) {
        const auto found = values.find(option);
        return found == values.end() ? std::string() : found->second;
    };

    SimulatorSettings settings;
    settings.connector_url = value("--connector");
    if (settings.connector_url.empty())
        throw UsageError("--connector URL is required");
    if (value("--webhook-secret-file").empty())
        throw UsageError("--webhook-secret-file FILE is required");
    settings.webhook_secret =
        read_secret_file("--webhook-secret-file", value("--webhook-secret-file"));
    if (!value("--token-file").empty()) {
        settings.token = read_secret_file("--token-file", value("--token-file"));
        check_token(settings.token, "--token-file " + value("--token-file"));
    } else {
        const char* token = std::getenv("IDESK_SIM_TOKEN");
        if (!token || !*token)
            throw UsageError("an API token is required: --token-file FILE or IDESK_SIM_TOKEN");
        settings.token = token;
        check_token(settings.token, "IDESK_SIM_TOKEN");
    }
    if (values.count("--name")) {
        settings.name = value("--name");
        if (settings.name.empty() || settings.name.size() > 64 ||
            settings.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789._-") != std::string::npos)
            throw UsageError("--name '" + settings.name +
                             "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (values.count("--listen"))
        parse_listen(value("--listen"), settings);
    if (values.count("--submit-timeout"))
        settings.submit_timeout = std::chrono::seconds(
            number_in("--submit-timeout", value("--submit-timeout"), 1, 86400));
    if (values.count("--scenario")) {
        try {
            settings.scenario = load_scenario(value("--scenario"));
        } catch (const std::runtime_error& error) {
            throw UsageError(std::string("--scenario ") + error.what());
        }
    }
    return settings;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    for (const std::string& arg : args) {
        if (arg == "--help" || arg == "-h") {
            out << kUsage;
            return 0;
        }
    }
    SimulatorSettings settings;
    try {
        settings = settings_from(args);
    } catch (const UsageError& error) {
        err << "idesk-sim: " << error.what() << "\n" << (args.empty() ? kUsage : "");
        return 2;
    }
    settings.log = &err;

    // A webhook sender that hangs up must not kill the simulator.
    signal(SIGPIPE, SIG_IGN);
    sample_support::BlockedSignals signals;
    std::unique_ptr<Simulator> simulator;
    try {
        simulator = std::make_unique<Simulator>(std::move(settings));
    } catch (const std::invalid_argument& error) {
        err << "idesk-sim: " << error.what() << "\n";
        return 2;
    }
    try {
        simulator->start();
        out << "idesk-sim listening on " << simulator->base_url() << std::endl;
        signals.wait();
        simulator->stop();
    } catch (const std::exception& error) {
        err << "idesk-sim: " << error.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace idesk_sim
