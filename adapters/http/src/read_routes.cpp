// The reading routes: GET /api/v1/tasks, /tasks/{code}, /events (the change feed, with its
// long poll) and /agencies; the message log's are in audit_routes.cpp.
#include "api_server_impl.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

#include "connector/task_status.hpp"
#include "edxml/agency_code.hpp"
#include "http_api/json_views.hpp"

namespace http_api {

using Poco::JSON::Object;

namespace {

// The task `code` if the caller may see it: 404 when there is none, 403 when it is not
// one of a clerk's units'.
connector::Task visible_task(Backend& b, const Caller& caller, const std::string& code) {
    auto task = b.store().task(code);
    if (!task)
        refuse(404, "no task '" + code + "'");
    if (!caller.sees(*task))
        refuse(403, "task '" + code + "' is not one of your units'");
    return std::move(*task);
}

constexpr int kMaxLongPolls = 16;

}  // namespace

// --- GET /api/v1/tasks ---
std::size_t ApiServer::Impl::limit_of(const std::string& value) {
    if (value.empty() || value.size() > 4 ||
        value.find_first_not_of("0123456789") != std::string::npos || std::stoul(value) == 0 ||
        std::stoul(value) > 1000)
        refuse_fields({{"limit", "'" + value + "' is not 1..1000"}});
    return std::stoul(value);
}

connector::TaskQuery ApiServer::Impl::task_filters(const Caller& caller,
                                                   const Poco::URI::QueryParameters& query,
                                                   bool paged) {
    connector::TaskQuery filter;
    filter.scoped = caller.scoped;
    filter.units = caller.units;
    filter.today = edxml::format_date(today());
    FieldReader reader;
    std::set<std::string> seen;
    std::string after;
    for (const auto& [name, value] : query) {
        if (!seen.insert(name).second) {
            reader.problem(name, "is given twice");
            continue;
        }
        if (paged && name == "after") {
            after = value;
        } else if (paged && name == "limit") {
            filter.limit = limit_of(value);
        } else if (paged && name == "sort") {
            if (value != "code" && value != "due" && value != "updated")
                reader.problem(name, "must be code, due or updated");
            if (value == "due")
                filter.order = connector::TaskQuery::Order::due_date;
            if (value == "updated")
                filter.order = connector::TaskQuery::Order::updated;
        } else if (name == "updatedSince") {
            if (const auto since = connector::parse_utc_text(value))
                filter.updated_since = connector::utc_text(*since);
            else
                reader.problem(name, "'" + value + "' is not a UTC time (2026-12-01T00:00:00Z)");
        } else if (name == "agency") {
            if (const auto verdict = edxml::check_agency_code(value); !verdict.ok())
                reader.problem(name, "'" + value + "' is not an agency code");
            filter.agency = value;
        } else if (name == "status") {
            if (value.size() != 2 || value.find_first_not_of("0123456789") != std::string::npos)
                reader.problem(name, "'" + value + "' is not a two-digit status code");
            filter.status = value;
        } else if (name == "side") {
            if (value != "issued" && value != "received")
                reader.problem(name, "must be issued or received");
            filter.side = value;
        } else if (name == "timeliness") {
            static const std::set<std::string> kKnown = {"open_on_time", "open_overdue",
                                                         "done_on_time", "done_late",
                                                         "refused",      "withdrawn"};
            if (kKnown.count(value) == 0)
                reader.problem(name,
                               "must be open_on_time, open_overdue, done_on_time, done_late, "
                               "refused or withdrawn");
            filter.timeliness = value;
        } else if (name == "dueBefore" || name == "dueAfter") {
            const auto date = api_date(value);
            if (!date)
                reader.problem(name, "'" + value + "' is not a yyyy-MM-dd date");
            else
                (name == "dueBefore" ? filter.due_before : filter.due_after) =
                    edxml::format_date(*date);
        } else if (name == "q") {
            if (!valid_utf8(value) || characters(value) > 200)
                reader.problem(name, "must be valid UTF-8, at most 200 characters");
            filter.text = value;
        } else {
            reader.problem(name, "unknown query parameter");
        }
    }
    // Sorted by deadline, the cursor is "yyyy/MM/dd|code"; by change, "UTC time|code" (the
    // `next` of the page before).
    if (filter.order != connector::TaskQuery::Order::code && !after.empty()) {
        const auto bar = after.find('|');
        const bool by_due = filter.order == connector::TaskQuery::Order::due_date;
        if (bar == std::string::npos ||
            (!by_due && !connector::parse_utc_text(after.substr(0, bar))))
            reader.problem("after", std::string("with sort=") + (by_due ? "due" : "updated") +
                                        ", must be the `next` of the page before");
        else {
            (by_due ? filter.after_due : filter.after_updated) = after.substr(0, bar);
            filter.after_code = after.substr(bar + 1);
        }
    } else {
        filter.after_code = after;
    }
    check(reader);
    return filter;
}

Reply ApiServer::Impl::list_tasks(const Caller& caller, const Poco::URI::QueryParameters& query) {
    connector::TaskQuery filter = task_filters(caller, query, true);
    const edxml::Date now = today();
    const std::size_t limit = filter.limit;
    filter.limit = limit + 1;  // one more than asked: whether a next page exists
    std::vector<connector::Task> page =
        with_backend([&](Backend& b) { return b.store().find_tasks(filter); });
    std::string next;
    if (page.size() > limit) {
        page.resize(limit);
        const connector::Task& last = page.back();
        next = filter.order == connector::TaskQuery::Order::code ? last.task_code
               : filter.order == connector::TaskQuery::Order::updated
                   ? last.updated_at + "|" + last.task_code
                   : (last.due_date ? edxml::format_date(*last.due_date) : connector::kNoDeadline) +
                         std::string("|") + last.task_code;
    }
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& task : page)
        list->add(task_json(task, now));
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("tasks", list);
    body->set("next", next.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(next));
    return {200, body, {}, {}, {}};
}

