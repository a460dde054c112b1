#include "connector/transport_state.hpp"

#include <algorithm>
#include <array>
#include <ostream>
#include <utility>

#include "connector/error.hpp"
#include "connector/store.hpp"

namespace connector {
namespace {

template <class State, std::size_t N>
std::optional<State> named(const std::array<std::pair<State, const char*>, N>& names,
                           std::string_view name) {
    for (const auto& [state, text] : names)
        if (name == text)
            return state;
    return std::nullopt;
}

template <class State, std::size_t N>
const char* name_of(const std::array<std::pair<State, const char*>, N>& names, State state) {
    for (const auto& [candidate, text] : names)
        if (candidate == state)
            return text;
    return "unknown";
}

constexpr std::array<std::pair<OutboundState, const char*>, 7> kOutboundNames{{
    {OutboundState::queued, "queued"},
    {OutboundState::retry_wait, "retry_wait"},
    {OutboundState::sent, "sent"},
    {OutboundState::delivered, "delivered"},
    {OutboundState::delivery_failed, "delivery_failed"},
    {OutboundState::undelivered, "undelivered"},
    {OutboundState::failed, "failed"},
}};

constexpr std::array<std::pair<InboundState, const char*>, 5> kInboundNames{{
    {InboundState::stored, "stored"},
    {InboundState::duplicate, "duplicate"},
    {InboundState::refused, "refused"},
    {InboundState::applied, "applied"},
    {InboundState::failed, "failed"},
}};

constexpr std::array<std::pair<WebhookState, const char*>, 4> kWebhookNames{{
    {WebhookState::pending, "pending"},
    {WebhookState::delivered, "delivered"},
    {WebhookState::abandoned, "abandoned"},
    {WebhookState::skipped, "skipped"},
}};

template <class State>
std::vector<std::string> names_of(const Predecessors<State>& predecessors) {
    std::vector<std::string> names;
    for (const State state : predecessors.states)
        names.emplace_back(to_string(state));
    return names;
}

template <class State>
bool allowed(const Predecessors<State>& predecessors, std::optional<State> from) {
    if (!from)
        return predecessors.from_none;
    return std::find(predecessors.states.begin(), predecessors.states.end(), *from) !=
           predecessors.states.end();
}

template <class State, class Parse>
std::optional<Transport<State>> read(MessageLogStore& store, std::int64_t sequence, Parse parse,
                                     const char* machine) {
    auto entry = store.transport_state(sequence);
    if (!entry)
        return std::nullopt;
    const auto state = parse(entry->state);
    if (!state)
        throw PermanentError("message " + std::to_string(sequence) + ": " + machine + " state '" +
                             entry->state +
                             "' is not one this connector knows (written by a newer one?)");
    return Transport<State>{*state, std::move(entry->reason), std::move(entry->knobstick),
                            entry->since};
}

}  // namespace

const char* to_string(OutboundState state) {
    return name_of(kOutboundNames, state);
}
const char* to_string(InboundState state) {
    return name_of(kInboundNames, state);
}
const char* to_string(WebhookState state) {
    return name_of(kWebhookNames, state);
}
std::ostream& operator<<(std::ostream& out, OutboundState state) {
    return out << to_string(state);
}
std::ostream& operator<<(std::ostream& out, InboundState state) {
    return out << to_string(state);
}
std::ostream& operator<<(std::ostream& out, WebhookState state) {
    return out << to_string(state);
}
std::optional<OutboundState> outbound_state_named(std::string_view name) {
    return named(kOutboundNames, name);
}
std::optional<InboundState> inbound_state_named(std::string_view name) {
    return named(kInboundNames, name);
}
std::optional<WebhookState> webhook_state_named(std::string_view name) {
    return named(kWebhookNames, name);
}

StateRule rule_of(OutboundState state) {
    switch (state) {
        case OutboundState::queued:
            return {false, "send_pending", "retry.max_attempts"};
        case OutboundState::retry_wait:
            return {false, "send_pending", "retry.max_attempts"};
        case OutboundState::sent:
            return {false, "track_deliveries", "delivery.deadline_s"};
        case OutboundState::delivered:
        case OutboundState::delivery_failed:
        case OutboundState::undelivered:
        case OutboundState::failed:
            return {true, "", ""};
    }
    return {true, "", ""};
}

StateRule rule_of(InboundState state) {
    switch (state) {
        case InboundState::stored:
            return {false, "apply_pending", "5 apply attempts"};
        case InboundState::duplicate:
        case InboundState::refused:
        case InboundState::applied:
        case InboundState::failed:
            return {true, "", ""};
    }
    return {true, "", ""};
}

StateRule rule_of(WebhookState state) {
    if (state == WebhookState::pending)
        return {false, "webhook dispatcher", "webhook.give_up_after_s"};
    return {true, "", ""};
}

Predecessors<OutboundState> predecessors_of(OutboundState to) {
    using S = OutboundState;
    switch (to) {
        case S::queued:
            return {true, {S::queued}};  // recover() queues again what it finds queued
        case S::retry_wait:
            return {false, {S::queued, S::retry_wait}};
        case S::sent:
        case S::failed:
            return {true, {S::queued, S::retry_wait}};
        case S::delivered:
        case S::delivery_failed:
        case S::undelivered:
            return {false, {S::sent}};
    }
    return {};
}

Predecessors<InboundState> predecessors_of(InboundState to) {
    using S = InboundState;
    switch (to) {
        case S::stored:
        case S::duplicate:
        case S::refused:
            return {true, {}};  // decided once, when the knobstick is logged
        case S::applied:
        case S::failed:
            return {false, {S::stored}};
    }
    return {};
}

bool may_move(std::optional<OutboundState> from, OutboundState to) {
    return allowed(predecessors_of(to), from);
}
bool may_move(std::optional<InboundState> from, InboundState to) {
    return allowed(predecessors_of(to), from);
}

bool move(MessageLogStore& store, std::int64_t sequence, OutboundState to,
          const std::string& reason, const std::string& knobstick) {
    const auto predecessors = predecessors_of(to);
    return store.move_transport_state({sequence, to_string(to), reason, knobstick, {}},
                                      predecessors.from_none, names_of(predecessors));
}

bool move(MessageLogStore& store, std::int64_t sequence, InboundState to,
          const std::string& reason) {
    const auto predecessors = predecessors_of(to);
    return store.move_transport_state({sequence, to_string(to), reason, "", {}},
                                      predecessors.from_none, names_of(predecessors));
}

std::optional<Transport<OutboundState>> outbound_transport(MessageLogStore& store,
                                                           std::int64_t sequence) {
    return read<OutboundState>(store, sequence, outbound_state_named, "outbound");
}

std::optional<Transport<InboundState>> inbound_transport(MessageLogStore& store,
                                                         std::int64_t sequence) {
    return read<InboundState>(store, sequence, inbound_state_named, "inbound");
}

}  // namespace connector
