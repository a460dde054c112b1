// The operators' routes: Prometheus's scrape (GET /metrics) and the diagnostics
// (GET /api/v1/diagnostics), both rendered by the daemon through ServerSettings.
#include <Poco/JSON/Array.h>

#include "api_server_impl.hpp"

namespace http_api {

using Poco::JSON::Array;
using Poco::JSON::Object;

// The store is this server's (one at a time, as every route's).
Reply ApiServer::Impl::metrics(const Poco::URI::QueryParameters& query) {
    refuse_unknown_query(query);
    if (!settings.metrics_text)
        refuse(404, "no metrics in this server");
    std::string text = with_backend([&](Backend& b) { return settings.metrics_text(b.store()); });
    return {200, {}, std::move(text), "text/plain; version=0.0.4; charset=utf-8", {}};
}

// The checks, then what /readyz would say: "ready" is whether nothing keeps the daemon
// from working now, which the checks alone (run from outside its loop) do not tell.
Reply ApiServer::Impl::diagnostics(const Poco::URI::QueryParameters& query) {
    refuse_unknown_query(query);
    if (!settings.diagnostics)
        refuse(404, "no diagnostics in this server");
    const std::string checked_at = connector::utc_text(now());
    std::vector<DiagnosticCheck> checks;
    {
        std::lock_guard one_at_a_time(diagnostics_mutex);
        checks = settings.diagnostics();
    }
    const std::vector<std::string> problems = readiness_problems();
    std::string joined;
    for (const std::string& problem : problems)
        joined += (joined.empty() ? "" : "; ") + problem;
    checks.push_back(problems.empty()
                         ? DiagnosticCheck{"readiness", "ok", "ready: /readyz answers 200", ""}
                         : DiagnosticCheck{"readiness", "broken", "not ready: " + joined,
                                           "see the checks above and the daemon's log"});

    bool broken = false, warned = false;
    Array::Ptr list = new Array;
    for (const DiagnosticCheck& check : checks) {
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("name", check.name);
        item->set("outcome", check.outcome);
        item->set("detail", check.detail);
        item->set("advice", check.advice);
        list->add(item);
        broken = broken || check.outcome == "broken";
        warned = warned || check.outcome == "warning";
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("checkedAt", checked_at);
    body->set("outcome", broken ? "broken" : warned ? "warning" : "ok");
    body->set("checks", list);
    return {200, body, {}, {}, {}};
}

}  // namespace http_api
