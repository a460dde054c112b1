// The outbound package's retries and the circuit breaker (issue 14), driven with a fake
// axis and a manual clock, no sockets: a real SQLite store in a temporary file.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>

#include "connector/clock.hpp"
#include "connector/exchange.hpp"
#include "connector/transport_state.hpp"
#include "store/soci_store.hpp"

namespace {

using namespace connector;

class ManualClock final : public Clock {
  public:
    std::chrono::system_clock::time_point now() const override { return now_; }
    void advance(std::chrono::milliseconds by) { now_ += by; }

  private:
    std::chrono::system_clock::time_point now_ = std::chrono::system_clock::from_time_t(1780000000);
};

// An axis whose sendEdoc fails (transiently, or for good) while told to, and counts calls.
class FakeAxis final : public AxisTransport {
  public:
    int sends = 0;
    int failing_sends = 0;  // the next this many sends fail
    AxisFailure failure = AxisFailure::server_error;

    AxisResult<std::string> send_edoc(const OutgoingKnobstick&) override {
        ++sends;
        if (failing_sends > 0) {
            --failing_sends;
            return AxisError{failure, "sendEdoc", 500, "", "injected"};
        }
        return std::string("knobstick-") + std::to_string(sends);
    }
    // Inbound: what the axis lists (again at every poll, as a real axis does until it
    // is acknowledged done), what getEdoc answers, and what we acknowledged.
    std::vector<AxisKnobstick> offered;
    std::string offered_bytes;
    int fetches = 0;
    std::vector<std::pair<std::string, AxisReceipt>> receipts;

    AxisResult<std::vector<AxisKnobstick>> received_list(AxisMessageType type,
                                                         const ReceivedWindow&) override {
        return type == AxisMessageType::edoc ? offered : std::vector<AxisKnobstick>{};
    }
    AxisResult<std::string> get_edoc(const std::string&) override {
        ++fetches;
        return offered_bytes;
    }
    AxisResult<std::string> download_edoc(const std::string&) override { return unused(); }
    AxisResult<AxisDone> update_status(const std::string& knobstick, AxisReceipt receipt) override {
        receipts.emplace_back(knobstick, receipt);
        return AxisDone{};
    }
    AxisResult<std::vector<AxisDelivery>> sent_list(AxisMessageType, const std::string&) override {
        return std::vector<AxisDelivery>{};
    }
    AxisResult<std::int64_t> count_received(AxisMessageType) override { return std::int64_t{0}; }
    AxisResult<std::vector<AxisAgency>> agencies() override { return std::vector<AxisAgency>{}; }
    AxisResult<std::vector<AxisAgency>> agencies_qd20() override {
        return std::vector<AxisAgency>{};
    }
    AxisResult<AxisDone> register_agency(const AgencyRegistration&) override { return AxisDone{}; }
    AxisResult<AxisDone> delete_agency(const std::string&) override { return AxisDone{}; }

  private:
    static AxisError unused() {
        return {AxisFailure::refused, "unused", 0, "", "not in this test"};
    }
};

struct Bench {
    std::filesystem::path file =
        std::filesystem::temp_directory_path() /
        ("retry-breaker-" + std::to_string(std::random_device{}()) + ".db");
    std::unique_ptr<Store> store =
        store::open_store("sqlite3:" + file.string(), store::Migrations::apply);
    FakeAxis axis;
    ManualClock clock;
    std::unique_ptr<Exchange> exchange;

