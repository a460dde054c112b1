// The log's line formats: values that cannot forge a field or a line (text and JSON),
// bytes that are not UTF-8, oversized values; the outputs (stderr, journald's priority
// prefix, a rotated file) and the levels per layer.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "connector/error.hpp"
#include "connector/logging.hpp"

namespace logging = connector::logging;

namespace {

// What key=value parsing of a text line sees: the keys in order.
std::vector<std::string> text_keys(const std::string& line) {
    std::vector<std::string> keys;
    std::size_t at = line.find(' ') + 1;  // after the time
    while (at < line.size()) {
        const std::size_t equals = line.find('=', at);
        if (equals == std::string::npos)
            break;
        keys.push_back(line.substr(at, equals - at));
        std::size_t end = equals + 1;
        if (end < line.size() && line[end] == '"') {
            ++end;
            while (end < line.size() && line[end] != '"')
                end += line[end] == '\\' ? 2 : 1;
            ++end;
        } else {
            end = line.find(' ', end);
            if (end == std::string::npos)
                end = line.size();
        }
        at = end + 1;
    }
    return keys;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// Puts the process's log back as the other tests expect it.
struct RestoreLog {
    ~RestoreLog() { logging::configure({}, std::cerr); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(log_lines)

BOOST_AUTO_TEST_CASE(plain_values_are_bare_and_the_others_quoted) {
    const std::vector<logging::Field> fields = {{"package", "G22.2026.17"},
                                                {"task", "H20#1"},
                                                {"attempts", 3},
                                                {"subject", "Báo cáo tiến độ"},
                                                {"code", ""}};
    const std::string line =
        logging::format_line(logging::Format::text, "2026-12-04T05:00:00.000Z",
                             logging::Level::info, logging::Layer::sync, "PACKAGE_SENT", fields);
    BOOST_TEST(
        line ==
        "2026-12-04T05:00:00.000Z level=info logger=connector.sync event=PACKAGE_SENT "
        "package=G22.2026.17 task=H20#1 attempts=3 subject=\"Báo cáo tiến độ\"");  // the empty code
                                                                                   // left out
}

BOOST_AUTO_TEST_CASE(a_value_cannot_forge_a_field_or_a_line_in_text) {
    // What a DocumentId or an error message from the axis might hold.
    const std::string hostile =
        "x level=error event=DAEMON_FAILED\nforged=\"yes\" \\\" end\r\t\x01";
    const std::vector<logging::Field> fields = {{"package", hostile}, {"task", "T1"}};
    const std::string line = logging::format_line(logging::Format::text, "2026-12-04T05:00:00.000Z",
                                                  logging::Level::info, logging::Layer::axis,
                                                  "PACKAGE_RECEIVED", fields);
    BOOST_TEST(line.find('\n') == std::string::npos);
    BOOST_TEST(line.find('\r') == std::string::npos);
    BOOST_TEST(line.find('\x01') == std::string::npos);
    BOOST_TEST(text_keys(line) ==
                   (std::vector<std::string>{"level", "logger", "event", "package", "task"}),
               line);
    BOOST_TEST(
        line.find(
            R"(package="x level=error event=DAEMON_FAILED\nforged=\"yes\" \\\" end\r\t\x01")") !=
            std::string::npos,
        line);
}

BOOST_AUTO_TEST_CASE(a_value_cannot_forge_a_member_in_json_and_the_line_stays_json) {
    const std::string hostile = "x\",\"level\":\"error\",\"event\":\"DAEMON_FAILED\"}\n{\"a\":\"";
    const std::string not_utf8 = std::string("caf\xC3", 4) + "\xFF\xFE" + "\xED\xA0\x80";
    const std::vector<logging::Field> fields = {
        {"package", hostile}, {"detail", not_utf8}, {"attempts", 2}, {"retried", true}};
    const std::string line = logging::format_line(logging::Format::json, "2026-12-04T05:00:00.000Z",
                                                  logging::Level::warning, logging::Layer::axis,
                                                  "PACKAGE_SEND_FAILED", fields);
    BOOST_TEST(line.find('\n') == std::string::npos);
    Poco::JSON::Parser parser;
    const auto object = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
    BOOST_TEST(object->size() == 8u, line);
    BOOST_TEST(object->getValue<std::string>("level") == "warning");
    BOOST_TEST(object->getValue<std::string>("event") == "PACKAGE_SEND_FAILED");
    BOOST_TEST(object->getValue<std::string>("logger") == "connector.axis");
    BOOST_TEST(object->getValue<std::string>("package") == hostile);
    BOOST_TEST(object->getValue<std::string>("detail") ==
               "caf\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    BOOST_TEST(object->getValue<int>("attempts") == 2);
    BOOST_TEST(object->getValue<bool>("retried") == true);
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_utf8_are_escaped_in_text) {
    const std::vector<logging::Field> fields = {
        {"detail", std::string("a\xC3(b\xF0\x9F\x98\x80", 8)}};
    const std::string line =
        logging::format_line(logging::Format::text, "", logging::Level::error,
                             logging::Layer::edxml, "PACKAGE_UNREADABLE", fields);
    BOOST_TEST(line ==
               "level=error logger=connector.edxml event=PACKAGE_UNREADABLE "
               "detail=\"a\\xc3(b\xF0\x9F\x98\x80\"");
}

BOOST_AUTO_TEST_CASE(an_oversized_value_is_cut_at_a_character_and_counted) {
    const std::string huge = "đ" + std::string(logging::kMaxValueBytes * 4, 'a') + "đ";
    const std::vector<logging::Field> fields = {{"subject", huge}};
    for (const auto format : {logging::Format::text, logging::Format::json}) {
        const std::string line = logging::format_line(
            format, "", logging::Level::info, logging::Layer::sync, "PACKAGE_APPLIED", fields);
        BOOST_TEST(line.size() < logging::kMaxValueBytes + 200);
        BOOST_TEST(line.find("…[+" + std::to_string(huge.size() - logging::kMaxValueBytes) +
                             " bytes]") != std::string::npos,
                   line.substr(line.size() - 60));
    }
}

BOOST_AUTO_TEST_CASE(journald_gets_priorities_and_no_time_and_levels_hold_per_layer) {
    RestoreLog restore;
    std::ostringstream err;
    logging::Output output;
    output.target = "journald";
    output.level = logging::Level::warning;
    output.layer_levels = "http=debug, connector.store=error";
    logging::configure(output, err);
    logging::sync.info("PASS_DONE", {{"pass", "outbox.send"}});  // under warning: left out
    logging::sync.warning("POLL_LEASE_LOST", {{"type", "edoc"}});
    logging::http.debug("WEBHOOK_LEASE_TAKEN", {{"owner", "h:1"}});
    logging::store.warning("STORE_UNAVAILABLE");  // under error: left out
    logging::store.error("CHECKPOINT_FAILED", {{"detail", "disk full"}});
    BOOST_TEST(
        err.str() ==
        "<4>level=warning logger=connector.sync event=POLL_LEASE_LOST type=edoc\n"
        "<7>level=debug logger=connector.http event=WEBHOOK_LEASE_TAKEN owner=h:1\n"
        "<3>level=error logger=connector.store event=CHECKPOINT_FAILED detail=\"disk full\"\n");
    BOOST_TEST(logging::sync.enabled(logging::Level::warning));
    BOOST_TEST(!logging::sync.enabled(logging::Level::info));
    logging::set_levels(logging::Level::info, "");
    BOOST_TEST(logging::sync.enabled(logging::Level::info));
    BOOST_TEST(!logging::http.enabled(logging::Level::debug));
}

BOOST_AUTO_TEST_CASE(stderr_lines_carry_the_time_and_json_is_one_object_a_line) {
    RestoreLog restore;
    std::ostringstream err;
    logging::Output output;
    output.format = logging::Format::json;
    logging::configure(output, err);
    logging::daemon.info("DAEMON_STARTED", {{"agency", "000.00.00.H20"}});
    logging::daemon.info("DAEMON_STOPPED");
    std::istringstream lines(err.str());
    int count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
        Poco::JSON::Parser parser;
        const auto object = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
        const std::string time = object->getValue<std::string>("time");
        BOOST_TEST(time.size() == 24u, time);  // 2026-12-04T05:00:00.000Z
        BOOST_TEST(time.back() == 'Z');
    }
    BOOST_TEST(count == 2);
}

BOOST_AUTO_TEST_CASE(a_file_is_rotated_and_old_ones_purged) {
    RestoreLog restore;
    const auto folder = std::filesystem::temp_directory_path() / "connector-log-rotation";
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    logging::Output output;
    output.target = "file";
    output.file = (folder / "connector.log").string();
    output.rotate = "1 K";
    output.keep = 2;
    logging::configure(output, std::cerr);
    for (int i = 0; i < 200; ++i)
        logging::sync.info("PACKAGE_APPLIED", {{"message", i}, {"package", "G22.2026.17"}});
    logging::configure({}, std::cerr);  // closes the file
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    // The current file and `keep` archives (which two of the numbers: Poco purges by age,
    // and these were all written within the same second).
    BOOST_TEST(names.size() == 3u);
    BOOST_TEST(names.front() == "connector.log");
    for (std::size_t i = 1; i < names.size(); ++i)
        BOOST_TEST(names[i].rfind("connector.log.", 0) == 0u, names[i]);
    const std::string current = read_file(folder / "connector.log");
    BOOST_TEST(current.size() <= 1200u);
    BOOST_TEST(current.find("message=199 ") != std::string::npos);
    BOOST_TEST(read_file(folder / names[1]).find("event=PACKAGE_APPLIED") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_settings_are_named) {
    RestoreLog restore;
    const auto refused = [](logging::Output output, const std::string& named) {
        try {
            logging::configure(output, std::cerr);
            BOOST_ERROR("accepted: " + named);
        } catch (const connector::ConfigError& error) {
            BOOST_TEST(std::string(error.what()).find(named) != std::string::npos, error.what());
        }
    };
    logging::Output output;
    output.layer_levels = "htp=debug";
    refused(output, "log.layer_levels: 'htp' is not a layer");
    output.layer_levels = "http=loud";
    refused(output, "log.layer_levels: 'loud' is not a level");
    output.layer_levels = "http";
    refused(output, "'http' is not layer=level");
    output = {};
    output.target = "file";
    refused(output, "log.file: needed");
    output.file = "/proc/no-such-folder/connector.log";
    refused(output, "log.file /proc/no-such-folder/connector.log");
    output.file = "/tmp/connector-log-bad-rotation.log";
    output.rotate = "sometimes";
    refused(output, "log.rotate 'sometimes'");
    output = {};
    output.target = "printer";
    refused(output, "log.output: 'printer'");
    BOOST_CHECK_THROW(logging::parse_level("verbose", "log.level"), connector::ConfigError);
}

BOOST_AUTO_TEST_CASE(a_capture_sees_every_level_and_finds_by_event) {
    RestoreLog restore;
    std::ostringstream err;
    logging::Output output;
    output.level = logging::Level::error;
    logging::configure(output, err);
    const logging::LineCapture capture;
    logging::sync.debug("PASS_DONE", {{"pass", "inbox.apply"}});
    logging::sync.warning("PACKAGE_REFUSED", {{"package", "P1"}, {"detail", "not party"}});
    BOOST_TEST(err.str().empty());
    BOOST_TEST(capture.lines().size() == 2u);
    BOOST_TEST(capture.lines(logging::Level::warning).size() == 1u);
    BOOST_TEST(capture.find("PACKAGE_REFUSED", "not party") ==
               "level=warning logger=connector.sync event=PACKAGE_REFUSED package=P1 "
               "detail=\"not party\"");
    BOOST_TEST(capture.find("PACKAGE", "P1").empty());  // the event, not a prefix of it
}

BOOST_AUTO_TEST_SUITE_END()
