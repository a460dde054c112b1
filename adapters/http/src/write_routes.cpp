// The mutating routes: POST /api/v1/tasks (assignments), /api/v1/tasks/{code}/reports,
// /api/v1/documents and /api/v1/documents/{documentId}/revocation and …/amendment.
#include "api_server_impl.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "edxml/status_code.hpp"
#include "http_api/json_views.hpp"
#include "request_fields.hpp"

namespace http_api {

using Poco::JSON::Object;

connector::Exchange& ApiServer::Impl::exchange_of(Backend& b) {
    connector::Exchange* exchange = b.exchange();
    if (!exchange)
        refuse(503, "this server only reads: no exchange is configured");
    return *exchange;
}

void ApiServer::Impl::require_agency_clerk(Backend& b, const Caller& client,
                                           const std::string& what) {
    if (client.role != "clerk")
        return;
    // A clerk token has no units: it never acts for the agency.
    const std::string& agency = exchange_of(b).sender().code;
    if (client.scoped &&
        std::find(client.units.begin(), client.units.end(), agency) != client.units.end())
        return;
    audit_locked(b, client, "API_CALL_FORBIDDEN", what, "not a clerk of " + agency);
    refuse(403, what + " is for the agency's own clerks (unit " + agency + ")");
}

// --- POST /api/v1/tasks ---
Reply ApiServer::Impl::assign(const Caller& client, JsonBody& sent) {
    FieldReader reader;
    const auto body = reader.object(parse_body(sent, reader), "", {"document", "tasks"});
    check(reader);
    const auto document = reader.object(
        body->has("document") ? body->get("document") : Poco::Dynamic::Var(), "document",
        {"number", "notation", "subject", "content", "signer", "attachments"});
    connector::AssignmentDocument assignment;
    if (document) {
        document_code(reader, document, "document", true, assignment.code_number,
                      assignment.code_notation);
        assignment.subject = reader.text(document, "document", "subject", true, 1000);
        assignment.content = reader.text(document, "document", "content", false, 100000);
        assignment.signer = signer(reader, document, "document");
        assignment.attachments = attachments(reader, document, "document");
    }
    std::set<std::string> codes;
    reader.array(
        body, "", "tasks", 1, 500, [&](const Poco::Dynamic::Var& value, const std::string& path) {
            const auto object = reader.object(value, path,
                                              {"code", "title", "content", "lead", "coordinating",
                                               "dueDate", "dueText", "expectedResult", "priority"});
            edxml::TaskRecord task;
            task.task_code = reader.text(object, path, "code", false, 300);
            if (!task.task_code.empty() && !codes.insert(task.task_code).second)
                reader.problem(path + ".code", "'" + task.task_code + "' is given twice");
            task.title = reader.text(object, path, "title", true, 2000);
            task.content = reader.text(object, path, "content", false, 100000);
            const std::string lead_path = path + ".lead";
            const auto lead = reader.object(
                object && object->has("lead") ? object->get("lead") : Poco::Dynamic::Var(),
                lead_path, {"organId", "name"});
            if (lead) {
                task.assignees.push_back({edxml::AssigneeRole::lead,
                                          agency_code(reader, lead, lead_path, "organId", true),
                                          reader.text(lead, lead_path, "name", false, 500)});
            }
            reader.array(object, path, "coordinating", 0, 200,
                         [&](const Poco::Dynamic::Var& unit, const std::string& unit_path) {
                             const auto entry = reader.object(unit, unit_path, {"organId", "name"});
                             edxml::TaskAssignee assignee{
                                 edxml::AssigneeRole::coordinating,
                                 agency_code(reader, entry, unit_path, "organId", false),
                                 reader.text(entry, unit_path, "name", false, 500)};
                             if (assignee.organ_id.empty() && assignee.name.empty())
                                 reader.problem(unit_path, "needs organId or name");
                             task.assignees.push_back(std::move(assignee));
                         });
            task.due_date = date_field(reader, object, path, "dueDate");
            task.due_text = reader.text(object, path, "dueText", false, 500);
            task.expected_result = reader.text(object, path, "expectedResult", false, 10000);
            task.priority = reader.integer(object, path, "priority", 0, 9);
            assignment.tasks.push_back(std::move(task));
        });
    check(reader);
    return with_backend([&](Backend& b) {
        require_agency_clerk(b, client, "assigning tasks");
        const std::int64_t sequence =
            queued([&] { return exchange_of(b).assign(assignment, client.actor()); }, "tasks");
        // Queued: from here on nothing may turn the answer into an error, or a retry
        // with the same Idempotency-Key would not get this 202.
        Object::Ptr answer = accepted(b, sequence);
        const std::string document_id = answer->getValue<std::string>("documentId");
        Poco::JSON::Array::Ptr tasks = new Poco::JSON::Array;
        best_effort("task list of " + document_id, [&] {
            for (const auto& task : b.store().tasks_of_document(document_id))
                tasks->add(task.task_code);
        });
        answer->set("tasks", tasks);
        best_effort("audit", [&] {
            audit_locked(b, client, "API_TASKS_ASSIGNED", document_id,
                         "message " + std::to_string(sequence) + ", " +
                             std::to_string(assignment.tasks.size()) + " tasks");
        });
        return Reply{202, answer, {}, {}, {}};
    });
}

// {"documentId", "message"} of a package just queued.
Object::Ptr ApiServer::Impl::accepted(Backend& b, std::int64_t sequence) {
    std::string document_id;
    best_effort("message " + std::to_string(sequence), [&] {
        const auto logged = b.store().messages(sequence - 1, 1);
        if (!logged.empty())
            document_id = logged.front().document_id;
    });
    Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    answer->set("documentId", document_id);
    answer->set("message", sequence);
    return answer;
}

// --- POST /api/v1/tasks/{code}/reports ---
Reply ApiServer::Impl::report(const Caller& client, const std::string& code, JsonBody& sent) {
    FieldReader reader;
    const auto body = reader.object(parse_body(sent, reader), "",
                                    {"status", "progress", "note", "completionDate"});
    check(reader);
    const auto status = status_field(reader, body);
    const auto progress = reader.integer(body, "", "progress", 0, 100);
    const std::string note = reader.text(body, "", "note", false, 4000);
    const auto completion = date_field(reader, body, "", "completionDate");
    if (!status && !progress && note.empty())
        reader.problem("(body)", "needs at least one of status, progress, note");
    const bool handshake = status && (*status == edxml::StatusKind::take_back_request ||
                                      *status == edxml::StatusKind::change_accepted ||
                                      *status == edxml::StatusKind::change_rejected);
    if (handshake && (progress || completion))
        reader.problem("status", "13, 15 and 16 are sent alone, without progress or dates");
    check(reader);
    return with_backend([&](Backend& b) {
        const auto task = b.store().task(code);
        if (!task)
            refuse(404, "no task '" + code + "'");
        if (!client.sees(*task)) {
            audit_locked(b, client, "API_CALL_FORBIDDEN", code, "report outside the units");
            refuse(403, "task '" + code + "' is not one of your units'");
        }
        std::int64_t sequence = 0;
        try {
            if (handshake) {
                sequence = exchange_of(b).send_status(code, *status, note, client.actor());
            } else {
                connector::ReportRequest request;
                request.task_code = code;
                request.status = status;
                request.progress = progress;
                request.note = note;
                request.completion_date = completion;
                sequence = exchange_of(b).report(request, client.actor());
            }
        } catch (const std::invalid_argument& error) {
            refuse(409, error.what());
        }
        Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        answer->set("message", sequence);
        best_effort("task " + code, [&] {
            if (const auto reported = b.store().task(code))
                answer->set("task", task_json(*reported, today()));
        });
        best_effort("audit", [&] {
            audit_locked(b, client, "API_TASK_REPORTED", code,
                         "message " + std::to_string(sequence) +
                             (status ? ", status " + edxml::canonical_code(*status) : ""));
        });
        return Reply{202, answer, {}, {}, {}};
    });
}

// --- POST /api/v1/documents ---
Reply ApiServer::Impl::document(const Caller& client, JsonBody& sent) {
    FieldReader reader;
    const auto body =
        reader.object(parse_body(sent, reader), "",
                      {"number", "notation", "subject", "content", "signer", "to", "attachments"});
    check(reader);
    connector::PlainDocument plain;
    // No number: the connector numbers it (the message sequence, notation CV).
    document_code(reader, body, "", false, plain.code_number, plain.code_notation);
    plain.subject = reader.text(body, "", "subject", true, 1000);
    plain.content = reader.text(body, "", "content", false, 100000);
    plain.signer = signer(reader, body, "");
    plain.attachments = attachments(reader, body, "");
    reader.array(body, "", "to", 1, 100,
                 [&](const Poco::Dynamic::Var& value, const std::string& path) {
                     const auto entry = reader.object(value, path, {"organId", "name"});
                     edxml::Organization organization;
                     organization.organ_id = agency_code(reader, entry, path, "organId", true);
                     organization.organ_name = reader.text(entry, path, "name", false, 500);
                     plain.to.push_back(std::move(organization));
                 });
    check(reader);
    return with_backend([&](Backend& b) {
        const std::int64_t sequence =
            queued([&] { return exchange_of(b).send_document(plain, client.actor()); }, "(body)");
        Object::Ptr answer = accepted(b, sequence);
        const std::string document_id = answer->getValue<std::string>("documentId");
        best_effort("audit", [&] {
            audit_locked(b, client, "API_DOCUMENT_SENT", document_id,
                         "message " + std::to_string(sequence));
        });
        return Reply{202, answer, {}, {}, {}};
    });
}

// --- POST /api/v1/documents/{documentId}/revocation ---
// Thu hồi: the assignment we sent is revoked (business type 1 to the same recipients)
// and our tasks of it withdrawn.
Reply ApiServer::Impl::revoke(const Caller& client, const std::string& document_id,
                              JsonBody& sent) {
    FieldReader reader;
    const auto body = reader.object(parse_body(sent, reader), "", {"reason"});
    check(reader);
    const std::string reason = reader.text(body, "", "reason", true, 2000);
    check(reader);
    return with_backend([&](Backend& b) {
        const auto tasks = b.store().tasks_of_document(document_id);
        const bool ours = std::any_of(tasks.begin(), tasks.end(), [](const auto& task) {
            return task.side == connector::TaskSide::issued;
        });
        if (!ours)
            refuse(404, "we assigned no tasks by '" + document_id + "'");
        require_agency_clerk(b, client, "revoking an assignment");
        // Revoked once is revoked: a second revocation would only send the same again.
        if (std::all_of(tasks.begin(), tasks.end(), [](const auto& task) {
                return task.side != connector::TaskSide::issued || task.status.withdrawn;
            }))
            refuse(409, "the assignment '" + document_id + "' is revoked already");
        std::int64_t sequence = 0;
        try {
            sequence = exchange_of(b).revoke(document_id, reason, client.actor());
        } catch (const std::invalid_argument& error) {
            refuse(409, error.what());
        }
        Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        answer->set("documentId", document_id);
        answer->set("message", sequence);
        best_effort("audit", [&] {
            audit_locked(b, client, "API_DOCUMENT_REVOKED", document_id,
                         "message " + std::to_string(sequence));
        });
        return Reply{202, answer, {}, {}, {}};
    });
}

// --- POST /api/v1/documents/{documentId}/amendment ---
// Điều chỉnh: tasks of the assignment we sent take a new title, content, deadline or
// priority (business type 2 to their lead units), ours alike. A task names only what
// changes; "dueDate" or "dueText" given moves the deadline (dueDate null or "": none).
Reply ApiServer::Impl::amend(const Caller& client, const std::string& document_id, JsonBody& sent) {
    FieldReader reader;
    reader.nullable = {"dueDate"};  // null: the task has no deadline any more
    const auto body = reader.object(parse_body(sent, reader), "", {"reason", "tasks"});
    check(reader);
    const std::string reason = reader.text(body, "", "reason", true, 2000);
    std::vector<connector::TaskAmendment> amendments;
    reader.array(
        body, "", "tasks", 1, 500, [&](const Poco::Dynamic::Var& value, const std::string& path) {
            const auto object = reader.object(
                value, path, {"code", "title", "content", "dueDate", "dueText", "priority"});
            connector::TaskAmendment change;
            change.task_code = reader.text(object, path, "code", true, 300);
            const auto given = [&](const char* name) { return object && object->has(name); };
            if (given("title"))
                change.title = reader.text(object, path, "title", true, 2000);
            if (given("content"))
                change.content = reader.text(object, path, "content", false, 100000);
            if (given("dueDate") || given("dueText"))
                change.due = connector::TaskAmendment::Deadline{
                    date_field(reader, object, path, "dueDate"),
                    reader.text(object, path, "dueText", false, 500)};
            change.priority = reader.integer(object, path, "priority", 0, 9);
            if (object && !change.title && !change.content && !change.due && !change.priority)
                reader.problem(path,
                               "names nothing to change (title, content, dueDate, "
                               "dueText, priority)");
            amendments.push_back(std::move(change));
        });
    check(reader);
    return with_backend([&](Backend& b) {
        const auto tasks = b.store().tasks_of_document(document_id);
        if (std::none_of(tasks.begin(), tasks.end(),
                         [](const auto& task) { return task.side == connector::TaskSide::issued; }))
            refuse(404, "we assigned no tasks by '" + document_id + "'");
        require_agency_clerk(b, client, "amending an assignment");
        FieldReader unknown;
        for (std::size_t i = 0; i < amendments.size(); ++i)
            if (std::none_of(tasks.begin(), tasks.end(), [&](const auto& task) {
                    return task.task_code == amendments[i].task_code;
                }))
                unknown.problem(
                    "tasks[" + std::to_string(i) + "].code",
                    "'" + amendments[i].task_code + "' is not a task of '" + document_id + "'");
        check(unknown);
        std::int64_t sequence = 0;
        try {
            sequence = exchange_of(b).amend(document_id, amendments, reason, client.actor());
        } catch (const std::invalid_argument& error) {
            refuse(409, error.what());
        }
        Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        answer->set("documentId", document_id);
        answer->set("message", sequence);
        Poco::JSON::Array::Ptr codes = new Poco::JSON::Array;
        for (const auto& change : amendments)
            codes->add(change.task_code);
        answer->set("tasks", codes);
        best_effort("audit", [&] {
            audit_locked(b, client, "API_DOCUMENT_AMENDED", document_id,
                         "message " + std::to_string(sequence) + ", " +
                             std::to_string(amendments.size()) + " tasks");
        });
        return Reply{202, answer, {}, {}, {}};
    });
}

}  // namespace http_api
