// What the parts of the exchange share (exchange.cpp, local_actions.cpp, outbound.cpp,
// inbound.cpp, task_effects.cpp): the queue key prefixes and small helpers. Internal to
// connector_core.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "connector/exchange.hpp"
#include "edxml/reader.hpp"

namespace connector::exchange_parts {

constexpr const char* kOutboxPrefix = "message:";
constexpr const char* kInboxPrefix = "knobstick:";
constexpr int kMaxApplyAttempts = 5;
// A task contended harder than this (each retry re-reads it) is a bug, not a race.
constexpr int kMaxConflictRetries = 16;

std::string join(const std::vector<std::string>& parts, const char* separator);
std::optional<MessageEntry> message_at(Store& store, std::int64_t sequence);
// The message sequence a queue item's payload names, if it is one.
std::optional<std::int64_t> sequence_of(const std::string& payload);
// The task profile a document carries, if it carries a readable one.
std::optional<edxml::TaskProfile> profile_of(const edxml::DocumentPackage& document);
Task task_from_record(const edxml::TaskRecord& record, TaskSide side,
                      const std::string& source_document_id);
long long milliseconds_since_epoch(std::chrono::system_clock::time_point when);
AxisMessageType axis_type_of(const MessageEntry& message);

}  // namespace connector::exchange_parts

namespace connector {

struct Exchange::State {
    std::atomic<bool> stop{false};
    std::mt19937_64 random;
    int failures_in_a_row = 0;
    // Milliseconds since 1970 until which sending stops; 0: closed. Atomic: the HTTP
    // server's readiness check reads it from another thread.
    std::atomic<long long> open_until_ms{0};
};

}  // namespace connector
