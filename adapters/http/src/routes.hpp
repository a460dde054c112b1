// The routes the server answers (one table, `kRoutes`), the roles that may call them,
// and how a request path is matched against them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace http_api {

// Who may make a call: one bit per role.
// Tokens and logged-in users have the same roles (a token is never a leader, a user never
// the backend); what a clerk sees is further limited to their units (Caller::sees).
// kMetrics: a token for a Prometheus server, which may read /metrics and nothing else.
enum Role : unsigned {
    kBackend = 1,
    kClerk = 2,
    kAuditor = 4,
    kAdmin = 8,
    kLeader = 16,
    kMetrics = 32
};
constexpr unsigned kEveryRole = kBackend | kClerk | kAuditor | kAdmin | kLeader;
constexpr unsigned kPublic = 0;

unsigned role_bit(const std::string& role);

enum class RouteId {
    healthz,
    readyz,
    openapi,
    list_tasks,
    assign,
    task,
    report,
    document,
    events,
    agencies,
    message,
    login,
    whoami,
    logout,
    home,
    page,
    dashboard,
    exports,
    revoke,
    amend,
    task_package,
    messages,
    message_raw,
    audit_verify,
    audit_verification,
    audit_events,
    audit_bundle,
    metrics,
    diagnostics,
    list_tokens,
    create_token,
    revoke_token
};

struct Route {
    const char* method;
    const char* pattern;  // segments; "{code}" matches one (percent-decoded) segment
    unsigned roles;       // kPublic: no token needed
    RouteId id;
};

inline constexpr Route kRoutes[] = {
    {"GET", "/healthz", kPublic, RouteId::healthz},
    {"GET", "/readyz", kPublic, RouteId::readyz},
    // Prometheus's scrape (docs/operations.md, "Monitoring"): a metrics or admin token.
    {"GET", "/metrics", kMetrics | kAdmin, RouteId::metrics},
    {"GET", "/api/v1/openapi.yaml", kPublic, RouteId::openapi},
    // `connector doctor`'s checks, run by the daemon (the admins' page "Chẩn đoán").
    {"GET", "/api/v1/diagnostics", kAdmin, RouteId::diagnostics},
    // The admins' tokens, as `connector token …` (issue 18).
    {"GET", "/api/v1/tokens", kAdmin, RouteId::list_tokens},
    {"POST", "/api/v1/tokens", kAdmin, RouteId::create_token},
    {"DELETE", "/api/v1/tokens/{name}", kAdmin, RouteId::revoke_token},
    {"GET", "/api/v1/tasks", kEveryRole, RouteId::list_tasks},
    // A clerk assigns (revokes, amends) only with the agency itself among their units: the
    // văn thư of the UBND, not a department's clerk (write_routes.cpp).
    {"POST", "/api/v1/tasks", kBackend | kClerk | kAdmin, RouteId::assign},
    {"GET", "/api/v1/tasks/{code}", kEveryRole, RouteId::task},
    // The bytes of a package in a task's history (?message=N), for whoever sees the task.
    {"GET", "/api/v1/tasks/{code}/package", kEveryRole, RouteId::task_package},
    {"POST", "/api/v1/tasks/{code}/reports", kBackend | kClerk | kAdmin, RouteId::report},
    {"POST", "/api/v1/documents", kBackend | kAdmin, RouteId::document},
    {"POST", "/api/v1/documents/{documentId}/revocation", kBackend | kClerk | kAdmin,
     RouteId::revoke},
    {"POST", "/api/v1/documents/{documentId}/amendment", kBackend | kClerk | kAdmin,
     RouteId::amend},
    {"GET", "/api/v1/events", kEveryRole, RouteId::events},
    {"GET", "/api/v1/agencies", kEveryRole, RouteId::agencies},
    {"GET", "/api/v1/messages/{sequence}", kBackend | kAuditor | kAdmin, RouteId::message},
    // The auditors' (issue 16): the log searched, a message's bytes, the chain verification
    // as a job, the audit events, and evidence bundles.
    {"GET", "/api/v1/messages", kAuditor | kAdmin, RouteId::messages},
    {"GET", "/api/v1/messages/{sequence}/raw", kAuditor | kAdmin, RouteId::message_raw},
    {"POST", "/api/v1/audit/verify", kAuditor | kAdmin, RouteId::audit_verify},
    {"GET", "/api/v1/audit/verify/{job}", kAuditor | kAdmin, RouteId::audit_verification},
    {"GET", "/api/v1/audit/events", kAuditor | kAdmin, RouteId::audit_events},
    {"POST", "/api/v1/audit/bundles", kAuditor | kAdmin, RouteId::audit_bundle},
    {"GET", "/api/v1/dashboard", kEveryRole, RouteId::dashboard},
    {"GET", "/api/v1/exports/{file}", kEveryRole, RouteId::exports},
    // The pages' login (its body is checked before anything else) and their session.
    {"POST", "/api/v1/session", kPublic, RouteId::login},
    {"GET", "/api/v1/session", kEveryRole, RouteId::whoami},
    {"DELETE", "/api/v1/session", kEveryRole, RouteId::logout},
    // The pages themselves are public files: what they show comes from the routes above.
    {"GET", "/", kPublic, RouteId::home},
    {"GET", "/ui/{file}", kPublic, RouteId::page},
};

std::vector<std::string> split_path(const std::string& path);
// The route's parameter when `segments` match its pattern.
std::optional<std::string> match(const Route& route, const std::vector<std::string>& segments);

}  // namespace http_api
