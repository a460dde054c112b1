#include "connector/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "connector/clock.hpp"
#include "connector/store.hpp"
#include "connector/task_status.hpp"
#include "edxml/dates.hpp"
#include "edxml/signature.hpp"

namespace connector {

namespace {

// A label value or HELP text as the text format wants it: backslash, double quote (label
// values only) and newline escaped, so that no value can end its line or its label.
std::string escaped(const std::string& text, bool quote) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quote)
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

std::string number(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        char integral[32];
        std::snprintf(integral, sizeof integral, "%.0f", value);
        return integral;
    }
    char text[40];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

double seconds_of(std::chrono::steady_clock::duration took) {
    return std::chrono::duration<double>(took).count();
}

}  // namespace

std::string render_metrics(const std::vector<MetricFamily>& families) {
    std::string out;
    for (const MetricFamily& family : families) {
        if (family.samples.empty())
            continue;
        out += "# HELP " + family.name + " " + escaped(family.help, false) + "\n";
        out += "# TYPE " + family.name + " " + family.type + "\n";
        for (std::size_t i = 0; i < family.samples.size(); ++i) {
            const MetricSample& sample = family.samples[i];
            out += family.name;
            if (i < family.suffixes.size())
                out += family.suffixes[i];
            if (!sample.labels.empty()) {
                out += '{';
                for (std::size_t l = 0; l < sample.labels.size(); ++l) {
                    out += (l ? "," : "") + sample.labels[l].first + "=\"" +
                           escaped(sample.labels[l].second, true) + "\"";
                }
                out += '}';
            }
            out += " " + number(sample.value) + "\n";
        }
    }
    return out;
}

Metrics::Metrics()
    // A pass polls, fetches, verifies and stores: milliseconds to minutes. An axis call
    // is one HTTP exchange: milliseconds to its timeout.
    : pass_bounds_{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
      call_bounds_{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30} {}

void Metrics::observe(std::map<std::string, Histogram>& histograms,
                      const std::vector<double>& bounds, const std::string& key, double seconds) {
    Histogram& histogram = histograms[key];
    histogram.buckets.resize(bounds.size());
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (seconds <= bounds[i]) {
            ++histogram.buckets[i];
            break;
        }
    }
    ++histogram.count;
    histogram.sum += seconds;
}

void Metrics::observe_pass(const std::string& pass, std::chrono::steady_clock::duration took) {
    std::lock_guard lock(mutex_);
    observe(passes_, pass_bounds_, pass, seconds_of(took));
}

void Metrics::observe_axis_call(const std::string& operation,
                                std::chrono::steady_clock::duration took,
                                const AxisError* failure) {
    std::lock_guard lock(mutex_);
    observe(axis_calls_, call_bounds_, operation, seconds_of(took));
    if (failure)
        ++axis_failures_[{operation, to_string(failure->failure)}];
}

void Metrics::set_circuit_open(bool open) {
    std::lock_guard lock(mutex_);
    circuit_open_ = open;
}

MetricFamily Metrics::histogram_family(const std::string& name, const std::string& help,
                                       const std::string& label,
                                       const std::map<std::string, Histogram>& histograms,
                                       const std::vector<double>& bounds) {
    MetricFamily family{name, help, "histogram", {}, {}};
    for (const auto& [key, histogram] : histograms) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            cumulative += histogram.buckets[i];
            family.samples.push_back(
                {{{label, key}, {"le", number(bounds[i])}}, static_cast<double>(cumulative)});
            family.suffixes.push_back("_bucket");
        }
        family.samples.push_back(
            {{{label, key}, {"le", "+Inf"}}, static_cast<double>(histogram.count)});
        family.suffixes.push_back("_bucket");
        family.samples.push_back({{{label, key}}, histogram.sum});
        family.suffixes.push_back("_sum");
        family.samples.push_back({{{label, key}}, static_cast<double>(histogram.count)});
        family.suffixes.push_back("_count");
    }
    return family;
}

std::vector<MetricFamily> Metrics::families() const {
    std::lock_guard lock(mutex_);
    std::vector<MetricFamily> families;
    families.push_back(histogram_family("connector_pass_duration_seconds",
                                        "How long each pass of the daemon's loop took.", "pass",
                                        passes_, pass_bounds_));
    families.push_back(histogram_family("connector_axis_call_duration_seconds",
                                        "How long each call to the axis took, answered or not.",
                                        "operation", axis_calls_, call_bounds_));
    MetricFamily failures{"connector_axis_call_failures_total",
                          "Axis calls that failed, by operation and class of failure.",
                          "counter",
                          {},
                          {}};
    for (const auto& [key, count] : axis_failures_)
        failures.samples.push_back(
            {{{"operation", key.first}, {"failure", key.second}}, static_cast<double>(count)});
    families.push_back(std::move(failures));
    // Per endpoint with a breaker: the axis is the one (webhook deliveries back off per
    // event instead, seen in connector_webhook_delivery_lag_seconds).
    families.push_back({"connector_axis_circuit_open",
                        "1 while the circuit breaker keeps calls to the endpoint back, else 0.",
                        "gauge",
                        {{{{"endpoint", "axis"}}, circuit_open_ ? 1.0 : 0.0}},
                        {}});
    return families;
}

