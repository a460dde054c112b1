// The daemon and the task commands of the `connector` executable.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace daemon_commands {

// connector run --config FILE [--once]: the daemon loop until SIGINT/SIGTERM.
int run(std::vector<std::string> args, std::ostream& out, std::ostream& err);
// connector check-config --config FILE: every setting, where it came from, and the checks.
int check_config(std::vector<std::string> args, std::ostream& out, std::ostream& err);
// connector config defaults: the settings table as a commented config file.
int config_defaults(std::ostream& out);
// connector task assign|report|list|show …
int task(std::vector<std::string> args, std::ostream& out, std::ostream& err);
// connector token create|revoke|list: API tokens for the backend API.
int token(std::vector<std::string> args, std::ostream& out, std::ostream& err);
// connector import-plan FILE --number N --notation X …
int import_plan(std::vector<std::string> args, std::ostream& out, std::ostream& err);
// `connector api routes`: the routes the HTTP server answers (docs/openapi.yaml must match).
int api_routes(std::vector<std::string> args, std::ostream& out, std::ostream& err);

}  // namespace daemon_commands
