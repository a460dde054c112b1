// The JSON the API and the webhooks show: a task, a change-feed event. One place, so
// that the feed, the webhook body and GET /tasks agree field by field.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>

#include "connector/store.hpp"
#include "edxml/dates.hpp"

namespace http_api {

// yyyy-MM-dd (the API's form; the store and edXML write yyyy/MM/dd).
std::string iso_date(const edxml::Date& date);
// An API date (yyyy-MM-dd), or nothing.
std::optional<edxml::Date> api_date(const std::string& text);

Poco::JSON::Object::Ptr task_json(const connector::Task& task, const edxml::Date& today);
// The event with the task as it is now (null when it is gone).
Poco::JSON::Object::Ptr event_json(const connector::BackendEvent& event, connector::Store& store,
                                   const edxml::Date& today);
// A logged message's signature: verdict, signer subject, the agency it maps to.
Poco::JSON::Object::Ptr signature_json(const connector::MessageEntry& message);
// A log entry without its bytes, with its transport state (GET /api/v1/messages/{sequence}).
Poco::JSON::Object::Ptr message_json(const connector::MessageEntry& message,
                                     const std::optional<connector::TransportEntry>& transport);
// Where a package we sent stands, per recipient (the task page): the message's transport
// state for each, except that a failed delivery names the recipients it failed for.
Poco::JSON::Object::Ptr delivery_json(const connector::MessageEntry& message,
                                      const std::optional<connector::TransportEntry>& transport);
// An entry of the audit chain (GET /api/v1/audit/events, connector audit events --json).
Poco::JSON::Object::Ptr audit_json(const connector::AuditEntry& entry);
std::string to_text(const Poco::Dynamic::Var& json);

}  // namespace http_api
