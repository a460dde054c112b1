#include "http_api/json_views.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

#include "connector/clock.hpp"
#include "connector/task_status.hpp"

namespace http_api {

using Poco::JSON::Object;

std::string iso_date(const edxml::Date& date) {
    std::string text = edxml::format_date(date);
    for (char& c : text)
        if (c == '/')
            c = '-';
    return text;
}

std::optional<edxml::Date> api_date(const std::string& text) {
    // yyyy-MM-dd only: the API has one date form.
    if (text.size() != 10 || text[4] != '-' || text[7] != '-')
        return std::nullopt;
    const auto parsed = edxml::parse_date(text);
    if (!parsed)
        return std::nullopt;
    return parsed->value;
}

Object::Ptr task_json(const connector::Task& task, const edxml::Date& today) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("code", task.task_code);
    object->set("side", connector::to_string(task.side));
    object->set("sourceDocumentId", task.source_document_id);
    object->set("title", task.title);
    object->set("issuer", task.issuer);
    Poco::JSON::Array::Ptr assignees = new Poco::JSON::Array;
    for (const auto& assignee : task.assignees) {
        Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("role", edxml::to_string(assignee.role));
        entry->set("organId", assignee.organ_id);
        entry->set("name", assignee.name);
        assignees->add(entry);
    }
    object->set("assignees", assignees);
    object->set("dueDate", task.due_date ? Poco::Dynamic::Var(iso_date(*task.due_date))
                                         : Poco::Dynamic::Var());
    object->set("dueText", task.due_text);
    object->set("status", task.status.current
                              ? Poco::Dynamic::Var(edxml::canonical_code(*task.status.current))
                              : Poco::Dynamic::Var());
    object->set("takeBackRequested", task.status.take_back_requested);
    object->set("withdrawn", task.status.withdrawn);
    object->set("progress", task.progress);
    object->set("progressNote", task.progress_note);
    object->set("completionDate", task.completion_date
                                      ? Poco::Dynamic::Var(iso_date(*task.completion_date))
                                      : Poco::Dynamic::Var());
    object->set("timeliness", connector::to_string(connector::derive_timeliness(
                                  task.status, task.due_date, task.completion_date, today)));
    object->set("updatedAt", task.updated_at);
    return object;
}

Object::Ptr event_json(const connector::BackendEvent& event, connector::Store& store,
                       const edxml::Date& today) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("seq", event.sequence);
    object->set("kind", event.kind);
    object->set("taskCode", event.task_code);
    object->set("detail", event.detail);
    object->set("message", event.message_sequence);
    object->set("at", event.recorded_at);
    const auto task = store.task(event.task_code);
    object->set("task", task ? Poco::Dynamic::Var(task_json(*task, today)) : Poco::Dynamic::Var());
    return object;
}

Object::Ptr signature_json(const connector::MessageEntry& message) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("verdict", message.signature_verdict);
    object->set("signer", message.signer);
    object->set("signerAgency", message.signer_agency);
    return object;
}

Object::Ptr message_json(const connector::MessageEntry& m,
                         const std::optional<connector::TransportEntry>& transport) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("sequence", m.sequence);
    body->set("direction", connector::to_string(m.direction));
    body->set("kind", m.kind);
    body->set("businessType", m.business_type);
    body->set("documentId", m.document_id);
    // Outbound, the knobstick is the id the axis gave when it took the package.
    body->set("knobstickId",
              m.knobstick_id.empty() && transport ? transport->knobstick : m.knobstick_id);
    body->set("from", m.from_agency);
    body->set("to", m.to_agencies);
    body->set("statusCode", m.status_code);
    body->set("subject", m.subject);
    body->set("rawSize", m.raw_size);
    body->set("rawSha256", m.raw_sha256);
    body->set("recordedAt", m.recorded_at);
    body->set("signature", signature_json(m));
    body->set("transportState",
              transport ? Poco::Dynamic::Var(transport->state) : Poco::Dynamic::Var());
    body->set("transportReason", transport ? transport->reason : std::string());
    body->set("transportSince", transport
                                    ? Poco::Dynamic::Var(connector::utc_text(transport->since))
                                    : Poco::Dynamic::Var());
    body->set("requestedBy", m.requested_by);
    body->set("entryHash", m.entry_hash);
    return body;
}

Object::Ptr delivery_json(const connector::MessageEntry& m,
                          const std::optional<connector::TransportEntry>& transport) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("message", m.sequence);
    body->set("kind", m.kind);
    body->set("businessType", m.business_type);
    body->set("statusCode", m.status_code);
    body->set("subject", m.subject);
    body->set("requestedBy", m.requested_by);
    const std::string state = transport ? transport->state : std::string("queued");
    body->set("state", state);
    body->set("since", transport ? Poco::Dynamic::Var(connector::utc_text(transport->since))
                                 : Poco::Dynamic::Var());
    body->set("reason", transport ? transport->reason : std::string());
    Poco::JSON::Array::Ptr recipients = new Poco::JSON::Array;
    for (const std::string& code : connector::recipients_of(m.to_agencies)) {
        // "not delivered to A, B (knobstick)": the others were sent, not failed.
        const bool failed_here = transport && transport->reason.find(code) != std::string::npos;
        Object::Ptr recipient = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        recipient->set("organId", code);
        recipient->set("state", state == "delivery_failed" && !failed_here ? "sent" : state);
        recipients->add(recipient);
    }
    body->set("recipients", recipients);
    return body;
}

Object::Ptr audit_json(const connector::AuditEntry& entry) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("sequence", entry.sequence);
    body->set("recordedAt", entry.recorded_at);
    body->set("actor", entry.actor);
    body->set("action", entry.action);
    body->set("target", entry.target);
    body->set("detail", entry.detail);
    body->set("entryHash", entry.entry_hash);
    return body;
}

std::string to_text(const Poco::Dynamic::Var& json) {
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(json, text);
    return text.str();
}

}  // namespace http_api
