// The transport state machines (connector/transport_state.hpp): their names, their rules
// (every state that is not final has an owner job and a bound), and their transitions
// persisted as compare-and-set on a real SQLite store.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>

#include "connector/transport_state.hpp"
#include "store/soci_store.hpp"

namespace {

using namespace connector;

const std::vector<OutboundState> kOutbound{
    OutboundState::queued,    OutboundState::retry_wait,      OutboundState::sent,
    OutboundState::delivered, OutboundState::delivery_failed, OutboundState::undelivered,
    OutboundState::failed};
const std::vector<InboundState> kInbound{InboundState::stored, InboundState::duplicate,
                                         InboundState::refused, InboundState::applied,
                                         InboundState::failed};
const std::vector<WebhookState> kWebhook{WebhookState::pending, WebhookState::delivered,
                                         WebhookState::abandoned, WebhookState::skipped};

struct StoreFile {
    std::filesystem::path file = std::filesystem::temp_directory_path() /
                                 ("transport-" + std::to_string(std::random_device{}()) + ".db");
    std::unique_ptr<Store> store =
        store::open_store("sqlite3:" + file.string(), store::Migrations::apply);
    ~StoreFile() {
        store.reset();
        for (const char* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(file.string() + suffix);
    }
    std::int64_t logged(Direction direction) {
        MessageEntry entry;
        entry.direction = direction;
        entry.kind = "edoc";
        entry.document_id = "1/CV-" + std::to_string(++count);
        entry.raw = "<edXMLEnvelope/>";
        entry.signature_verdict = "absent";
        return store->append_message(entry).sequence;
    }
    int count = 0;
};

template <class State>
void check_machine(const std::vector<State>& states,
                   std::optional<State> (*named)(std::string_view)) {
    for (const State state : states) {
        const std::string name = to_string(state);
        BOOST_TEST((named(name) == state), name);
        const StateRule rule = rule_of(state);
        // Nothing waits for ever: a job moves it on, and gives up after a bound.
        BOOST_TEST((rule.final || (*rule.owner != '\0' && *rule.deadline != '\0')), name);
    }
    BOOST_TEST(!named("sent ").has_value());
    BOOST_TEST(!named("").has_value());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transport_state)

BOOST_AUTO_TEST_CASE(names_round_trip_and_every_open_state_has_an_owner_and_a_bound) {
    check_machine(kOutbound, outbound_state_named);
    check_machine(kInbound, inbound_state_named);
    check_machine(kWebhook, webhook_state_named);
    BOOST_TEST(rule_of(OutboundState::sent).owner == std::string("track_deliveries"));
    BOOST_TEST(rule_of(OutboundState::sent).deadline == std::string("delivery.deadline_s"));
}

// A final state is left by no transition, and every state but the first is reached from
// somewhere: the table is a machine, not a bag of names.
BOOST_AUTO_TEST_CASE(final_states_are_final_and_every_state_is_reachable) {
    for (const OutboundState to : kOutbound) {
        const auto predecessors = predecessors_of(to);
        BOOST_TEST((predecessors.from_none || !predecessors.states.empty()), to_string(to));
        for (const OutboundState from : predecessors.states)
            BOOST_TEST(!rule_of(from).final, to_string(from) << " → " << to_string(to));
    }
    for (const InboundState to : kInbound) {
        const auto predecessors = predecessors_of(to);
        BOOST_TEST((predecessors.from_none || !predecessors.states.empty()), to_string(to));
        for (const InboundState from : predecessors.states)
            BOOST_TEST(!rule_of(from).final, to_string(from) << " → " << to_string(to));
    }
    BOOST_TEST(may_move(std::nullopt, OutboundState::queued));
    BOOST_TEST(may_move(OutboundState::retry_wait, OutboundState::sent));
    BOOST_TEST(!may_move(OutboundState::sent, OutboundState::sent));  // never sent twice
    BOOST_TEST(!may_move(OutboundState::delivered, OutboundState::undelivered));
    BOOST_TEST(!may_move(std::nullopt, InboundState::applied));
    BOOST_TEST(!may_move(InboundState::refused, InboundState::stored));
}

BOOST_AUTO_TEST_CASE(an_outbound_package_moves_forward_only_and_keeps_its_reason) {
    StoreFile bench;
    Store& store = *bench.store;
    const std::int64_t sequence = bench.logged(Direction::outbound);
    BOOST_TEST(!outbound_transport(store, sequence).has_value());
    BOOST_TEST(!move(store, sequence, OutboundState::delivered));  // not from nothing
    BOOST_TEST(move(store, sequence, OutboundState::queued));
    BOOST_TEST(move(store, sequence, OutboundState::retry_wait, "sendEdoc: HTTP 503"));
    BOOST_TEST(outbound_transport(store, sequence)->reason == "sendEdoc: HTTP 503");
    BOOST_TEST(move(store, sequence, OutboundState::sent, "", "abc-1"));
    BOOST_TEST(!move(store, sequence, OutboundState::retry_wait, "late"));  // backwards
    BOOST_TEST(!move(store, sequence, OutboundState::sent, "", "abc-2"));   // twice
    BOOST_TEST(move(store, sequence, OutboundState::delivery_failed, "not delivered to H20"));
    BOOST_TEST(!move(store, sequence, OutboundState::delivered));  // final
    const auto transport = outbound_transport(store, sequence);
    BOOST_REQUIRE(transport.has_value());
    BOOST_TEST((transport->state == OutboundState::delivery_failed));
    BOOST_TEST(transport->reason == "not delivered to H20");
    BOOST_TEST(transport->knobstick == "abc-1");
}

BOOST_AUTO_TEST_CASE(an_inbound_disposition_is_decided_once) {
    StoreFile bench;
    Store& store = *bench.store;
    const std::int64_t sequence = bench.logged(Direction::inbound);
    BOOST_TEST(move(store, sequence, InboundState::refused, "signature invalid"));
    // A second daemon deciding the same knobstick loses: the first decision stands.
    BOOST_TEST(!move(store, sequence, InboundState::stored));
    BOOST_TEST(!move(store, sequence, InboundState::applied));
    const auto transport = inbound_transport(store, sequence);
    BOOST_TEST((transport->state == InboundState::refused));
    BOOST_TEST(transport->reason == "signature invalid");

    const std::int64_t other = bench.logged(Direction::inbound);
    BOOST_TEST(move(store, other, InboundState::stored));
    BOOST_TEST(move(store, other, InboundState::applied));
    BOOST_TEST(!move(store, other, InboundState::failed, "late"));
}

// A state a newer connector wrote is not taken for one of ours.
BOOST_AUTO_TEST_CASE(an_unknown_state_in_the_store_is_an_error_naming_it) {
    StoreFile bench;
    const std::int64_t sequence = bench.logged(Direction::outbound);
    BOOST_REQUIRE(bench.store->move_transport_state({sequence, "parked", "", "", {}}, true, {}));
    try {
        outbound_transport(*bench.store, sequence);
        BOOST_FAIL("an unknown state was read");
    } catch (const std::exception& error) {
        BOOST_TEST(std::string(error.what()).find("'parked'") != std::string::npos, error.what());
    }
}

BOOST_AUTO_TEST_SUITE_END()
