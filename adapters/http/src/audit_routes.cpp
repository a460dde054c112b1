// The auditors' routes: the message log searched (GET /api/v1/messages), one message in
// full and its bytes, the chain verification as a job with progress, the audit events,
// and evidence bundles.
#include <Poco/JSON/Array.h>

#include <set>

#include "api_server_impl.hpp"
#include "connector/checkpoint.hpp"
#include "connector/log_search.hpp"
#include "edxml/reader.hpp"
#include "http_api/json_views.hpp"

namespace http_api {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

// A log entry's sequence: message_sequence, and 0 is none either.
std::int64_t sequence_of(const std::string& text) {
    const std::int64_t sequence = message_sequence("sequence", text);
    if (sequence == 0)
        refuse_fields({{"sequence", "not a message sequence (a whole number)"}});
    return sequence;
}

Object::Ptr certificate_json(const edxml::CertificateInfo& certificate) {
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("subject", certificate.subject);
    json->set("issuer", certificate.issuer);
    json->set("serial", certificate.serial);
    json->set("notBefore", certificate.not_before);
    json->set("notAfter", certificate.not_after);
    json->set("fingerprint", certificate.fingerprint);
    return json;
}

Object::Ptr report_json(const connector::ChainReport& report) {
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("chain", report.chain);
    json->set("ok", report.ok);
    json->set("checked", report.count);
    json->set("headHash", report.head_hash);
    json->set("firstBadSequence",
              report.ok ? Poco::Dynamic::Var() : Poco::Dynamic::Var(report.first_bad_sequence));
    json->set("problem", report.problem);
    return json;
}

// The filters of a search from the query (connector/log_search.hpp): 400 naming each wrong
// or repeated parameter.
template <typename Query>
Query filters_of(const Poco::URI::QueryParameters& query,
                 std::string (*set)(Query&, const std::string&, const std::string&)) {
    Query filter;
    FieldReader reader;
    std::set<std::string> seen;
    for (const auto& [name, value] : query) {
        if (!seen.insert(name).second) {
            reader.problem(name, "is given twice");
            continue;
        }
        if (const std::string problem = set(filter, name, value); !problem.empty())
            reader.problem(name, problem == "unknown filter" ? "unknown query parameter" : problem);
    }
    check(reader);
    return filter;
}

}  // namespace

