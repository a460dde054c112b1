// Secrets (the axis secret, passphrases, tokens) come from a file or an environment
// variable, never from a config value in clear or the command line (CODING_GUIDELINES).
#pragma once

#include <functional>
#include <string>

namespace connector {

// How strictly secret files are judged: by default a file that group or others may read
// or write is refused; `allow_loose_permissions` (secrets.allow_loose_permissions) accepts
// it and reports a warning instead.
struct SecretFileRules {
    bool allow_loose_permissions = false;
    std::function<void(const std::string&)> warn;  // may be empty
};

// Throws ConfigError naming `setting` and the mode when `path` (a secret, a private key,
// a passphrase) is open to group or others, unless the rules allow it.
void check_secret_file(const std::string& setting, const std::string& path,
                       const SecretFileRules& rules = {});

// Reads the secret named by exactly one of `file` (one trailing newline is dropped) and
// `environment_variable`. Throws ConfigError naming `setting` when neither or both are
// given, the file cannot be read, the variable is unset, or the secret is empty.
// The file must pass check_secret_file.
std::string read_secret(const std::string& setting, const std::string& file,
                        const std::string& environment_variable, const SecretFileRules& rules = {});

// A URL fit for a log or a screen: a password in its user info and the values of query
// parameters that look like credentials (token, key, secret, password, sig…) become
// "***". Text that is not a URL comes back unchanged.
std::string redact_url(const std::string& url);

}  // namespace connector
