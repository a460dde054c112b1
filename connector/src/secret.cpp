#include "connector/secret.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "connector/error.hpp"

namespace connector {

std::string read_secret(const std::string& setting, const std::string& file,
                        const std::string& environment_variable) {
    if (file.empty() == environment_variable.empty())
        throw ConfigError(setting +
                          ": give exactly one of a secret file or an environment variable");
    std::string secret;
    if (!file.empty()) {
        std::ifstream in(file, std::ios::binary);
        if (!in)
            throw ConfigError(setting + ": cannot read secret file " + file);
        std::ostringstream text;
        text << in.rdbuf();
        secret = text.str();
        if (!secret.empty() && secret.back() == '\n')
            secret.pop_back();
        if (!secret.empty() && secret.back() == '\r')
            secret.pop_back();
    } else {
        const char* value = std::getenv(environment_variable.c_str());
        if (value == nullptr)
            throw ConfigError(setting + ": environment variable " + environment_variable +
                              " is not set");
        secret = value;
    }
    if (secret.empty())
        throw ConfigError(setting + ": the secret is empty");
    return secret;
}

}  // namespace connector
