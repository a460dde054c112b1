// Secrets (the axis secret, passphrases, tokens) come from a file or an environment
// variable, never from a config value in clear or the command line (CODING_GUIDELINES).
#pragma once

#include <string>

namespace connector {

// Reads the secret named by exactly one of `file` (one trailing newline is dropped) and
// `environment_variable`. Throws ConfigError naming `setting` when neither or both are
// given, the file cannot be read, the variable is unset, or the secret is empty.
std::string read_secret(const std::string& setting, const std::string& file,
                        const std::string& environment_variable);

}  // namespace connector
