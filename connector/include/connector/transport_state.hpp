// The transport state machines (style.md §5): where an outbound package, an inbound
// knobstick and a webhook delivery stand. States are enums with string names, so the
// log, the database, the API and the UI show the same words; the reason of a failure and
// the axis's knobstick id are kept beside the state, never inside it.
//
//   outbound   queued ──sendEdoc──▶ sent ──every recipient done──▶ delivered
//                 │  ▲                 ├──a recipient acked fail──▶ delivery_failed
//        transient│  │claimed again    └──past delivery.deadline_s─▶ undelivered
//                 ▼  │
//              retry_wait ──attempts run out, or a permanent refusal──▶ failed
//   inbound    (fetched) ──▶ stored ──applied──▶ applied
//                  │            └──apply failed (or 5 attempts)──▶ failed
//                  ├──▶ duplicate (the same document seen before)
//                  └──▶ refused (unreadable, signature, sender): acknowledged fail
//   webhook    pending ──▶ delivered | abandoned (webhook.give_up_after_s);
//              skipped: in the feed before the target was first served
//
// Every transition is a compare-and-set in the store (move_transport_state): it happens
// only from the states the table below allows, so that two daemons, or a daemon and its
// own replay after a crash, cannot move a message backwards or twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace connector {

class MessageLogStore;

enum class OutboundState {
    queued,
    retry_wait,
    sent,
    delivered,
    delivery_failed,
    undelivered,
    failed
};
enum class InboundState { stored, duplicate, refused, applied, failed };
enum class WebhookState { pending, delivered, abandoned, skipped };

const char* to_string(OutboundState state);
const char* to_string(InboundState state);
const char* to_string(WebhookState state);
std::optional<OutboundState> outbound_state_named(std::string_view name);
std::optional<InboundState> inbound_state_named(std::string_view name);
std::optional<WebhookState> webhook_state_named(std::string_view name);
std::ostream& operator<<(std::ostream& out, OutboundState state);
std::ostream& operator<<(std::ostream& out, InboundState state);
std::ostream& operator<<(std::ostream& out, WebhookState state);

// What holds for a state: whether it is final, and for one that is not, the job that
// moves it on and the bound after which that job gives it up (so nothing waits for ever).
struct StateRule {
    bool final = false;
    const char* owner = "";     // the job that moves it on
    const char* deadline = "";  // when that job gives up, as the setting that says
};
StateRule rule_of(OutboundState state);
StateRule rule_of(InboundState state);
StateRule rule_of(WebhookState state);

// The states a message may come to `to` from; `from_none`: also a message with no state
// yet (just logged).
template <class State>
struct Predecessors {
    bool from_none = false;
    std::vector<State> states;
};
Predecessors<OutboundState> predecessors_of(OutboundState to);
Predecessors<InboundState> predecessors_of(InboundState to);
bool may_move(std::optional<OutboundState> from, OutboundState to);
bool may_move(std::optional<InboundState> from, InboundState to);

// A logged message's state, read back.
template <class State>
struct Transport {
    State state;
    std::string reason;     // why it came to a failure state (failed, refused, …)
    std::string knobstick;  // outbound: the id the axis gave the package
    std::chrono::system_clock::time_point since;
};

// The transitions, persisted: each writes the new state with its reason (and knobstick)
// only when the message stands in a state that may come to it; false when it does not
// (another daemon moved it, or it went further): nothing is written then.
bool move(MessageLogStore& store, std::int64_t sequence, OutboundState to,
          const std::string& reason = {}, const std::string& knobstick = {});
bool move(MessageLogStore& store, std::int64_t sequence, InboundState to,
          const std::string& reason = {});

// Reads; a state the binary does not know (a newer connector wrote it) is a
// PermanentError naming it.
std::optional<Transport<OutboundState>> outbound_transport(MessageLogStore& store,
                                                           std::int64_t sequence);
std::optional<Transport<InboundState>> inbound_transport(MessageLogStore& store,
                                                         std::int64_t sequence);

}  // namespace connector
