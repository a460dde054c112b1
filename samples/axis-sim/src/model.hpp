// The simulator's state, as plain values: agencies, knobsticks and their receivers.
// Shared by the server (simulator.cpp) and the SQLite copy (database.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "axis_sim/simulator.hpp"

namespace axis_sim {

// Milliseconds since the Unix epoch (UTC); shown in the axis's form at UTC+7.
using Millis = std::int64_t;

Millis now_millis();
// dd/MM/yyyy HH:mm:ss in Vietnam time (UTC+7), the form of the axis's lists.
std::string format_axis_time(Millis when);
// Parses dd/MM/yyyy HH:mm:ss (UTC+7) into milliseconds; false when it is not that form.
bool parse_axis_time(const std::string& text, Millis& when);

// The receiver states, in the order a receiver moves through them.
inline constexpr const char* kInitial = "initial";
inline constexpr const char* kProcessing = "processing";
inline constexpr const char* kDone = "done";
inline constexpr const char* kFail = "fail";

struct StoredAgency {
    std::string systemid;
    AgencyConfig agency;
};

// One receiver knobstick: the copy of a sent package offered to one recipient.
struct Receiver {
    std::string doc_id;
    std::string to;
    std::string state = kInitial;
    std::int64_t sequence = 0;  // creation order, for "oldest first" within one millisecond
    Millis updated = 0;
    Millis received = 0;  // 0 until the receiver acknowledges `done`
};

// One sender knobstick: what sendEdoc created.
struct Knobstick {
    std::string id;
    std::string sender_system;
    std::string service_type;  // as sent (eDoc / edoc)
    std::string message_type;  // edoc | status
    std::string from;
    std::string to_header;  // the optional `to` header, as sent
    std::string document_id;
    std::string title;
    std::string notation;
    std::string sha256;  // standard lowercase hex
    std::shared_ptr<const std::string> content;
    std::int64_t sequence = 0;  // creation order
    Millis created = 0;
    std::vector<Receiver> receivers;
};

}  // namespace axis_sim