Reply ApiServer::Impl::one_task(const Caller& caller, const std::string& code,
                                const Poco::URI::QueryParameters& query) {
    refuse_unknown_query(query);
    return with_backend([&](Backend& b) {
        const connector::Task task = visible_task(b, caller, code);
        Object::Ptr body = task_json(task, today());
        // The long fields, beside the list's: everything the store holds of the task.
        body->set("content", task.content);
        body->set("priority", task.priority);
        body->set("expectedResult", task.expected_result);
        body->set("createdAt", task.created_at);
        // The document that assigned it, as the log holds it (received or sent by us).
        const auto direction = task.side == connector::TaskSide::received
                                   ? connector::Direction::inbound
                                   : connector::Direction::outbound;
        const auto carried =
            b.store().messages_by_document(direction, "edoc", task.source_document_id);
        const auto source =
            carried.empty() ? std::nullopt : b.store().message_without_raw(carried.front());
        if (source) {
            Object::Ptr document = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            document->set("documentId", source->document_id);
            document->set("subject", source->subject);
            document->set("from", source->from_agency);
            document->set("fromName", agency_name(source->from_agency));
            document->set("message", source->sequence);
            document->set("recordedAt", source->recorded_at);
            body->set("sourceDocument", document);
        } else {
            body->set("sourceDocument", Poco::Dynamic::Var());
        }
        Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
        Poco::JSON::Array::Ptr deliveries = new Poco::JSON::Array;
        std::set<std::int64_t> seen;
        for (const auto& event : b.store().task_events(code)) {
            Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            entry->set("at", event.recorded_at);
            entry->set("kind", event.kind);
            entry->set("detail", event.detail);
            entry->set("message", event.message_sequence);
            const auto logged = event.message_sequence > 0
                                    ? b.store().message_without_raw(event.message_sequence)
                                    : std::nullopt;
            if (logged) {
                entry->set("signature", signature_json(*logged));
                // Who acted: the agency that sent the package, and for ours the user or
                // client who asked for it.
                Object::Ptr actor = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                actor->set("agency", logged->from_agency);
                actor->set("agencyName", agency_name(logged->from_agency));
                actor->set("requestedBy", logged->requested_by);
                entry->set("actor", actor);
                if (logged->direction == connector::Direction::outbound &&
                    seen.insert(logged->sequence).second)
                    deliveries->add(
                        delivery_json(*logged, b.store().transport_state(logged->sequence)));
            }
            history->add(entry);
        }
        body->set("history", history);
        body->set("deliveries", deliveries);
        return Reply{200, body, {}, {}, {}};
    });
}