std::vector<MetricFamily> store_metric_families(Store& store,
                                                std::chrono::system_clock::time_point now) {
    const auto age_of = [now](const std::string& utc) -> std::optional<double> {
        const auto when = parse_utc_text(utc);
        if (!when)
            return std::nullopt;
        return std::chrono::duration<double>(now - *when).count();
    };
    std::vector<MetricFamily> families;
    const OperationsFigures figures = store.operations_figures();
    MetricFamily depth{
        "connector_queue_depth", "Items waiting or in hand, per work queue.", "gauge", {}, {}};
    MetricFamily debt{"connector_queue_retrying",
                      "Items of a queue attempted more than once and still pending: the retry "
                      "debt.",
                      "gauge",
                      {},
                      {}};
    MetricFamily oldest{"connector_queue_oldest_age_seconds",
                        "Age of the oldest pending item of a queue (0 when it is empty).",
                        "gauge",
                        {},
                        {}};
    for (const QueueFigures& queue : figures.queues) {
        depth.samples.push_back({{{"queue", queue.queue}}, static_cast<double>(queue.pending)});
        debt.samples.push_back({{{"queue", queue.queue}}, static_cast<double>(queue.retrying)});
        oldest.samples.push_back(
            {{{"queue", queue.queue}}, age_of(queue.oldest_created).value_or(0)});
    }
    families.push_back(std::move(depth));
    families.push_back(std::move(debt));
    families.push_back(std::move(oldest));
    MetricFamily logged{"connector_messages_logged_total",
                        "Packages in the message log, by direction, kind, business type and "
                        "signature verdict (all daemons of the database together).",
                        "counter",
                        {},
                        {}};
    for (const MessageTally& tally : figures.messages)
        logged.samples.push_back({{{"direction", tally.direction},
                                   {"kind", tally.kind},
                                   {"business_type", std::to_string(tally.business_type)},
                                   {"verdict", tally.verdict}},
                                  static_cast<double>(tally.entries)});
    families.push_back(std::move(logged));
    MetricFamily heads{"connector_chain_head_sequence",
                       "The last entry of each hash chain (messages, audit_events).",
                       "gauge",
                       {},
                       {}};
    MetricFamily checkpoint_age{"connector_checkpoint_age_seconds",
                                "Age of the last signed checkpoint of each chain.",
                                "gauge",
                                {},
                                {}};
    for (const char* chain : {"messages", "audit_events"}) {
        const ChainHead head =
            std::string(chain) == "messages" ? store.message_head() : store.audit_head();
        heads.samples.push_back({{{"chain", chain}}, static_cast<double>(head.sequence)});
    }
    for (const auto& [chain, recorded_at] : figures.last_checkpoints) {
        if (const auto age = age_of(recorded_at))
            checkpoint_age.samples.push_back({{{"chain", chain}}, *age});
    }
    families.push_back(std::move(heads));
    families.push_back(std::move(checkpoint_age));
    MetricFamily webhook_waiting{"connector_webhook_undelivered_events",
                                 "Events not yet given to a webhook target.",
                                 "gauge",
                                 {},
                                 {}};
    MetricFamily webhook_lag{"connector_webhook_delivery_lag_seconds",
                             "Age of the oldest event not yet given to a webhook target (0 "
                             "when none waits): how far behind iDesk is.",
                             "gauge",
                             {},
                             {}};
    for (const WebhookFigures& webhook : figures.webhooks) {
        webhook_waiting.samples.push_back(
            {{{"target", webhook.target}}, static_cast<double>(webhook.undelivered)});
        webhook_lag.samples.push_back(
            {{{"target", webhook.target}}, age_of(webhook.oldest_undelivered).value_or(0)});
    }
    families.push_back(std::move(webhook_waiting));
    families.push_back(std::move(webhook_lag));
    TaskQuery all;
    all.today = edxml::format_date(vietnam_date(now));
    MetricFamily tasks{
        "connector_tasks", "Tasks by timeliness, today in Vietnam.", "gauge", {}, {}};
    for (const TaskCount& count : store.count_tasks(all, TaskGrouping::none))
        tasks.samples.push_back(
            {{{"timeliness", count.timeliness}}, static_cast<double>(count.count)});
    families.push_back(std::move(tasks));
    return families;
}

