// Who is calling, as every handler sees it: the client of an API token, or a user logged
// in to the pages with a session cookie. Both have a role (routes.hpp decides what it may
// call); a clerk user also has units, and sees and acts on only their tasks.
#pragma once

#include <string>
#include <vector>

#include "connector/task.hpp"

namespace http_api {

struct Caller {
    bool logged_in = false;  // a session cookie (else an API token)
    std::string name;        // the token's client, or the user
    std::string role;        // backend, clerk, leader, auditor, admin
    // A clerk user's agency codes: the tasks they issued or are lead or coordinating on.
    // Not scoped: the whole agency.
    bool scoped = false;
    std::vector<std::string> units;
    // A session's: its id's hash, and the token the pages send back on every write.
    std::string session_hash;
    std::string csrf_token;

    // How the audit chain and the idempotency keys name the caller: "api:idesk" for a
    // token, "user:van-thu" for a person (names hold no ':', so these never meet).
    std::string actor() const { return (logged_in ? "user:" : "api:") + name; }
    // The idempotency keys' owner: a token's keys keep their name of before sessions.
    std::string key_owner() const { return logged_in ? actor() : name; }

    bool sees(const connector::Task& task) const {
        if (!scoped)
            return true;
        for (const std::string& unit : units) {
            if (task.issuer == unit)
                return true;
            for (const auto& assignee : task.assignees)
                if (assignee.organ_id == unit)
                    return true;
        }
        return false;
    }
};

}  // namespace http_api
