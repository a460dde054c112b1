// What the daemon measures of itself, for GET /metrics in the Prometheus text format
// (version 0.0.4). Two sources: what only the process sees (how long each pass and each
// axis call took, whether the circuit is open), kept here, and what the database knows
// (queues, the log, tasks), read when scraped; both are rendered by render_metrics so that
// every value and label is escaped in one place.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "connector/axis_transport.hpp"
#include "edxml/signature.hpp"

namespace connector {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;  // name, value

struct MetricSample {
    MetricLabels labels;
    double value = 0;
};

// One family: `type` is counter, gauge or histogram. A histogram's samples are given
// already as the exposition wants them (see Metrics), a counter's name ends in _total.
struct MetricFamily {
    std::string name;
    std::string help;
    std::string type;
    std::vector<MetricSample> samples;
    // Histograms only: the sample names' suffixes (_bucket, _sum, _count) per sample.
    std::vector<std::string> suffixes;
};

// The text exposition of `families`: HELP and TYPE lines, label values escaped (\\, \",
// \n), numbers as Prometheus reads them (+Inf, NaN). Families with no sample are left out.
std::string render_metrics(const std::vector<MetricFamily>& families);

// The process's own measurements; every member is safe to call from any thread.
class Metrics {
  public:
    Metrics();

    // One pass of the loop (send, poll of a type, apply, delivery tracking), how long.
    void observe_pass(const std::string& pass, std::chrono::steady_clock::duration took);
    // One call to the axis, how long, and the failure when there was one.
    void observe_axis_call(const std::string& operation, std::chrono::steady_clock::duration took,
                           const AxisError* failure);
    void set_circuit_open(bool open);

    std::vector<MetricFamily> families() const;

  private:
    struct Histogram {
        std::vector<std::uint64_t> buckets;  // per upper bound, not cumulative
        std::uint64_t count = 0;
        double sum = 0;
    };
    static void observe(std::map<std::string, Histogram>& histograms,
                        const std::vector<double>& bounds, const std::string& key, double seconds);
    static MetricFamily histogram_family(const std::string& name, const std::string& help,
                                         const std::string& label,
                                         const std::map<std::string, Histogram>& histograms,
                                         const std::vector<double>& bounds);

    mutable std::mutex mutex_;
    const std::vector<double> pass_bounds_, call_bounds_;
    std::map<std::string, Histogram> passes_;
    std::map<std::string, Histogram> axis_calls_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> axis_failures_;
    bool circuit_open_ = false;
};

class Store;

// What the database knows, read at a scrape: each queue's depth, the age of its oldest
// item and its retry debt; the packages logged by direction, kind, business type and
// verdict; each chain's head and the age of its last signed checkpoint; the tasks by
// timeliness on `now`'s date in Vietnam.
std::vector<MetricFamily> store_metric_families(Store& store,
                                                std::chrono::system_clock::time_point now);

// A PEM file whose certificates' expiry is watched, and its role ("signing",
// "signing_chain", "trust").
struct CertificateFile {
    std::string role;
    std::string path;
};
// Each certificate of those files, with its notAfter and the whole days left on it at
// `now` (negative: expired since), soonest first. The one reading of the files for the
// metrics, the daemon's warnings and `connector doctor`; an unreadable file holds none.
struct CertificateDue {
    std::string role, subject, not_after;
    std::chrono::system_clock::time_point expires;
    long days = 0;
};
std::vector<CertificateDue> certificates_due(const std::vector<CertificateFile>& files,
                                             std::chrono::system_clock::time_point now);
// When each certificate of the files expires (Unix time), by role and subject.
MetricFamily certificate_expiry_family(const std::vector<CertificateFile>& files);

// Each CRL the verifier holds: its age (since thisUpdate) and its nextUpdate.
std::vector<MetricFamily> crl_families(const edxml::Verifier& verifier,
                                       std::chrono::system_clock::time_point now);

// The AxisTransport the exchange is given: every call timed into `metrics`, then passed on.
class TimedAxisTransport : public AxisTransport {
  public:
    TimedAxisTransport(AxisTransport& axis, Metrics& metrics) : axis_(axis), metrics_(metrics) {}

    AxisResult<std::string> send_edoc(const OutgoingKnobstick& knobstick) override;
    AxisResult<std::vector<AxisKnobstick>> received_list(AxisMessageType type,
                                                         const ReceivedWindow& window) override;
    AxisResult<std::string> get_edoc(const std::string& doc_id) override;
    AxisResult<std::string> download_edoc(const std::string& doc_id) override;
    AxisResult<AxisDone> update_status(const std::string& doc_id, AxisReceipt receipt) override;
    AxisResult<std::vector<AxisDelivery>> sent_list(AxisMessageType type,
                                                    const std::string& sent_doc_id) override;
    AxisResult<std::int64_t> count_received(AxisMessageType type) override;
    AxisResult<std::vector<AxisAgency>> agencies() override;
    AxisResult<std::vector<AxisAgency>> agencies_qd20() override;
    AxisResult<AxisDone> register_agency(const AgencyRegistration& agency) override;
    AxisResult<AxisDone> delete_agency(const std::string& agency_code) override;

  private:
    template <typename Call>
    auto timed(const char* operation, Call&& call);

    AxisTransport& axis_;
    Metrics& metrics_;
};

}  // namespace connector
