// Secrets from a file or the environment, with errors that name the setting.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "connector/error.hpp"
#include "connector/secret.hpp"

namespace {

bool names(const connector::ConfigError& error, const std::string& text) {
    return std::string(error.what()).find(text) != std::string::npos;
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("connector-secret-test-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path, std::ios::binary) << content;
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(secret)

BOOST_AUTO_TEST_CASE(file_secret_drops_one_trailing_newline) {
    const auto path = temp_file("newline", "s3cret value\n");
    BOOST_TEST(connector::read_secret("axis.secret", path.string(), "") == "s3cret value");
    const auto crlf = temp_file("crlf", "s3cret\r\n");
    BOOST_TEST(connector::read_secret("axis.secret", crlf.string(), "") == "s3cret");
    std::filesystem::remove(path);
    std::filesystem::remove(crlf);
}

BOOST_AUTO_TEST_CASE(environment_secret) {
    ::setenv("CONNECTOR_TEST_SECRET", "from-env", 1);
    BOOST_TEST(connector::read_secret("axis.secret", "", "CONNECTOR_TEST_SECRET") == "from-env");
    ::unsetenv("CONNECTOR_TEST_SECRET");
    BOOST_CHECK_EXCEPTION(connector::read_secret("axis.secret", "", "CONNECTOR_TEST_SECRET"),
                          connector::ConfigError, [](const connector::ConfigError& error) {
                              return names(error, "axis.secret") &&
                                     names(error, "CONNECTOR_TEST_SECRET");
                          });
}

BOOST_AUTO_TEST_CASE(unusable_sources_name_the_setting) {
    const auto is_axis_secret = [](const connector::ConfigError& error) {
        return names(error, "axis.secret");
    };
    BOOST_CHECK_EXCEPTION(connector::read_secret("axis.secret", "", ""), connector::ConfigError,
                          is_axis_secret);
    BOOST_CHECK_EXCEPTION(connector::read_secret("axis.secret", "/etc/hostname", "HOME"),
                          connector::ConfigError, is_axis_secret);
    BOOST_CHECK_EXCEPTION(connector::read_secret("axis.secret", "/nonexistent/secret", ""),
                          connector::ConfigError, is_axis_secret);
    const auto empty = temp_file("empty", "\n");
    BOOST_CHECK_EXCEPTION(connector::read_secret("axis.secret", empty.string(), ""),
                          connector::ConfigError, is_axis_secret);
    std::filesystem::remove(empty);
}

// Issue 12: a secret anyone on the machine may read is no secret; it is refused unless
// the operator says otherwise, and then it is warned about.
BOOST_AUTO_TEST_CASE(secret_files_open_to_group_or_others_are_refused) {
    const auto path = temp_file("loose", "s3cret\n");
    std::filesystem::permissions(path, std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    BOOST_CHECK_EXCEPTION(connector::read_secret("axis.secret_file", path.string(), ""),
                          connector::ConfigError, [](const connector::ConfigError& error) {
                              return names(error, "axis.secret_file") && names(error, "0640") &&
                                     names(error, "chmod 600");
                          });
    std::vector<std::string> warnings;
    connector::SecretFileRules relaxed;
    relaxed.allow_loose_permissions = true;
    relaxed.warn = [&](const std::string& warning) { warnings.push_back(warning); };
    BOOST_TEST(connector::read_secret("axis.secret_file", path.string(), "", relaxed) == "s3cret");
    BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
    BOOST_TEST(warnings.front().find("0640") != std::string::npos);
    std::filesystem::remove(path);
}

// Issue 12: check-config and the logs print URLs; a password or a key in one must not.
BOOST_AUTO_TEST_CASE(urls_with_credentials_are_redacted) {
    using connector::redact_url;
    BOOST_TEST(redact_url("postgresql://connector:s3cr%40t@db.internal:5432/connector") ==
               "postgresql://connector:***@db.internal:5432/connector");
    BOOST_TEST(redact_url("https://idesk.example/hooks?token=abc&x=1&api_key=k") ==
               "https://idesk.example/hooks?token=***&x=1&api_key=***");
    BOOST_TEST(redact_url("http://user@host:8080/path") == "http://user@host:8080/path");
    BOOST_TEST(redact_url("http://10.0.0.5:8080/XrdAdapter/adapter") ==
               "http://10.0.0.5:8080/XrdAdapter/adapter");
    // An '@' after the authority is not user info.
    BOOST_TEST(redact_url("http://host/a@b?sig=1") == "http://host/a@b?sig=***");
    BOOST_TEST(redact_url("not a url: keep") == "not a url: keep");
    BOOST_TEST(redact_url("sqlite3:var/connector.db") == "sqlite3:var/connector.db");
}

BOOST_AUTO_TEST_SUITE_END()
