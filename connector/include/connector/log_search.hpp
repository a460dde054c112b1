// The filters of the auditors' searches, read from name/value pairs: one place for the
// API's query parameters (GET /api/v1/messages, /api/v1/audit/events) and the CLI's
// options (`connector audit messages`, `audit events`), so that both accept the same
// values and refuse the rest with the same words.
#pragma once

#include <string>

#include "connector/store.hpp"

namespace connector {

// Sets the filter `name` (direction, kind, businessType, agency, documentId, knobstickId,
// statusCode, verdict, state, since, until, before, limit) from `value`; what is wrong
// with the value otherwise ("" when it was taken). An unknown name is a problem too.
std::string set_message_filter(MessageQuery& query, const std::string& name,
                               const std::string& value);
// The same for the audit events: actor, action, target, since, until, before, limit.
std::string set_audit_filter(AuditQuery& query, const std::string& name, const std::string& value);

}  // namespace connector
