// `connector edxml …`: inspect, validate and unpack packages from the command line.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace edxml {

// Runs one `edxml` subcommand; `args` excludes "connector edxml". Returns the process
// exit code: 0 success, 1 the input failed (invalid package, unreadable file), 2 usage.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace edxml
