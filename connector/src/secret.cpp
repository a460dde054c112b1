#include "connector/secret.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "connector/error.hpp"

namespace connector {

void check_secret_file(const std::string& setting, const std::string& path,
                       const SecretFileRules& rules) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0)
        throw ConfigError(setting + ": cannot read " + path);
    if ((status.st_mode & 077) == 0)
        return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    const std::string problem = setting + ": " + path + " has mode " + mode +
                                ": group or others may read it (chmod 600 " + path + ")";
    if (!rules.allow_loose_permissions)
        throw ConfigError(problem + "; secrets.allow_loose_permissions = true accepts it");
    if (rules.warn)
        rules.warn(problem + " (accepted: secrets.allow_loose_permissions = true)");
}

std::string read_secret(const std::string& setting, const std::string& file,
                        const std::string& environment_variable, const SecretFileRules& rules) {
    if (file.empty() == environment_variable.empty())
        throw ConfigError(setting +
                          ": give exactly one of a secret file or an environment variable");
    std::string secret;
    if (!file.empty()) {
        check_secret_file(setting, file, rules);
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

std::string redact_url(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos)
        return url;
    std::string out = url;
    const auto authority_end = out.find_first_of("/?#", scheme + 3);
    const auto at = out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
    if (at != std::string::npos && at > scheme) {
        const auto colon = out.find(':', scheme + 3);
        if (colon != std::string::npos && colon < at)
            out = out.substr(0, colon + 1) + "***" + out.substr(at);
    }
    const auto query = out.find('?');
    if (query == std::string::npos)
        return out;
    std::string redacted = out.substr(0, query + 1);
    const std::string rest = out.substr(query + 1);
    std::size_t start = 0;
    while (start <= rest.size()) {
        std::size_t end = rest.find('&', start);
        if (end == std::string::npos)
            end = rest.size();
        const std::string pair = rest.substr(start, end - start);
        const auto equals = pair.find('=');
        std::string key = pair.substr(0, equals);
        std::string lowered;
        for (const char c : key)
            lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool secret = false;
        for (const char* word : {"token", "key", "secret", "pass", "sig", "auth", "credential"})
            secret = secret || lowered.find(word) != std::string::npos;
        redacted +=
            (start == 0 ? "" : "&") + (secret && equals != std::string::npos ? key + "=***" : pair);
        start = end + 1;
    }
    return redacted;
}

}  // namespace connector
