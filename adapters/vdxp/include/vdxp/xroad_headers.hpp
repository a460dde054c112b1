// The VDXP ("XroadVnpt") request authentication of protocol.md §5.2: every parameter
// travels as an `XroadVnpt-<key>` header, the list of keys and a compact JSON of the
// signed headers travel too, and `XroadVnpt-hash-header` is the lowercase hex
// HMAC-SHA256 of that JSON under the system's secret. The secret never travels.
//
// Both sides live here: the client signs (`sign_request`), the axis simulator checks
// (`verify_request`), recomputing the HMAC over the JSON exactly as received.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edxml/attachments.hpp"

namespace vdxp {

inline constexpr const char* kHeaderPrefix = "XroadVnpt-";
inline constexpr const char* kApiVersion = "3.0.201608";
inline constexpr const char* kUserAgent = "JAVASDKAgent/1.0.0 XRoad/VPCP";

using Headers = std::vector<std::pair<std::string, std::string>>;

// The SDK's timestamp form, ddMMyyyy'T'HHmmss+SSSS, where the four digits after '+' are
// milliseconds (not a zone), in the local time of `zone_offset` (Vietnam: +7 hours).
std::string format_timestamp(std::chrono::system_clock::time_point when,
                             std::chrono::minutes zone_offset = std::chrono::hours(7));

// The headers of one request. `parameters` are the operation's keys in order (e.g.
// {"from", …}, {"servicetype", "eDoc"}); timestamp, systemid and Content-Type are added
// first, as the SDK does. Keys must be header-safe tokens; values may be any UTF-8 text.
Headers sign_request(const std::string& systemid, const std::string& secret,
                     const std::string& content_type, const Headers& parameters,
                     const std::string& timestamp);

// The compact JSON object the signature covers: {"XroadVnpt-k":"v",…} in `keys` order.
std::string sign_header_json(const Headers& signed_values);

// Lowercase hex HMAC-SHA256 of `message` under `secret` (edxml's, shared with the webhooks).
using edxml::hmac_sha256_hex;

struct Verification {
    bool ok = false;
    std::string systemid;
    std::string reason;  // why it was refused
    Headers parameters;  // the signed keys (without prefix) and values, as received
};

// Checks a received request. `header` looks a header up by name, case-insensitively;
// `secret_for` gives a system's secret, or nothing for an unknown system. Refuses a
// missing or unknown systemid, a missing signature, an HMAC that does not match the
// received JSON, a JSON that is not an object of strings, a key list that differs from
// the JSON, and any signed header whose value differs from its JSON value.
Verification verify_request(
    const std::function<std::optional<std::string>(std::string_view)>& header,
    const std::function<std::optional<std::string>(const std::string&)>& secret_for);

}  // namespace vdxp
