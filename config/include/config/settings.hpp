// The connector's settings: one table (key, type, default, help) from which the loader,
// `connector check-config` and `connector config defaults` all follow. A config file is
// "key = value" lines (# comments); CONNECTOR_<KEY> environment variables (dots as
// underscores, upper case) override it. Unknown keys and bad values are errors naming
// the file, the line and the key. Secrets are never values here: only the names of
// files or environment variables that hold them.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace config {

// paths: a comma-separated list of paths, each relative to the config file.
enum class SettingType { text, path, paths, integer, choice };

struct SettingSpec {
    const char* key;
    SettingType type;
    const char* default_value;  // "" = none
    const char* help;
    const char* choices;  // for SettingType::choice: "a|b|c"
    bool required;
};

// Every setting the connector knows, in the order `config defaults` prints them.
const std::vector<SettingSpec>& setting_table();

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Settings {
  public:
    // Reads `path` (may be empty: defaults and environment only), then the environment.
    // Throws ConfigError listing every problem found, one per line.
    static Settings load(const std::string& path, char** environment);

    std::string text(const std::string& key) const;  // "" when unset
    long long integer(const std::string& key) const;
    bool has(const std::string& key) const;
    // Where a value came from, for check-config: "file:line", "environment", "default".
    std::string origin(const std::string& key) const;
    // The effective settings, for check-config (secrets are only file or variable names).
    std::vector<std::pair<std::string, std::string>> effective() const;

  private:
    std::map<std::string, std::string> values_;
    std::map<std::string, std::string> origins_;
};

// The items of a comma-separated setting (a `paths` value), trimmed, empty ones dropped.
std::vector<std::string> split_list(const std::string& value);

// The defaults as a commented config file.
std::string defaults_file();

}  // namespace config