// --- GET /api/v1/messages ---
Reply ApiServer::Impl::list_messages(const Poco::URI::QueryParameters& query) {
    const auto filter = filters_of<connector::MessageQuery>(query, connector::set_message_filter);
    const std::size_t limit = filter.limit;
    const connector::MessagePage page =
        with_backend([&](Backend& b) { return b.store().find_messages(filter); });
    Array::Ptr list = new Array;
    for (const connector::LoggedMessage& message : page.messages) {
        Object::Ptr json = message_json(message.entry, message.transport);
        json->set("fromName", agency_name(message.entry.from_agency));
        list->add(json);
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("messages", list);
    body->set("total", page.total);
    body->set("totalExact", page.total_exact);
    body->set("next", page.messages.size() == limit
                          ? Poco::Dynamic::Var(page.messages.back().entry.sequence)
                          : Poco::Dynamic::Var());
    return {200, body, {}, {}, {}};
}

// --- GET /api/v1/messages/{sequence} ---
// One entry of the log without its bytes, with all an auditor checks: who signed it (from
// the certificates it carries), the trace headers, the transport history, the tasks it
// touched, and where it stands in the chain.
Reply ApiServer::Impl::one_message(const std::string& text,
                                   const Poco::URI::QueryParameters& query) {
    refuse_unknown_query(query);
    const std::int64_t sequence = sequence_of(text);
    return with_backend([&](Backend& b) {
        const auto logged = b.store().message_without_raw(sequence);
        if (!logged)
            refuse(404, "no message " + text + " in the log");
        Object::Ptr body = message_json(*logged, b.store().transport_state(sequence));
        body->set("fromName", agency_name(logged->from_agency));
        Array::Ptr recipients = new Array;
        for (const std::string& code : connector::recipients_of(logged->to_agencies)) {
            Object::Ptr recipient = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            recipient->set("code", code);
            recipient->set("name", agency_name(code));
            recipients->add(recipient);
        }
        body->set("recipients", recipients);
        body->set("signerAgencyName", agency_name(logged->signer_agency));
        body->set("prevHash", logged->prev_hash);
        body->set("chainHead", b.store().message_head().sequence);

        // What the package itself says: its certificates and its trace headers.
        const auto entries = b.store().messages(sequence - 1, 1);
        const std::string& raw = entries.empty() ? std::string() : entries.front().raw;
        Array::Ptr certificates = new Array;
        Poco::Dynamic::Var signer_certificate;
        for (const edxml::CertificateInfo& certificate : edxml::certificates_in_package(raw)) {
            certificates->add(certificate_json(certificate));
            if (signer_certificate.isEmpty() && certificate.subject == logged->signer)
                signer_certificate = certificate_json(certificate);
        }
        body->set("signerCertificate", signer_certificate);
        body->set("certificates", certificates);
        Array::Ptr trace = new Array;
        const edxml::ReadResult read = edxml::read_package(raw);
        if (read.package) {
            if (const auto* document = std::get_if<edxml::DocumentPackage>(&*read.package);
                document && document->trace) {
                for (const edxml::TraceHeader& header : document->trace->trace_headers) {
                    Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                    item->set("organId", header.organ_id);
                    item->set("organName", agency_name(header.organ_id));
                    item->set("timestamp",
                              header.timestamp
                                  ? Poco::Dynamic::Var(edxml::format_date_time(*header.timestamp))
                                  : Poco::Dynamic::Var());
                    trace->add(item);
                }
            }
        }
        body->set("traceHeaders", trace);

        Array::Ptr history = new Array;
        for (const connector::TransportEntry& step : b.store().transport_history(sequence)) {
            Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            item->set("state", step.state);
            item->set("since", connector::utc_text(step.since));
            item->set("reason", step.reason);
            item->set("knobstick", step.knobstick);
            history->add(item);
        }
        body->set("transportHistory", history);
        Array::Ptr tasks = new Array;
        for (const connector::TaskEvent& event : b.store().events_of_message(sequence)) {
            Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            item->set("code", event.task_code);
            item->set("kind", event.kind);
            item->set("detail", event.detail);
            item->set("at", event.recorded_at);
            tasks->add(item);
        }
        body->set("tasks", tasks);
        return Reply{200, body, {}, {}, {}};
    });
}

// --- GET /api/v1/messages/{sequence}/raw ---
// The bytes as received or sent: downloaded, never shown in the pages' origin.
Reply ApiServer::Impl::message_raw(const std::string& text,
                                   const Poco::URI::QueryParameters& query) {
    refuse_unknown_query(query);
    const std::int64_t sequence = sequence_of(text);
    return with_backend([&](Backend& b) {
        if (!b.store().message_without_raw(sequence))
            refuse(404, "no message " + text + " in the log");
        return package_download(b.store().messages(sequence - 1, 1).front().raw, sequence);
    });
}

// --- GET /api/v1/audit/events ---
Reply ApiServer::Impl::audit_events(const Poco::URI::QueryParameters& query) {
    const auto filter = filters_of<connector::AuditQuery>(query, connector::set_audit_filter);
    const auto found =
        with_backend([&](Backend& b) { return b.store().find_audit_entries(filter); });
    Array::Ptr list = new Array;
    for (const connector::AuditEntry& entry : found)
        list->add(audit_json(entry));
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("events", list);
    body->set("next", found.size() == filter.limit ? Poco::Dynamic::Var(found.back().sequence)
                                                   : Poco::Dynamic::Var());
    return {200, body, {}, {}, {}};
}

// --- POST /api/v1/audit/verify, GET /api/v1/audit/verify/{job} ---
// The walk runs in its own thread on its own store connection; one at a time (asked again
// while one runs, the running one is the answer).
Object::Ptr ApiServer::Impl::job_json(const VerificationJob& job) const {
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("job", job.id);
    json->set("state", job.state);
    json->set("startedBy", job.started_by);
    json->set("startedAt", job.started_at);
    json->set("finishedAt",
              job.finished_at.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(job.finished_at));
    json->set("total", job.total);
    json->set("checked", job.checked);
    json->set("messageHead", job.message_head);
    json->set("auditHead", job.audit_head);
    json->set("checkpointSource", job.checkpoint_source);
    json->set("checkpoints", job.checkpoint_count);
    json->set("lastCheckpoint", job.last_checkpoint.sequence > 0
                                    ? Poco::Dynamic::Var(job.last_checkpoint.sequence)
                                    : Poco::Dynamic::Var());
    json->set("lastCheckpointAt", job.last_checkpoint.recorded_at);
    Array::Ptr reports = new Array;
    for (const connector::ChainReport& report : job.reports)
        reports->add(report_json(report));
    json->set("reports", reports);
    json->set("problem", job.problem);
    return json;
}

Reply ApiServer::Impl::start_verification(const Caller& client, JsonBody& sent) {
    FieldReader reader;  // the body is {}: a field in it is a mistake, named
    reader.object(parse_body(sent, reader), "", {});
    check(reader);
    std::lock_guard lock(jobs_mutex);
    if (current_job && current_job->state == "running")
        return {200, job_json(*current_job), {}, {}, {}};
    if (verification_thread.joinable())
        verification_thread.join();
    auto job = std::make_shared<VerificationJob>();
    job->id = ++last_job_id;
    job->started_by = client.actor();
    job->started_at = connector::utc_text(now());
    current_job = job;
    finished_jobs.push_front(job);
    if (finished_jobs.size() > 10)
        finished_jobs.pop_back();
    audit(client, "CHAIN_VERIFICATION_STARTED", "job " + std::to_string(job->id), "");
    verification_thread = std::thread([this, job] { run_verification(job); });
    return {202, job_json(*job), {}, {}, {}};
}

void ApiServer::Impl::run_verification(const std::shared_ptr<VerificationJob>& job) {
    const auto update = [&](auto change) {
        std::lock_guard lock(jobs_mutex);
        change(*job);
    };
    try {
        const std::unique_ptr<Backend> own = open_backend();
        connector::Store& store = own->store();
        connector::ChainExpectations expectations;
        std::string source = "store";
        if (!settings.checkpoint_file.empty()) {
            expectations.checkpoints = connector::read_checkpoint_file(settings.checkpoint_file);
            source = "file";
        } else {
            for (const char* chain : {"messages", "audit_events"})
                for (const auto& checkpoint : store.checkpoints(chain))
                    expectations.checkpoints.push_back(checkpoint);
        }
        // Without the certificate no checkpoint can be trusted: the first is refused.
        const std::optional<std::size_t> bad =
            expectations.checkpoints.empty() ? std::nullopt
            : settings.checkpoint_certificate.empty()
                ? std::optional<std::size_t>(0)
                : connector::first_unsigned_checkpoint(expectations.checkpoints,
                                                       settings.checkpoint_certificate);
        if (bad) {
            const connector::ChainCheckpoint& checkpoint = expectations.checkpoints[*bad];
            throw std::runtime_error(
                "checkpoint " + std::to_string(*bad + 1) + " (" + checkpoint.chain + " at " +
                std::to_string(checkpoint.sequence) + ") is not signed by the signing certificate");
        }
        const std::int64_t messages_head = store.message_head().sequence;
        const std::int64_t audit_head = store.audit_head().sequence;
        update([&](VerificationJob& j) {
            j.checkpoint_source = source;
            j.checkpoint_count = static_cast<std::int64_t>(expectations.checkpoints.size());
            for (const auto& checkpoint : expectations.checkpoints)
                if (checkpoint.chain == "messages")
                    j.last_checkpoint = checkpoint;
            j.message_head = messages_head;
            j.audit_head = audit_head;
            j.total = messages_head + audit_head;
        });
        auto reports = connector::verify_chains(
            store, expectations, [&](const std::string& chain, std::int64_t checked) {
                if (stopping)
                    throw std::runtime_error("the server is stopping");
                update([&](VerificationJob& j) {
                    j.checked = (chain == "messages" ? 0 : j.message_head) + checked;
                });
            });
        bool all_ok = true;
        for (const auto& report : reports)
            all_ok = all_ok && report.ok;
        update([&](VerificationJob& j) {
            j.reports = reports;
            j.checked = 0;
            for (const auto& report : reports)
                j.checked += report.count;
            j.state = all_ok ? "intact" : "broken";
            j.finished_at = connector::utc_text(now());
        });
        best_effort("record the verification", [&] {
            connector::AuditEntry entry{0,
                                        "connector",
                                        "CHAIN_VERIFIED",
                                        "job " + std::to_string(job->id),
                                        all_ok ? "intact" : "broken",
                                        "",
                                        "",
                                        ""};
            store.append_audit(entry);
        });
    } catch (const std::exception& error) {
        update([&](VerificationJob& j) {
            j.state = "failed";
            j.problem = error.what();
            j.finished_at = connector::utc_text(now());
        });
    }
}

Reply ApiServer::Impl::verification_state(const std::string& text) {
    if (text.empty() || text.size() > 9 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        refuse_fields({{"job", "not a job number"}});
    const std::int64_t id = std::stoll(text);
    std::lock_guard lock(jobs_mutex);
    for (const auto& job : finished_jobs) {
        if (job->id == id)
            return {200, job_json(*job), {}, {}, {}};
    }
    refuse(404, "no verification job " + text + " (the last ten are kept)");
}

void ApiServer::Impl::join_verification() {
    std::thread running;
    {
        std::lock_guard lock(jobs_mutex);
        running = std::move(verification_thread);
    }
    if (running.joinable())
        running.join();
}

// --- POST /api/v1/audit/bundles ---
Reply ApiServer::Impl::evidence_bundle(const Caller& client, JsonBody& sent) {
    FieldReader reader;
    const auto body = reader.object(parse_body(sent, reader), "", {"messages"});
    std::vector<std::int64_t> sequences;
    reader.array(body, "", "messages", 1, 100,
                 [&](const Poco::Dynamic::Var& value, const std::string& path) {
                     if (!value.isInteger() || value.convert<std::int64_t>() < 1)
                         reader.problem(path, "must be a message sequence (a whole number)");
                     else
                         sequences.push_back(value.convert<std::int64_t>());
                 });
    check(reader);
    if (!settings.make_evidence_bundle)
        refuse(503, "evidence bundles need the signing key (signing.key_file)");
    std::string zip;
    with_backend([&](Backend& b) {
        try {
            zip = settings.make_evidence_bundle(b.store(), sequences, client.actor());
        } catch (const std::invalid_argument& error) {
            refuse(404, error.what());
        } catch (const connector::PermanentError& error) {
            refuse(409, error.what());
        }
        audit_locked(b, client, "EVIDENCE_EXPORTED", "messages", [&] {
            std::string list;
            for (const std::int64_t sequence : sequences)
                list += (list.empty() ? "" : ",") + std::to_string(sequence);
            return list;
        }());
        return 0;
    });
    Reply reply{200, {}, zip, "application/zip", {}};
    reply.headers.emplace_back(
        "Content-Disposition",
        "attachment; filename=\"chung-cu-" + std::to_string(sequences.front()) + ".zip\"");
    return reply;
}

}  // namespace http_api
