// The admins' token management (issue 18): GET /api/v1/tokens lists them, POST makes one
// (shown once, with an optional expiry), DELETE /api/v1/tokens/{name} revokes it. Each
// write is in the audit chain, as `connector token create/revoke` are.
#include <Poco/JSON/Array.h>

#include "api_server_impl.hpp"
#include "field_reader.hpp"

namespace http_api {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Object::Ptr token_json(const connector::ApiClient& client) {
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("name", client.name);
    json->set("role", client.role);
    json->set("createdAt", client.created_at);
    json->set("expiresAt", client.expires_at.empty() ? Poco::Dynamic::Var()
                                                     : Poco::Dynamic::Var(client.expires_at));
    json->set("revokedAt", client.revoked_at.empty() ? Poco::Dynamic::Var()
                                                     : Poco::Dynamic::Var(client.revoked_at));
    return json;
}

}  // namespace

Reply ApiServer::Impl::list_tokens(const Poco::URI::QueryParameters& query) {
    refuse_unknown_query(query);
    Array::Ptr list = new Array;
    for (const connector::ApiClient& client :
         with_backend([](Backend& b) { return b.store().api_clients(); }))
        list->add(token_json(client));
    Object::Ptr body = new Object;
    body->set("tokens", list);
    return {200, body, {}, {}, {}};
}

Reply ApiServer::Impl::create_token(const Caller& client, JsonBody& sent) {
    FieldReader reader;
    const auto body = reader.object(parse_body(sent, reader), "", {"name", "role", "expiresAt"});
    const std::string name = reader.text(body, "", "name", true, 64);
    const std::string role = reader.text(body, "", "role", true, 16);
    const std::string expires_text = reader.text(body, "", "expiresAt", false, 40);
    if (!name.empty() && !connector::is_account_name(name))
        reader.problem("name", "must be 1..64 of a-z, 0-9, '-', '_', '.'");
    if (!role.empty() && role != "backend" && role != "clerk" && role != "auditor" &&
        role != "admin" && role != "metrics")
        reader.problem("role", "must be backend, clerk, auditor, admin or metrics");
    std::string expires_at;
    if (!expires_text.empty()) {
        const auto expires = connector::parse_utc_text(expires_text);
        if (!expires)
            reader.problem("expiresAt",
                           "'" + expires_text + "' is not a UTC time (2027-01-31T00:00:00Z)");
        else if (*expires <= now())
            reader.problem("expiresAt", "is not in the future");
        else
            expires_at = connector::utc_text(*expires);
    }
    check(reader);
    const std::string token = new_token();
    with_backend([&](Backend& b) {
        try {
            b.store().create_api_client(name, token_hash(token), role, expires_at);
        } catch (const connector::DuplicateError&) {
            refuse(409,
                   "a token named '" + name + "' exists already (revoked ones keep their name)");
        }
        audit_locked(b, client, "TOKEN_CREATED", name,
                     "role " + role + (expires_at.empty() ? "" : ", expires " + expires_at));
        return 0;
    });
    Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    answer->set("name", name);
    answer->set("role", role);
    answer->set("expiresAt",
                expires_at.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(expires_at));
    answer->set("token", token);  // the only time it is shown: only its hash is kept
    return {201, answer, {}, {}, {}};
}

Reply ApiServer::Impl::revoke_token(const Caller& client, const std::string& name) {
    if (!connector::is_account_name(name))
        refuse_fields({{"name", "must be 1..64 of a-z, 0-9, '-', '_', '.'"}});
    with_backend([&](Backend& b) {
        if (!b.store().revoke_api_client(name))
            refuse(404, "no token named '" + name + "' in force");
        audit_locked(b, client, "TOKEN_REVOKED", name, "");
        return 0;
    });
    return {204, {}, {}, {}, {}};
}

}  // namespace http_api
