// Who is calling: API tokens (made, hashed, looked up) and the audit of what callers do.
#include "api_server_impl.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include <Poco/Net/NameValueCollection.h>

#include "edxml/attachments.hpp"

namespace http_api {

using Poco::Net::HTTPServerRequest;

namespace {

std::string hex(const unsigned char* bytes, std::size_t size) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 15];
    }
    return out;
}

}  // namespace

std::string new_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("no random bytes for a token");
    return hex(bytes, sizeof bytes);
}

std::string token_hash(const std::string& token) {
    return edxml::sha256_hex(token);
}

Caller ApiServer::Impl::authenticate(HTTPServerRequest& request) {
    const std::string authorization = request.get("Authorization", "");
    // Replaced by what was wrong with a token or a session cookie that was sent.
    Reply unauthorized = error_reply(
        401, "an API token (Authorization: Bearer <token>) or a login session is required");
    if (authorization.rfind("Bearer ", 0) == 0) {
        const std::string hash = token_hash(authorization.substr(7));
        const auto client =
            with_backend([&](Backend& b) { return b.store().api_client_by_token_hash(hash); });
        if (client && !client->expires_at.empty()) {
            // Compared as times, not texts: the store keeps what utc_text wrote.
            const auto expires = connector::parse_utc_text(client->expires_at);
            if (!expires || *expires <= now()) {
                unauthorized = error_reply(401, "the API token expired at " + client->expires_at);
                unauthorized.headers.emplace_back("WWW-Authenticate", "Bearer");
                throw Refusal{unauthorized};
            }
        }
        if (client) {
            Caller caller;
            caller.name = client->name;
            caller.role = client->role;
            return caller;
        }
        unauthorized = error_reply(401, "the API token is unknown or revoked");
    } else if (auto caller = session_caller(request, unauthorized)) {
        return *caller;
    }
    unauthorized.headers.emplace_back("WWW-Authenticate", "Bearer");
    throw Refusal{unauthorized};
}

// The session its cookie names, when it is still valid; else nothing, and `ended` says
// why (401, with the cookie cleared) when a cookie was sent.
std::optional<Caller> ApiServer::Impl::session_caller(HTTPServerRequest& request, Reply& ended) {
    Poco::Net::NameValueCollection cookies;
    request.getCookies(cookies);
    const std::string value = cookies.get(session_cookie_name(), "");
    if (value.empty())
        return std::nullopt;
    const auto end = [&](const std::string& why) {
        ended = error_reply(401, why);
        ended.headers.emplace_back("Set-Cookie", session_cookie("", true));
        return std::nullopt;
    };
    const auto at = now();
    const std::string hash = token_hash(value);
    std::optional<connector::LoginSession> session;
    std::optional<connector::User> user;
    with_backend([&](Backend& b) {
        session = b.store().session(hash);
        if (session)
            user = b.store().user(session->user_name);
        return 0;
    });
    if (!session || !session->ended_at.empty() || !user || !user->disabled_at.empty())
        return end("the session has ended; log in again");
    const auto created = connector::parse_utc_text(session->created_at);
    const auto seen = connector::parse_utc_text(session->last_seen_at);
    if (!created || !seen || at - *created > settings.session_lifetime)
        return end("the session is over its lifetime; log in again");
    if (at - *seen > settings.session_idle)
        return end("the session was idle too long; log in again");
    // The last use is written at most once a minute: the idle limit is counted in
    // minutes, and reads should not all become writes.
    if (at - *seen > std::chrono::minutes(1))
        with_backend([&](Backend& b) {
            b.store().touch_session(hash, connector::utc_text(at));
            return 0;
        });
    Caller caller;
    caller.logged_in = true;
    caller.name = user->name;
    caller.role = user->role;
    caller.scoped = user->role == "clerk";
    caller.units = user->units;
    caller.session_hash = hash;
    caller.csrf_token = session->csrf_token;
    return caller;
}

void ApiServer::Impl::audit(const Caller& client, const std::string& action,
                            const std::string& target, const std::string& detail) {
    with_backend([&](Backend& b) {
        audit_locked(b, client, action, target, detail);
        return 0;
    });
}

void ApiServer::Impl::audit_locked(Backend& b, const Caller& client, const std::string& action,
                                   const std::string& target, const std::string& detail) {
    connector::AuditEntry entry;
    entry.actor = client.actor();
    entry.action = action;
    entry.target = target;
    entry.detail = detail;
    b.store().append_audit(entry);
}

}  // namespace http_api
