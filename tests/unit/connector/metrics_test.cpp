// The Prometheus text exposition: escaping that no value can break out of, histograms as
// Prometheus reads them (cumulative buckets, +Inf, _sum, _count), checked by promtool.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "connector/metrics.hpp"

using namespace connector;

namespace {

// What `promtool check metrics` says of `text` (empty: nothing wrong), and its status.
std::pair<int, std::string> promtool(const std::string& text, const std::string& name) {
    const std::string input = "/tmp/connector-metrics-" + name + ".txt";
    const std::string output = input + ".out";
    std::ofstream(input, std::ios::binary) << text;
    const int status =
        std::system(("promtool check metrics < " + input + " > " + output + " 2>&1").c_str());
    std::ifstream said(output);
    std::stringstream words;
    words << said.rdbuf();
    return {status, words.str()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(a_label_value_cannot_forge_a_line_or_a_label) {
    const std::string hostile = "valid\"} 1\nconnector_forged{x=\"\\";
    MetricFamily family{"connector_test_total",
                        "A test.\nWith a second line \\ and a slash.",
                        "counter",
                        {{{{"verdict", hostile}}, 3}},
                        {}};
    const std::string text = render_metrics({family});
    BOOST_TEST(text ==
               "# HELP connector_test_total A test.\\nWith a second line \\\\ and a slash.\n"
               "# TYPE connector_test_total counter\n"
               "connector_test_total{verdict=\"valid\\\"} 1\\nconnector_forged{x=\\\"\\\\\"} 3\n");
    const auto [status, said] = promtool(text, "hostile");
    BOOST_TEST(status == 0, said);
    // Nothing else on a line of its own: the forged series does not exist.
    BOOST_TEST(text.find("\nconnector_forged") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(histograms_are_cumulative_with_their_sum_and_count) {
    Metrics metrics;
    metrics.observe_pass("outbox.send", std::chrono::milliseconds(3));
    metrics.observe_pass("outbox.send", std::chrono::milliseconds(70));
    metrics.observe_pass("outbox.send", std::chrono::seconds(500));  // past every bound
    AxisError refused;
    refused.failure = AxisFailure::authentication;
    metrics.observe_axis_call("sendEdoc", std::chrono::milliseconds(20), &refused);
    metrics.observe_axis_call("sendEdoc", std::chrono::milliseconds(20), nullptr);
    metrics.set_circuit_open(true);
    const std::string text = render_metrics(metrics.families());
    const auto has = [&](const std::string& line) {
        BOOST_TEST(text.find("\n" + line + "\n") != std::string::npos, line << " in\n" << text);
    };
    has("connector_pass_duration_seconds_bucket{pass=\"outbox.send\",le=\"0.005\"} 1");
    has("connector_pass_duration_seconds_bucket{pass=\"outbox.send\",le=\"0.05\"} 1");
    has("connector_pass_duration_seconds_bucket{pass=\"outbox.send\",le=\"0.1\"} 2");
    has("connector_pass_duration_seconds_bucket{pass=\"outbox.send\",le=\"120\"} 2");
    has("connector_pass_duration_seconds_bucket{pass=\"outbox.send\",le=\"+Inf\"} 3");
    has("connector_pass_duration_seconds_sum{pass=\"outbox.send\"} 500.073");
    has("connector_pass_duration_seconds_count{pass=\"outbox.send\"} 3");
    has("connector_axis_call_duration_seconds_count{operation=\"sendEdoc\"} 2");
    has("connector_axis_call_failures_total{operation=\"sendEdoc\",failure=\"authentication\"} 1");
    has("connector_axis_circuit_open 1");
    const auto [status, said] = promtool(text, "histograms");
    BOOST_TEST(status == 0, said);
}

BOOST_AUTO_TEST_CASE(families_without_samples_are_left_out) {
    Metrics fresh;
    const std::string text = render_metrics(fresh.families());
    BOOST_TEST(text.find("connector_pass_duration_seconds") == std::string::npos);
    BOOST_TEST(text.find("connector_axis_circuit_open 0") != std::string::npos);
    BOOST_TEST(promtool(text, "fresh").first == 0);
}

BOOST_AUTO_TEST_CASE(certificate_expiry_is_read_from_pem_files) {
    // No file, a file without a certificate: nothing, and no failure.
    const std::string empty = "/tmp/connector-metrics-no-certificate.pem";
    std::ofstream(empty) << "not a certificate\n";
    const MetricFamily none =
        certificate_expiry_family({{"signing", "/nonexistent/cert.pem"}, {"trust", empty}});
    BOOST_TEST(none.samples.empty());
}

BOOST_AUTO_TEST_SUITE_END()