std::vector<CertificateDue> certificates_due(const std::vector<CertificateFile>& files,
                                             std::chrono::system_clock::time_point now) {
    std::vector<CertificateDue> due;
    for (const CertificateFile& file : files) {
        std::ifstream in(file.path, std::ios::binary);
        if (!in)
            continue;
        std::ostringstream pem;
        pem << in.rdbuf();
        for (const edxml::CertificateInfo& certificate : edxml::certificates_in_pem(pem.str())) {
            const auto expires = parse_utc_text(certificate.not_after);
            if (!expires)
                continue;
            const long days = static_cast<long>(
                std::floor(std::chrono::duration<double>(*expires - now).count() / 86400));
            due.push_back({file.role, certificate.subject, certificate.not_after, *expires, days});
        }
    }
    std::stable_sort(due.begin(), due.end(), [](const CertificateDue& a, const CertificateDue& b) {
        return a.days < b.days;
    });
    return due;
}

MetricFamily certificate_expiry_family(const std::vector<CertificateFile>& files) {
    MetricFamily family{"connector_certificate_expiry_timestamp_seconds",
                        "When a certificate expires (its notAfter, Unix time), by role and "
                        "subject: alert on this minus time().",
                        "gauge",
                        {},
                        {}};
    for (const CertificateDue& due : certificates_due(files, std::chrono::system_clock::now()))
        family.samples.push_back(
            {{{"role", due.role}, {"subject", due.subject}},
             std::chrono::duration<double>(due.expires.time_since_epoch()).count()});
    return family;
}

std::vector<MetricFamily> crl_families(const edxml::Verifier& verifier,
                                       std::chrono::system_clock::time_point now) {
    MetricFamily age{"connector_crl_age_seconds",
                     "Time since each CRL in use was issued (its thisUpdate), by issuer and "
                     "file.",
                     "gauge",
                     {},
                     {}};
    MetricFamily next{"connector_crl_next_update_timestamp_seconds",
                      "When each CRL in use is due to be replaced (its nextUpdate, Unix time): "
                      "past it, signatures it covers become untrusted after verify.crl_grace_s.",
                      "gauge",
                      {},
                      {}};
    const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
    for (const edxml::Verifier::CrlFacts& crl : verifier.crls()) {
        const MetricLabels labels{{"issuer", crl.issuer}, {"file", crl.source}};
        age.samples.push_back({labels, now_s - static_cast<double>(crl.this_update)});
        if (crl.next_update != std::numeric_limits<std::time_t>::max())
            next.samples.push_back({labels, static_cast<double>(crl.next_update)});
    }
    return {std::move(age), std::move(next)};
}

template <typename Call>
auto TimedAxisTransport::timed(const char* operation, Call&& call) {
    const auto started = std::chrono::steady_clock::now();
    auto result = call();
    metrics_.observe_axis_call(operation, std::chrono::steady_clock::now() - started,
                               result.ok() ? nullptr : &result.error());
    return result;
}

AxisResult<std::string> TimedAxisTransport::send_edoc(const OutgoingKnobstick& knobstick) {
    return timed("sendEdoc", [&] { return axis_.send_edoc(knobstick); });
}
AxisResult<std::vector<AxisKnobstick>> TimedAxisTransport::received_list(
    AxisMessageType type, const ReceivedWindow& window) {
    return timed("getReceivedEdocList", [&] { return axis_.received_list(type, window); });
}
AxisResult<std::string> TimedAxisTransport::get_edoc(const std::string& doc_id) {
    return timed("getEdoc", [&] { return axis_.get_edoc(doc_id); });
}
AxisResult<std::string> TimedAxisTransport::download_edoc(const std::string& doc_id) {
    return timed("downloadEdoc", [&] { return axis_.download_edoc(doc_id); });
}
AxisResult<AxisDone> TimedAxisTransport::update_status(const std::string& doc_id,
                                                       AxisReceipt receipt) {
    return timed("updateStatus", [&] { return axis_.update_status(doc_id, receipt); });
}
AxisResult<std::vector<AxisDelivery>> TimedAxisTransport::sent_list(
    AxisMessageType type, const std::string& sent_doc_id) {
    return timed("getSentEdocList", [&] { return axis_.sent_list(type, sent_doc_id); });
}
AxisResult<std::int64_t> TimedAxisTransport::count_received(AxisMessageType type) {
    return timed("countReceiveEdoc", [&] { return axis_.count_received(type); });
}
AxisResult<std::vector<AxisAgency>> TimedAxisTransport::agencies() {
    return timed("getAgenciesList", [&] { return axis_.agencies(); });
}
AxisResult<std::vector<AxisAgency>> TimedAxisTransport::agencies_qd20() {
    return timed("getAgenciesListQD20", [&] { return axis_.agencies_qd20(); });
}
AxisResult<AxisDone> TimedAxisTransport::register_agency(const AgencyRegistration& agency) {
    return timed("registerAgency", [&] { return axis_.register_agency(agency); });
}
AxisResult<AxisDone> TimedAxisTransport::delete_agency(const std::string& agency_code) {
    return timed("deleteAgency", [&] { return axis_.delete_agency(agency_code); });
}

}  // namespace connector
