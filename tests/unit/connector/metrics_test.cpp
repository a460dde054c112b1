// The Prometheus text exposition: escaping that no value can break out of, histograms as
// Prometheus reads them (cumulative buckets, +Inf, _sum, _count), checked by promtool.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
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
    has("connector_axis_circuit_open{endpoint=\"axis\"} 1");
    const auto [status, said] = promtool(text, "histograms");
    BOOST_TEST(status == 0, said);
}

BOOST_AUTO_TEST_CASE(families_without_samples_are_left_out) {
    Metrics fresh;
    const std::string text = render_metrics(fresh.families());
    BOOST_TEST(text.find("connector_pass_duration_seconds") == std::string::npos);
    BOOST_TEST(text.find("connector_axis_circuit_open{endpoint=\"axis\"} 0") != std::string::npos);
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

// The CRLs in use: how old each is and when it is due, read from the verifier (a stale
// CRL issued 2020-01-01 and due the next day, as the test PKI makes it).
BOOST_AUTO_TEST_CASE(each_crl_has_its_age_and_next_update) {
    const std::string pki = CONNECTOR_TEST_PKI_DIR;
    const std::string stale = pki + "/crl-intermediate-stale.pem", root = pki + "/crl-root.pem";
    edxml::TrustOptions options;
    options.anchors = {pki + "/anchors"};
    options.crls = {stale, root};
    const edxml::Verifier verifier(options);
    const auto now = std::chrono::system_clock::from_time_t(1577858400);  // 2020-01-01T06:00Z
    const std::vector<MetricFamily> families = crl_families(verifier, now);
    BOOST_REQUIRE_EQUAL(families.size(), 2u);
    const auto value_of = [](const MetricFamily& family, const std::string& file) {
        for (const MetricSample& sample : family.samples)
            for (const auto& [label, value] : sample.labels)
                if (label == "file" && value == file)
                    return std::optional<double>(sample.value);
        return std::optional<double>();
    };
    BOOST_TEST(families[0].name == "connector_crl_age_seconds");
    BOOST_TEST(families[0].samples.size() == 2u);
    BOOST_TEST(value_of(families[0], stale).value_or(-1) == 6 * 3600.0);
    BOOST_TEST(families[1].name == "connector_crl_next_update_timestamp_seconds");
    BOOST_TEST(value_of(families[1], stale).value_or(-1) == 1577923200.0);  // 2020-01-02T00:00Z
    // The root's CRL was made with the PKI, long after that "now", and is due years on.
    BOOST_TEST(value_of(families[0], root).value_or(0) < 0);
    BOOST_TEST(value_of(families[1], root).value_or(0) > 1577923200.0 + 365 * 86400.0);
    for (const MetricSample& sample : families[0].samples) {
        BOOST_REQUIRE_EQUAL(sample.labels.size(), 2u);
        const bool of_stale = sample.labels[1].second == stale;
        BOOST_TEST(sample.labels[0].first == "issuer");
        BOOST_TEST(sample.labels[0].second.find(of_stale ? "CN=Test Intermediate CA"
                                                         : "CN=Test Root CA") != std::string::npos,
                   sample.labels[0].second);
    }
    const auto [status, said] = promtool(render_metrics(families), "crl");
    BOOST_TEST(status == 0, said);
}

BOOST_AUTO_TEST_SUITE_END()