// --- GET /api/v1/tasks/{code}/package?message=N ---
// The package as it was received or sent, for whoever sees the task: only packages in its
// history (so a clerk reaches no other unit's). Downloaded, never shown in the page's
// origin: an attachment, nosniff, and a sandbox policy.
Reply ApiServer::Impl::task_package(const Caller& caller, const std::string& code,
                                    const Poco::URI::QueryParameters& query) {
    std::string text;
    for (const auto& [name, value] : query) {
        if (name != "message" || !text.empty())
            refuse_fields(
                {{name, name == "message" ? "is given twice" : "unknown query parameter"}});
        text = value;
    }
    const std::int64_t sequence = message_sequence("message", text);
    return with_backend([&](Backend& b) {
        visible_task(b, caller, code);
        const auto events = b.store().task_events(code);
        if (std::none_of(events.begin(), events.end(),
                         [&](const auto& event) { return event.message_sequence == sequence; }))
            refuse(404, "message " + text + " is not in the history of task '" + code + "'");
        const auto logged = b.store().messages(sequence - 1, 1);
        if (logged.empty() || logged.front().sequence != sequence)
            refuse(404, "no message " + text + " in the log");
        return package_download(logged.front().raw, sequence);
    });
}

// --- GET /api/v1/events ---
Reply ApiServer::Impl::events(const Poco::URI::QueryParameters& query) {
    std::int64_t after = 0;
    std::size_t limit = 100;
    long long wait_seconds = 0;
    FieldReader reader;
    std::set<std::string> seen;
    const auto number = [&](const std::string& name, const std::string& value,
                            long long high) -> long long {
        // Up to 19 digits (2^62 has 19), read unsigned so that none overflows.
        if (value.empty() || value.size() > 19 ||
            value.find_first_not_of("0123456789") != std::string::npos ||
            std::stoull(value) > static_cast<unsigned long long>(high)) {
            reader.problem(name, "'" + value + "' is not 0.." + std::to_string(high));
            return 0;
        }
        return static_cast<long long>(std::stoull(value));
    };
    for (const auto& [name, value] : query) {
        if (!seen.insert(name).second)
            reader.problem(name, "is given twice");
        else if (name == "after")
            after = number(name, value, 1LL << 62);
        else if (name == "limit")
            limit = limit_of(value);
        else if (name == "wait")
            wait_seconds = number(name, value, settings.max_wait.count());
        else
            reader.problem(name, "unknown query parameter");
    }
    check(reader);
    // Long polls hold a server thread each: past kMaxLongPolls at once, or while
    // stopping, the call answers at once (the caller asks again).
    struct Slot {
        std::atomic<int>& count;
        explicit Slot(std::atomic<int>& c) : count(c) { ++count; }
        ~Slot() { --count; }
    } slot(long_polls);
    if (long_polls > kMaxLongPolls)
        wait_seconds = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
    std::uint64_t generation = changes ? changes->generation() : 0;
    while (true) {
        auto answer = with_backend([&](Backend& b) -> std::optional<Reply> {
            const auto found = b.store().backend_events(after, limit);
            if (found.empty() && !stopping && std::chrono::steady_clock::now() < deadline)
                return std::nullopt;
            const edxml::Date now = today();
            Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
            for (const auto& event : found)
                list->add(event_json(event, b.store(), now));
            Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            body->set("events", list);
            body->set("last", found.empty() ? after : found.back().sequence);
            return Reply{200, body, {}, {}, {}};
        });
        if (answer)
            return *answer;
        // Woken by this process's changes at once; others' are seen within 250 ms.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto step =
            std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(250));
        if (changes)
            generation = changes->wait(generation, step);
        else
            std::this_thread::sleep_for(step);
    }
}

Reply ApiServer::Impl::agencies(const Poco::URI::QueryParameters& query) {
    refuse_unknown_query(query);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    const auto known = agencies_now();  // held: a reload may replace it meanwhile
    for (const auto& [name, code] : *known) {
        Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("code", code);
        entry->set("name", name);
        list->add(entry);
    }
    Object::Ptr body = new Object;
    body->set("agencies", list);
    return {200, body, {}, {}, {}};
}

}  // namespace http_api
