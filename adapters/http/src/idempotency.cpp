// Idempotency-Key handling of the mutating calls, and what follows an accepted one.
#include "api_server_impl.hpp"

#include <algorithm>

#include "http_api/json_views.hpp"

namespace http_api {

using Poco::Net::HTTPServerRequest;

// Runs a mutating call once per Idempotency-Key: a repeat gets the first answer.
Reply ApiServer::Impl::idempotent(HTTPServerRequest& request, const Caller& client,
                                  const JsonBody& body, const std::function<Reply()>& call) {
    if (!request.has("Idempotency-Key"))
        return finish(call());
    const std::string key = request.get("Idempotency-Key");
    if (key.empty() || key.size() > 200 ||
        std::any_of(key.begin(), key.end(), [](char c) { return c < 0x21 || c > 0x7e; }))
        refuse(400, "Idempotency-Key must be 1..200 printable ASCII characters");
    const std::string& hash = body.sha256_hex;  // of method, path and body
    const auto earlier = with_backend([&](Backend& b) {
        return b.store().claim_idempotency_key(client.key_owner(), key, hash,
                                               settings.idempotency_keep);
    });
    if (earlier) {
        if (earlier->request_hash != hash)
            refuse(422,
                   "Idempotency-Key '" + key + "' was used for another request; use a new key");
        if (earlier->status == 0)
            refuse(409, "the request with Idempotency-Key '" + key +
                            "' is in progress or was cut short; look at the task list "
                            "before trying again with a new key");
        Reply replay{earlier->status, {}, earlier->body, {}, {{"Idempotent-Replayed", "true"}}};
        return replay;
    }
    Reply reply;
    try {
        reply = finish(call());
    } catch (const Refusal& refusal) {
        reply = refusal.reply;
    } catch (...) {
        with_backend([&](Backend& b) {
            b.store().release_idempotency_key(client.key_owner(), key);
            return 0;
        });
        throw;
    }
    if (reply.status >= 500) {
        with_backend([&](Backend& b) {
            b.store().release_idempotency_key(client.key_owner(), key);
            return 0;
        });
    } else {
        reply.text = to_text(reply.json);
        with_backend([&](Backend& b) {
            b.store().record_idempotent_answer(client.key_owner(), key, reply.status, reply.text);
            return 0;
        });
    }
    return reply;
}

Reply ApiServer::Impl::finish(Reply reply) {
    if (reply.status < 300 && changes)
        changes->notify();
    return reply;
}

}  // namespace http_api
