// The pages' login: POST /api/v1/session (a name and password for a session cookie),
// GET /api/v1/session (who is calling) and DELETE /api/v1/session (logout). Each login,
// failure, lockout and logout goes to the audit chain.
#include <Poco/JSON/Array.h>

#include <openssl/crypto.h>

#include "api_server_impl.hpp"
#include "connector/password.hpp"

namespace http_api {

using Poco::JSON::Object;
using Poco::Net::HTTPServerRequest;

namespace {

constexpr std::size_t kLoginBodyLimit = 4096;

// A stored hash to check a password against when the name is unknown or disabled, so that
// the answer takes as long as for a real user and does not tell which names exist.
const std::string& decoy_hash() {
    static const std::string hash = connector::hash_password("decoy password, never valid");
    return hash;
}

Object::Ptr session_json(const std::string& name, const std::string& role,
                         const std::vector<std::string>& units, bool logged_in) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("name", name);
    body->set("role", role);
    body->set("kind", logged_in ? "session" : "token");
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& unit : units)
        list->add(unit);
    body->set("units", list);
    return body;
}

}  // namespace

std::string ApiServer::Impl::session_cookie(const std::string& value, bool ending) const {
    // Path=/ and, under TLS, Secure: what the __Host- prefix requires. No Max-Age: the
    // cookie goes with the browser; the server ends the session on its own terms.
    std::string cookie = session_cookie_name() + "=" + value +
                         "; Path=/; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
    if (ending)
        cookie += "; Max-Age=0";
    return cookie;
}

Reply ApiServer::Impl::login(HTTPServerRequest& request, bool& body_read) {
    // A login form posted from another site would log the victim in as the attacker.
    const std::string origin = request.get("Origin", "");
    const std::string own = std::string(tls ? "https://" : "http://") + request.getHost();
    if (!origin.empty() && origin != own)
        refuse(403, "a login from another origin (" + valid_utf8_text(origin) + ") is refused");
    if (request.getContentLength() > static_cast<std::streamsize>(kLoginBodyLimit)) {
        body_read = drain(request);
        refuse(413, "the body is over " + std::to_string(kLoginBodyLimit) + " bytes");
    }
    JsonBody sent = read_body(request, "/api/v1/session", kLoginBodyLimit, body_read);
    FieldReader reader;
    const auto body = reader.object(parse_body(sent, reader), "", {"name", "password"});
    check(reader);
    const std::string name = reader.text(body, "", "name", true, 64);
    const std::string password = reader.text(body, "", "password", true, 1024);
    check(reader);

    const auto at = now();
    const auto user = with_backend([&](Backend& b) { return b.store().user(name); });
    // Who is logging in, as the audit chain names a user ("user:<name>").
    Caller person;
    person.logged_in = true;
    person.name = name;
    const auto audit_login = [&](const std::string& action, const std::string& detail) {
        audit(person, action, name, detail);
    };
    if (user && !user->locked_until.empty()) {
        const auto until = connector::parse_utc_text(user->locked_until);
        if (until && *until > at) {
            // Not even checked: a locked account gives a guesser nothing to learn.
            audit_login("LOGIN_REFUSED_LOCKED", "locked until " + user->locked_until);
            const auto seconds =
                std::chrono::duration_cast<std::chrono::seconds>(*until - at).count() + 1;
            Reply locked = error_reply(429,
                                       "too many failed logins: the account is locked "
                                       "until " +
                                           user->locked_until);
            locked.headers.emplace_back("Retry-After", std::to_string(seconds));
            return locked;
        }
    }
    bool matches = false;
    {
        GatePass pass(logins);
        const bool usable = user && user->disabled_at.empty();
        matches =
            connector::password_matches(password, usable ? user->password_hash : decoy_hash()) &&
            usable;
    }
    if (!matches) {
        bool locked_now = false;
        if (user && user->disabled_at.empty()) {
            const std::string until = connector::utc_text(at + settings.lockout);
            locked_now = with_backend([&](Backend& b) {
                return b.store().record_failed_login(name, settings.login_attempts, until);
            });
            audit_login(locked_now ? "LOGIN_LOCKED_OUT" : "LOGIN_FAILED",
                        locked_now ? "locked until " + until : "wrong password");
            connector::logging::http.warning(
                "LOGIN_REFUSED",
                {{"user", name}, {"reason", locked_now ? "locked_out" : "wrong_password"}});
        } else {
            audit_login("LOGIN_FAILED", user ? "user disabled" : "no such user");
            connector::logging::http.warning(
                "LOGIN_REFUSED", {{"user", name}, {"reason", user ? "disabled" : "no_such_user"}});
        }
        return error_reply(401, "the name or the password is wrong");
    }
    const std::string id = new_token();
    connector::LoginSession session;
    session.id_hash = token_hash(id);
    session.user_name = name;
    session.csrf_token = new_token();
    session.created_at = connector::utc_text(at);
    session.last_seen_at = session.created_at;
    const auto forget = std::max(settings.session_lifetime, settings.session_idle);
    with_backend([&](Backend& b) {
        b.store().in_one_transaction([&] {
            b.store().record_login(name);
            b.store().create_session(session, connector::utc_text(at - forget));
            audit_locked(b, person, "LOGIN", name, "role " + user->role);
        });
        return 0;
    });
    Object::Ptr answer = session_json(user->name, user->role, user->units, true);
    answer->set("csrfToken", session.csrf_token);
    answer->set("idleMinutes", static_cast<int>(settings.session_idle.count()));
    answer->set("expiresAt", connector::utc_text(at + settings.session_lifetime));
    Reply reply{200, answer, {}, {}, {}};
    reply.headers.emplace_back("Set-Cookie", session_cookie(id, false));
    return reply;
}

Reply ApiServer::Impl::whoami(const Caller& caller) {
    Object::Ptr answer = session_json(caller.name, caller.role, caller.units, caller.logged_in);
    if (caller.logged_in)
        answer->set("csrfToken", caller.csrf_token);
    // Our agency: the pages head their reports with it and offer the assigning side to its
    // own clerks.
    with_backend([&](Backend& b) {
        if (const connector::Exchange* exchange = b.exchange()) {
            Object::Ptr agency = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            agency->set("code", exchange->sender().code);
            agency->set("name", exchange->sender().name);
            answer->set("agency", agency);
        }
        return 0;
    });
    return {200, answer, {}, {}, {}};
}

Reply ApiServer::Impl::logout(const Caller& caller) {
    if (!caller.logged_in)
        refuse(400, "an API token has no session to end (revoke it with connector token revoke)");
    with_backend([&](Backend& b) {
        if (b.store().end_session(caller.session_hash, connector::utc_text(now())))
            audit_locked(b, caller, "LOGOUT", caller.name, "");
        return 0;
    });
    Reply reply{204, {}, {}, {}, {{"Set-Cookie", session_cookie("", true)}}};
    return reply;
}

bool ApiServer::Impl::csrf_matches(const std::string& sent, const std::string& expected) {
    return !expected.empty() && sent.size() == expected.size() &&
           CRYPTO_memcmp(sent.data(), expected.data(), sent.size()) == 0;
}

}  // namespace http_api
