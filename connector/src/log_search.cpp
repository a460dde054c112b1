#include "connector/log_search.hpp"

#include <set>

#include "connector/clock.hpp"
#include "edxml/agency_code.hpp"

namespace connector {

namespace {

bool is_number(const std::string& text, std::size_t max_digits) {
    return !text.empty() && text.size() <= max_digits &&
           text.find_first_not_of("0123456789") == std::string::npos;
}

// The filters both searches share; true when `name` was one of them.
bool set_common(const std::string& name, const std::string& value, std::string& since,
                std::string& until, std::int64_t& before, std::size_t& limit,
                std::string& problem) {
    if (name == "since" || name == "until") {
        const auto bound = utc_range_bound(value, name == "until");
        if (!bound)
            problem = "'" + value +
                      "' is neither a date (yyyy-MM-dd, Vietnam time) nor a UTC "
                      "time (yyyy-MM-ddTHH:mm:ss.sssZ)";
        else
            (name == "since" ? since : until) = *bound;
    } else if (name == "before") {
        if (!is_number(value, 18) || std::stoll(value) == 0)
            problem = "'" + value + "' is not a sequence (the `next` of the page before)";
        else
            before = std::stoll(value);
    } else if (name == "limit") {
        if (!is_number(value, 4) || std::stoul(value) == 0 || std::stoul(value) > 1000)
            problem = "'" + value + "' is not 1..1000";
        else
            limit = std::stoul(value);
    } else {
        return false;
    }
    return true;
}

// Free text an auditor pastes (a DocumentId, a knobstick id, an actor): bounded, no
// control characters.
std::string text_problem(const std::string& value, std::size_t max_bytes) {
    if (value.empty() || value.size() > max_bytes)
        return "must be 1.." + std::to_string(max_bytes) + " bytes";
    for (const unsigned char c : value) {
        if (c < 0x20 || c == 0x7f)
            return "must not hold control characters";
    }
    return "";
}

}  // namespace

std::string set_message_filter(MessageQuery& query, const std::string& name,
                               const std::string& value) {
    std::string problem;
    if (set_common(name, value, query.since, query.until, query.before_sequence, query.limit,
                   problem))
        return problem;
    if (name == "direction") {
        if (value != "inbound" && value != "outbound")
            return "must be inbound or outbound";
        query.direction = value;
    } else if (name == "kind") {
        if (value != "edoc" && value != "status")
            return "must be edoc or status";
        query.kind = value;
    } else if (name == "businessType") {
        if (value.size() != 1 || value[0] < '0' || value[0] > '3')
            return "must be 0 (new), 1 (revoke), 2 (update) or 3 (replace)";
        query.business_type = value[0] - '0';
    } else if (name == "agency") {
        if (!edxml::check_agency_code(value).ok())
            return "'" + value + "' is not an agency code";
        query.agency = value;
    } else if (name == "documentId" || name == "knobstickId") {
        if (const std::string wrong = text_problem(value, 300); !wrong.empty())
            return wrong;
        (name == "documentId" ? query.document_id : query.knobstick_id) = value;
    } else if (name == "statusCode") {
        if (value.size() != 2 || !is_number(value, 2))
            return "'" + value + "' is not a two-digit status code";
        query.status_code = value;
    } else if (name == "verdict") {
        static const std::set<std::string> kVerdicts = {
            "valid",   "invalid", "absent",       "nonstandard",   "untrusted", "expired",
            "revoked", "unsafe",  "wrong_signer", "not_yet_valid", "signed",    "unchecked"};
        if (kVerdicts.count(value) == 0)
            return "'" + value + "' is not a signature verdict";
        query.verdict = value;
    } else if (name == "state") {
        if (value.empty() || value.size() > 40 ||
            value.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
            return "'" + value + "' is not a transport state name";
        query.transport_state = value;
    } else {
        return "unknown filter";
    }
    return "";
}

std::string set_audit_filter(AuditQuery& query, const std::string& name, const std::string& value) {
    std::string problem;
    if (set_common(name, value, query.since, query.until, query.before_sequence, query.limit,
                   problem))
        return problem;
    if (name == "actor" || name == "target") {
        if (const std::string wrong = text_problem(value, 200); !wrong.empty())
            return wrong;
        (name == "actor" ? query.actor : query.target) = value;
    } else if (name == "action") {
        if (value.empty() || value.size() > 64 ||
            value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
            return "'" + value + "' is not an action name (UPPER_SNAKE)";
        query.action = value;
    } else {
        return "unknown filter";
    }
    return "";
}

}  // namespace connector