    explicit Bench(ExchangeSettings settings) {
        settings.sender = {"000.00.00.G22", "Văn phòng Chính phủ", "Hà Nội"};
        settings.seed = 11;
        exchange = std::make_unique<Exchange>(*store, axis, clock, settings);
    }
    ~Bench() {
        store.reset();
        std::filesystem::remove(file);
        std::filesystem::remove(file.string() + "-wal");
        std::filesystem::remove(file.string() + "-shm");
    }
    std::int64_t queue_document(const std::string& number) {
        PlainDocument document;
        document.code_number = number;
        document.code_notation = "CV";
        document.subject = "Công văn";
        edxml::Organization to;
        to.organ_id = "000.00.00.H20";
        to.organ_name = "UBND tỉnh Đồng Tháp";
        document.to = {to};
        return exchange->send_document(document);
    }
};

ExchangeSettings quick_retries() {
    ExchangeSettings settings;
    settings.retry.base = std::chrono::milliseconds(0);  // due again at once
    settings.retry.cap = std::chrono::milliseconds(0);
    return settings;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_breaker)

// Full jitter: each delay is drawn from [0, min(cap, base * 2^(attempt-1))], and the draws
// use that whole range (not a fixed step, not a narrow band).
BOOST_AUTO_TEST_CASE(delays_are_full_jitter_within_bounds) {
    RetryPolicy policy;
    policy.base = std::chrono::milliseconds(100);
    policy.cap = std::chrono::milliseconds(5'000);
    std::mt19937_64 random(3);
    for (int attempt = 1; attempt <= 40; ++attempt) {
        const long long ceiling = std::min<long long>(5'000, 100LL << std::min(attempt - 1, 20));
        long long lowest = ceiling, highest = 0;
        for (int draw = 0; draw < 300; ++draw) {
            const long long delay = policy.delay(attempt, random).count();
            BOOST_REQUIRE_GE(delay, 0);
            BOOST_REQUIRE_LE(delay, ceiling);
            lowest = std::min(lowest, delay);
            highest = std::max(highest, delay);
        }
        BOOST_TEST(lowest <= ceiling / 5, "attempt " << attempt);
        BOOST_TEST(highest >= ceiling * 4 / 5, "attempt " << attempt);
    }
}

// Transient failures are retried until max_attempts, then the package is failed with the
// reason; a permanent refusal fails it at once.
BOOST_AUTO_TEST_CASE(retries_run_out_into_failed_with_a_reason) {
    ExchangeSettings settings = quick_retries();
    settings.retry.max_attempts = 3;
    Bench bench(settings);
    const std::int64_t sequence = bench.queue_document("1");
    bench.axis.failing_sends = 100;
    for (int pass = 0; pass < 3; ++pass)
        bench.exchange->send_pending();
    BOOST_TEST(bench.axis.sends == 3);
    const auto state = outbound_transport(*bench.store, sequence);
    BOOST_REQUIRE(state.has_value());
    BOOST_TEST((state->state == OutboundState::failed));
    BOOST_TEST(state->reason.rfind("not sent: 3 attempts failed, the last: sendEdoc", 0) == 0u,
               state->reason);
    BOOST_TEST(bench.store->pending_count(WorkQueue::outbox) == 0);
    bench.exchange->send_pending();
    BOOST_TEST(bench.axis.sends == 3);  // failed stays failed

    const std::int64_t refused = bench.queue_document("2");
    bench.axis.failure = AxisFailure::refused;
    bench.exchange->send_pending();
    BOOST_TEST(bench.axis.sends == 4);
    BOOST_TEST((outbound_transport(*bench.store, refused)->state == OutboundState::failed));
    BOOST_TEST(outbound_transport(*bench.store, refused)
                   ->reason.rfind("not sent: the axis refused it:", 0) == 0u);
}

// After `threshold` transient failures in a row the breaker opens: nothing is sent while
// it is open; once `open_for` has passed one send probes (half-open); a failed probe
// opens it again, a good one closes it and the backlog drains in order.
BOOST_AUTO_TEST_CASE(the_breaker_opens_half_opens_and_closes) {
    ExchangeSettings settings = quick_retries();
    settings.breaker.threshold = 3;
    settings.breaker.open_for = std::chrono::seconds(30);
    Bench bench(settings);
    std::vector<std::int64_t> queued;
    for (int n = 1; n <= 4; ++n)
        queued.push_back(bench.queue_document(std::to_string(n)));
    bench.axis.failing_sends = 4;  // three to open it, then the first probe fails too
    for (int pass = 0; pass < 3; ++pass)
        bench.exchange->send_pending(1);
    BOOST_TEST(bench.axis.sends == 3);
    BOOST_TEST(bench.exchange->circuit_open());
    bench.exchange->send_pending();
    BOOST_TEST(bench.axis.sends == 3);  // open: nothing sent

    bench.clock.advance(std::chrono::seconds(31));
    BOOST_TEST(!bench.exchange->circuit_open());  // half-open: the next send probes
    bench.exchange->send_pending();
    BOOST_TEST(bench.axis.sends == 4);  // one probe, and it failed
    BOOST_TEST(bench.exchange->circuit_open());

    bench.clock.advance(std::chrono::seconds(31));
    const StepReport drained = bench.exchange->send_pending();
    BOOST_TEST(!bench.exchange->circuit_open());  // the probe went through: closed
    BOOST_TEST(drained.done == 4u);
    BOOST_TEST(bench.axis.sends == 8);
    std::vector<std::string> states;
    for (const std::int64_t sequence : queued)
        states.push_back(outbound_transport(*bench.store, sequence)->knobstick);
    // In the order queued: knobstick numbers follow the calls.
    BOOST_TEST(states[0] == "knobstick-5");
    BOOST_TEST(states[3] == "knobstick-8");
}

// The axis down for ten minutes under a daemon that passes every second: the breaker
// opens after `threshold` failures and lets one probe through every `open_for`, so the
// axis sees a few dozen calls, not one per package per pass; nothing is given up; when
// the axis returns the whole backlog drains in the order it was queued.
BOOST_AUTO_TEST_CASE(the_axis_down_for_minutes_drains_in_order) {
    ExchangeSettings settings = quick_retries();
    settings.retry.max_attempts = 1000;
    settings.breaker.threshold = 5;
    settings.breaker.open_for = std::chrono::seconds(30);
    Bench bench(settings);
    std::vector<std::int64_t> queued;
    for (int n = 1; n <= 20; ++n)
        queued.push_back(bench.queue_document(std::to_string(n)));
    bench.axis.failing_sends = 1'000'000;
    std::size_t failed = 0;
    for (int second = 0; second < 600; ++second) {
        failed += bench.exchange->send_pending().failed;
        bench.clock.advance(std::chrono::seconds(1));
    }
    // 5 to open it, then one probe per 30 s (the first pass of a half-open breaker).
    BOOST_TEST(bench.axis.sends >= 5 + 600 / 31);
    BOOST_TEST(bench.axis.sends <= 5 + 600 / 30 + 1);
    BOOST_TEST(failed == 0u);
    for (const std::int64_t sequence : queued)
        BOOST_TEST(outbound_transport(*bench.store, sequence)->state != OutboundState::failed);

    bench.axis.failing_sends = 0;
    const int calls_while_down = bench.axis.sends;
    std::size_t done = 0;
    for (int second = 0; second < 40 && done < queued.size(); ++second) {
        done += bench.exchange->send_pending().done;
        bench.clock.advance(std::chrono::seconds(1));
    }
    BOOST_TEST(done == queued.size());
    BOOST_TEST(bench.axis.sends == calls_while_down + static_cast<int>(queued.size()));
    // In the order queued: the knobstick numbers the fake axis gave follow its calls.
    for (std::size_t n = 0; n < queued.size(); ++n) {
        const auto transport = outbound_transport(*bench.store, queued[n]);
        BOOST_TEST((transport->state == OutboundState::sent));
        BOOST_TEST(transport->knobstick ==
                   "knobstick-" + std::to_string(calls_while_down + 1 + static_cast<int>(n)));
    }
}

// A package whose state says `sent` (the daemon died between recording it and completing
// its outbox item) is not sent again when the item is claimed after the restart.
BOOST_AUTO_TEST_CASE(a_package_recorded_sent_is_not_sent_again) {
    Bench bench(quick_retries());
    const std::int64_t sequence = bench.queue_document("1");
    BOOST_REQUIRE(move(*bench.store, sequence, OutboundState::sent, "", "knobstick-before"));
    BOOST_TEST(bench.store->pending_count(WorkQueue::outbox) == 1);
    bench.exchange->send_pending();
    BOOST_TEST(bench.axis.sends == 0);
    BOOST_TEST(bench.store->pending_count(WorkQueue::outbox) == 0);
    BOOST_TEST(outbound_transport(*bench.store, sequence)->knobstick == "knobstick-before");
}

// A poison package (unreadable) is logged, refused and acknowledged `fail` once; when the
// axis offers it again it is recognised from the log and acknowledged `fail` again,
// never fetched a second time.
BOOST_AUTO_TEST_CASE(a_poison_knobstick_is_not_fetched_again) {
    Bench bench(quick_retries());
    AxisKnobstick poison;
    poison.doc_id = "knob-poison";
    poison.from = "000.00.00.H20";
    poison.to = "000.00.00.G22";
    bench.axis.offered = {poison};
    bench.axis.offered_bytes = "<edXMLEnvelope><unclosed>";
    const StepReport first = bench.exchange->poll(AxisMessageType::edoc);
    BOOST_TEST(first.failed == 1u);
    BOOST_TEST(bench.axis.fetches == 1);
    BOOST_REQUIRE_EQUAL(bench.axis.receipts.size(), 1u);
    BOOST_TEST((bench.axis.receipts[0].second == AxisReceipt::fail));
    const auto logged = bench.store->message_by_knobstick(Direction::inbound, "knob-poison");
    BOOST_REQUIRE(logged.has_value());
    const auto refused = inbound_transport(*bench.store, logged->sequence);
    BOOST_TEST((refused->state == InboundState::refused));
    BOOST_TEST(!refused->reason.empty());
    for (int poll = 0; poll < 3; ++poll)
        bench.exchange->poll(AxisMessageType::edoc);
    BOOST_TEST(bench.axis.fetches == 1);
    BOOST_TEST(bench.axis.receipts.size() == 4u);
    BOOST_TEST((bench.axis.receipts.back().second == AxisReceipt::fail));
    BOOST_TEST(bench.store->pending_count(WorkQueue::inbox) == 0);
    BOOST_TEST(bench.store->message_head().sequence == logged->sequence);  // logged once
}

BOOST_AUTO_TEST_SUITE_END()
