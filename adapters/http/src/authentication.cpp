// Who is calling: API tokens (made, hashed, looked up) and the audit of what callers do.
#include "api_server_impl.hpp"

#include <openssl/rand.h>

#include <stdexcept>

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

connector::ApiClient ApiServer::Impl::authenticate(HTTPServerRequest& request) {
    const std::string authorization = request.get("Authorization", "");
    Reply unauthorized;
    if (authorization.rfind("Bearer ", 0) != 0) {
        unauthorized = error_reply(401, "an API token is required: Authorization: Bearer <token>");
    } else {
        const std::string hash = token_hash(authorization.substr(7));
        const auto client =
            with_backend([&](Backend& b) { return b.store().api_client_by_token_hash(hash); });
        if (client)
            return *client;
        unauthorized = error_reply(401, "the API token is unknown or revoked");
    }
    unauthorized.headers.emplace_back("WWW-Authenticate", "Bearer");
    throw Refusal{unauthorized};
}

void ApiServer::Impl::audit(const connector::ApiClient& client, const std::string& action,
                            const std::string& target, const std::string& detail) {
    with_backend([&](Backend& b) {
        audit_locked(b, client, action, target, detail);
        return 0;
    });
}

void ApiServer::Impl::audit_locked(Backend& b, const connector::ApiClient& client,
                                   const std::string& action, const std::string& target,
                                   const std::string& detail) {
    connector::AuditEntry entry;
    entry.actor = "api:" + client.name;
    entry.action = action;
    entry.target = target;
    entry.detail = detail;
    b.store().append_audit(entry);
}

}  // namespace http_api
