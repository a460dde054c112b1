// The pages' logins over real HTTP with a real store: sessions (cookie flags, idle time and
// lifetime on a clock the test moves), the CSRF token on writes, the lockout, logout,
// disabled users, the audit of each, a clerk's units enforced by the server, and the
// headers and files of the pages. Scenarios take the store backend.
#pragma once

#include "api_test.hpp"
#include "connector/password.hpp"
#include "http_api/json_views.hpp"

namespace api_session_scenarios {

using api_scenarios::Answer;
using api_scenarios::Harness;
using Headers = std::vector<std::pair<std::string, std::string>>;

// The system's time moved on by what the test says: sessions age without waiting.
class ShiftedClock final : public connector::Clock {
  public:
    std::chrono::system_clock::time_point now() const override {
        return std::chrono::system_clock::now() + std::chrono::minutes(shift_minutes.load());
    }
    void advance(int minutes) { shift_minutes += minutes; }

  private:
    std::atomic<int> shift_minutes{0};
};

// A browser's side of a session: the cookie the server set and the CSRF token it gave.
struct Browser {
    explicit Browser(Harness& harness, std::string session_cookie = {})
        : h(harness), cookie(std::move(session_cookie)) {}
    Harness& h;
    std::string cookie;  // "connector_session_<port>=…"
    std::string csrf;

    Answer call(const std::string& method, const std::string& path, const std::string& body = {},
                Headers extra = {}) {
        if (!cookie.empty())
            extra.emplace_back("Cookie", cookie);
        return h.call(method, path, {}, body, {}, -1, body.empty() ? "" : "application/json",
                      extra);
    }
    Answer login(const std::string& name, const std::string& password, Headers extra = {}) {
        const Answer answer = call(
            "POST", "/api/v1/session",
            R"({"name": ")" + name + R"(", "password": ")" + password + R"("})", std::move(extra));
        if (answer.status == 200) {
            cookie = answer.set_cookie.substr(0, answer.set_cookie.find(';'));
            csrf = answer.json()->getValue<std::string>("csrfToken");
        }
        return answer;
    }
    Answer write(const std::string& method, const std::string& path, const std::string& body = {}) {
        return call(method, path, body, {{"X-CSRF-Token", csrf}});
    }
};

inline const std::string kPassword = "mat-khau-rat-dai-2026";

// Users with a quick hash (the fewest iterations accepted): the tests log in often.
inline void add_user(connector::Store& store, const std::string& name, const std::string& role,
                     std::vector<std::string> units = {}) {
    connector::User user;
    user.name = name;
    user.role = role;
    user.units = std::move(units);
    user.password_hash = connector::hash_password(kPassword, connector::kMinimumPasswordIterations);
    store.create_user(user);
}

// A received task whose lead is `lead` (and, if given, `coordinating` coordinates).
inline void receive(Harness& h, const std::string& code, const std::string& lead,
                    const std::string& coordinating = {}, const std::string& title = {}) {
    connector::Task task;
    task.task_code = code;
    task.side = connector::TaskSide::received;
    task.source_document_id = "000.00.00.G22,2026/01/05,12/TB-VPCP";
    task.title = title.empty() ? "Nhiệm vụ " + code : title;
    task.issuer = "000.00.00.G22";
    task.assignees = {{edxml::AssigneeRole::lead, lead, "Đơn vị chủ trì"}};
    if (!coordinating.empty())
        task.assignees.push_back(
            {edxml::AssigneeRole::coordinating, coordinating, "Đơn vị phối hợp"});
    task.due_date = edxml::parse_date("2030/12/31")->value;
    task.status.current = edxml::StatusKind::received;
    BOOST_REQUIRE(h.store->insert_task(task, {0, code, "assigned", "by 000.00.00.G22", 0, ""}));
}

inline int audited(Harness& h, const std::string& action) {
    int count = 0;
    for (const auto& entry : h.store->audit_entries(0, 1000))
        count += entry.action == action;
    return count;
}

inline void logins_and_sessions(const store_backends::Backend& backend) {
    const auto clock = std::make_shared<ShiftedClock>();
    Harness h(backend, "api_sessions", 16 * 1024 * 1024, {}, [&](http_api::ServerSettings& s) {
        s.clock = clock;
        s.session_lifetime = std::chrono::minutes(90);
    });
    add_user(*h.store, "van-thu", "clerk", {"000.00.14.G22"});
    receive(h, "T#1", "000.00.14.G22");

    // Wrong password, unknown name: the same answer, no cookie, audited.
    Browser browser(h);
    const Answer wrong = browser.login("van-thu", "not-the-password");
    BOOST_TEST(wrong.status == 401);
    BOOST_TEST(wrong.error() == "the name or the password is wrong");
    BOOST_TEST(wrong.set_cookie.empty());
    const Answer unknown = browser.login("nobody", kPassword);
    BOOST_TEST(unknown.status == 401);
    BOOST_TEST(unknown.error() == wrong.error());
    BOOST_TEST(audited(h, "LOGIN_FAILED") == 2);
    // Bad bodies name what is wrong; a login posted from another site is refused.
    BOOST_TEST(browser.call("POST", "/api/v1/session", R"({"name": "van-thu"})")
                   .has_problem("password", "is required"));
    BOOST_TEST(browser.call("POST", "/api/v1/session", R"({"name": "a", "password": "b", "x": 1})")
                   .has_problem("x", "unknown field"));
    BOOST_TEST(browser.call("POST", "/api/v1/session", std::string(5000, ' ')).status == 413);
    BOOST_TEST(browser.login("van-thu", kPassword, {{"Origin", "https://evil.example"}}).status ==
               403);

    // A login: the cookie is HttpOnly, SameSite=Strict, for the whole site; not Secure on
    // plain HTTP (the HTTPS test checks it is there).
    const Answer login = browser.login("van-thu", kPassword);
    BOOST_REQUIRE_MESSAGE(login.status == 200, login.body);
    BOOST_TEST(
        login.set_cookie.find("connector_session_" + std::to_string(h.server->port()) + "=") == 0u);
    for (const char* flag : {"; HttpOnly", "; SameSite=Strict", "; Path=/"})
        BOOST_TEST(login.set_cookie.find(flag) != std::string::npos, flag);
    BOOST_TEST(login.set_cookie.find("Secure") == std::string::npos);
    BOOST_TEST(login.json()->getValue<std::string>("role") == "clerk");
    BOOST_TEST(login.json()->getArray("units")->getElement<std::string>(0) == "000.00.14.G22");
    BOOST_TEST(audited(h, "LOGIN") == 1);
    const Answer me = browser.call("GET", "/api/v1/session");
    BOOST_TEST(me.status == 200);
    BOOST_TEST(me.json()->getValue<std::string>("name") == "van-thu");
    BOOST_TEST(me.json()->getValue<std::string>("csrfToken") == browser.csrf);

    // Writes carry the CSRF token: without it, or with another, refused and audited.
    const std::string report = R"({"status": "03"})";
    BOOST_TEST(browser.call("POST", "/api/v1/tasks/T%231/reports", report).status == 403);
    BOOST_TEST(browser
                   .call("POST", "/api/v1/tasks/T%231/reports", report,
                         {{"X-CSRF-Token", std::string(64, '0')}})
                   .status == 403);
    BOOST_TEST(audited(h, "API_CALL_WITHOUT_CSRF_TOKEN") == 2);
    BOOST_TEST(h.store->message_head().sequence == 0);
    const Answer accepted = browser.write("POST", "/api/v1/tasks/T%231/reports", report);
    BOOST_TEST_REQUIRE(accepted.status == 202, accepted.body);
    bool by_the_user = false;
    for (const auto& entry : h.store->audit_entries(0, 1000))
        by_the_user |= entry.action == "API_TASK_REPORTED" && entry.actor == "user:van-thu";
    BOOST_TEST(by_the_user);

    // Idle: used within 30 minutes the session lives on; after 31 minutes unused it ends,
    // and the answer clears the cookie.
    clock->advance(25);
    BOOST_TEST(browser.call("GET", "/api/v1/tasks").status == 200);
    clock->advance(25);
    BOOST_TEST(browser.call("GET", "/api/v1/tasks").status == 200);
    clock->advance(31);
    const Answer idle = browser.call("GET", "/api/v1/tasks");
    BOOST_TEST(idle.status == 401);
    BOOST_TEST(idle.error() == "the session was idle too long; log in again");
    BOOST_TEST(idle.set_cookie.find("Max-Age=0") != std::string::npos);
    // Lifetime: 90 minutes here, however busy.
    BOOST_REQUIRE(browser.login("van-thu", kPassword).status == 200);
    for (int i = 0; i < 4; ++i) {
        clock->advance(20);
        BOOST_TEST(browser.call("GET", "/api/v1/session").status == 200);
    }
    clock->advance(20);
    BOOST_TEST(browser.call("GET", "/api/v1/session").error() ==
               "the session is over its lifetime; log in again");

    // Logout needs the CSRF token too; after it the cookie opens nothing.
    BOOST_REQUIRE(browser.login("van-thu", kPassword).status == 200);
    BOOST_TEST(browser.call("DELETE", "/api/v1/session").status == 403);
    const Answer out = browser.write("DELETE", "/api/v1/session");
    BOOST_TEST(out.status == 204);
    BOOST_TEST(out.set_cookie.find("Max-Age=0") != std::string::npos);
    BOOST_TEST(browser.call("GET", "/api/v1/session").status == 401);
    BOOST_TEST(audited(h, "LOGOUT") == 1);
    // A token has no session to end.
    BOOST_TEST(h.refused_by_rule("no session to end", "DELETE", "/api/v1/session", h.backend_token)
                   .status == 400);

    // Forged and hostile cookies open nothing.
    for (const std::string& forged :
         {std::string(64, 'a'), std::string("' OR '1'='1"), std::string(5000, 'x')}) {
        Browser other(h, "connector_session_" + std::to_string(h.server->port()) + "=" + forged);
        BOOST_TEST(other.call("GET", "/api/v1/tasks").status == 401);
    }

    // A disabled user's session ends at once.
    BOOST_REQUIRE(browser.login("van-thu", kPassword).status == 200);
    BOOST_REQUIRE(h.store->disable_user("van-thu"));
    BOOST_TEST(browser.call("GET", "/api/v1/tasks").status == 401);
    BOOST_TEST(browser.login("van-thu", kPassword).status == 401);
}

inline void lockout_after_five_failures(const store_backends::Backend& backend) {
    const auto clock = std::make_shared<ShiftedClock>();
    Harness h(backend, "api_lockout", 16 * 1024 * 1024, {},
              [&](http_api::ServerSettings& s) { s.clock = clock; });
    add_user(*h.store, "lanh-dao", "leader");
    Browser browser(h);
    // Four failures, a success: the count starts again.
    for (int i = 0; i < 4; ++i)
        BOOST_TEST(browser.login("lanh-dao", "wrong-" + std::to_string(i)).status == 401);
    BOOST_TEST(browser.login("lanh-dao", kPassword).status == 200);
    BOOST_TEST(h.store->user("lanh-dao")->failed_logins == 0);
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(browser.login("lanh-dao", "wrong-" + std::to_string(i)).status == 401);
    BOOST_TEST(audited(h, "LOGIN_LOCKED_OUT") == 1);
    // Locked: even the right password is not looked at, for 15 minutes.
    const Answer locked = browser.login("lanh-dao", kPassword);
    BOOST_TEST(locked.status == 429);
    BOOST_TEST(std::stoi(locked.retry_after) > 14 * 60);
    BOOST_TEST(std::stoi(locked.retry_after) <= 15 * 60 + 1);
    BOOST_TEST(audited(h, "LOGIN_REFUSED_LOCKED") == 1);
    clock->advance(14);
    BOOST_TEST(browser.login("lanh-dao", kPassword).status == 429);
    clock->advance(2);
    BOOST_TEST(browser.login("lanh-dao", kPassword).status == 200);
    BOOST_TEST(h.store->user("lanh-dao")->locked_until.empty());
}

// A clerk sees and acts on the tasks of their units only, lead or coordinating; a leader
// sees every task and acts on none; the server decides, whatever the page asks.
inline void clerks_see_their_units(const store_backends::Backend& backend) {
    Harness h(backend, "api_units");
    add_user(*h.store, "van-thu", "clerk", {"000.00.14.G22"});
    add_user(*h.store, "lanh-dao", "leader");
    receive(h, "T#1", "000.00.14.G22");
    receive(h, "T#2", "000.00.22.G22", "000.00.14.G22");  // coordinating
    receive(h, "T#3", "000.00.22.G22");
    receive(h, "T#4", "' OR '1'='1");
    Browser clerk(h);
    BOOST_REQUIRE(clerk.login("van-thu", kPassword).status == 200);
    const auto codes = [](const Answer& answer) {
        std::vector<std::string> found;
        const auto tasks = answer.json()->getArray("tasks");
        for (std::size_t i = 0; i < tasks->size(); ++i)
            found.push_back(
                tasks->getObject(static_cast<unsigned>(i))->getValue<std::string>("code"));
        return found;
    };
    BOOST_TEST(
        (codes(clerk.call("GET", "/api/v1/tasks")) == std::vector<std::string>{"T#1", "T#2"}));
    // Filters narrow the units' tasks, never widen them.
    BOOST_TEST((codes(clerk.call("GET", "/api/v1/tasks?agency=000.00.22.G22")) ==
                std::vector<std::string>{"T#2"}));
    BOOST_TEST(clerk.call("GET", "/api/v1/tasks/T%232").status == 200);
    const Answer other = clerk.call("GET", "/api/v1/tasks/T%233");
    BOOST_TEST(other.status == 403);
    BOOST_TEST(clerk.write("POST", "/api/v1/tasks/T%233/reports", R"({"status": "03"})").status ==
               403);
    BOOST_TEST(clerk.call("GET", "/api/v1/events").status == 403);  // the feed is not scoped
    BOOST_TEST(clerk.call("GET", "/api/v1/messages/1").status == 403);
    BOOST_TEST(clerk.write("POST", "/api/v1/tasks", api_scenarios::assignment_body("1")).status ==
               403);
    BOOST_TEST(h.store->message_head().sequence == 0);
    BOOST_TEST(clerk.write("POST", "/api/v1/tasks/T%231/reports", R"({"status": "03"})").status ==
               202);
    // A coordinating unit's clerk acts on the task too (the report goes out as the agency's).
    BOOST_TEST(clerk.write("POST", "/api/v1/tasks/T%232/reports", R"({"status": "03"})").status ==
               202);

    Browser leader(h);
    BOOST_REQUIRE(leader.login("lanh-dao", kPassword).status == 200);
    BOOST_TEST(codes(leader.call("GET", "/api/v1/tasks")).size() == 4u);
    BOOST_TEST(leader.call("GET", "/api/v1/tasks/T%233").status == 200);
    BOOST_TEST(leader.write("POST", "/api/v1/tasks/T%233/reports", R"({"status": "03"})").status ==
               403);
    // Tokens keep their view: a clerk token is the agency's.
    BOOST_TEST(h.call("GET", "/api/v1/tasks/T%233", h.clerk_token).status == 200);
}

// The leaders' dashboard and exports: counts by unit and document that add up, the
// on-time rate, due soon and longest overdue, a clerk's view scoped; CSV with its BOM and
// formula-looking cells defused, XLSX a real workbook.
inline void dashboard_and_exports(const store_backends::Backend& backend) {
    Harness h(backend, "api_dashboard", 16 * 1024 * 1024, {}, [](http_api::ServerSettings& s) {
        s.agencies = {{"Sở Khoa học và Công nghệ", "000.00.14.G22"},
                      {"Sở Văn hóa, Thể thao và Du lịch", "000.00.22.G22"}};
    });
    add_user(*h.store, "lanh-dao", "leader");
    add_user(*h.store, "van-thu", "clerk", {"000.00.22.G22"});
    const auto at = [&](const std::string& code, const std::string& lead, const std::string& title,
                        const std::optional<edxml::Date>& due,
                        const std::optional<edxml::Date>& completed) {
        receive(h, code, lead, {}, title);
        connector::Task task = *h.store->task(code);
        task.due_date = due;
        task.completion_date = completed;
        if (completed)
            task.status.current = edxml::StatusKind::completed;
        BOOST_REQUIRE(h.store->update_task(task, {0, code, "status", "set up", 0, ""}));
    };
    const edxml::Date today = connector::vietnam_date(std::chrono::system_clock::now());
    const auto in_days = [](int days) {
        return connector::vietnam_date(std::chrono::system_clock::now() +
                                       std::chrono::hours(24 * days));
    };
    at("T#1", "000.00.14.G22", "=HYPERLINK(\"http://evil\")", in_days(3), {});  // due soon
    at("T#2", "000.00.14.G22", "Quá hạn lâu", edxml::Date{2020, 1, 1}, {});
    at("T#3", "000.00.14.G22", "Quá hạn gần", in_days(-2), {});
    at("T#4", "000.00.22.G22", "Xong đúng hạn", edxml::Date{2026, 6, 30}, edxml::Date{2026, 6, 1});
    at("T#5", "000.00.22.G22", "Xong trễ", edxml::Date{2026, 6, 30}, edxml::Date{2026, 7, 1});
    at("T#6", "000.00.22.G22", "Còn lâu", in_days(60), {});

    Browser leader(h);
    BOOST_REQUIRE(leader.login("lanh-dao", kPassword).status == 200);
    const Answer answer = leader.call("GET", "/api/v1/dashboard");
    BOOST_REQUIRE_MESSAGE(answer.status == 200, answer.body);
    const auto body = answer.json();
    BOOST_TEST(body->getValue<std::string>("today") == http_api::iso_date(today));
    const auto totals = body->getObject("totals");
    BOOST_TEST(totals->getValue<int>("all") == 6);
    BOOST_TEST(totals->getValue<int>("open_on_time") == 2);
    BOOST_TEST(totals->getValue<int>("open_overdue") == 2);
    BOOST_TEST(totals->getValue<int>("done_on_time") == 1);
    BOOST_TEST(totals->getValue<int>("done_late") == 1);
    BOOST_TEST(totals->getValue<double>("onTimeRate") == 0.5);
    const auto units = body->getArray("byUnit");
    BOOST_REQUIRE(units->size() == 2u);
    BOOST_TEST(units->getObject(0)->getValue<std::string>("name") == "Sở Khoa học và Công nghệ");
    BOOST_TEST(units->getObject(0)->getValue<int>("all") == 3);
    BOOST_TEST(units->getObject(0)->isNull("onTimeRate"));  // nothing completed there
    BOOST_TEST(units->getObject(1)->getValue<int>("done_late") == 1);
    BOOST_TEST(body->getArray("byDocument")->size() == 1u);
    const auto soon = body->getArray("dueSoon");
    BOOST_REQUIRE(soon->size() == 1u);
    BOOST_TEST(soon->getObject(0)->getValue<std::string>("code") == "T#1");
    const auto overdue = body->getArray("longestOverdue");
    BOOST_REQUIRE(overdue->size() == 2u);
    BOOST_TEST(overdue->getObject(0)->getValue<std::string>("code") == "T#2");  // longest first
    // Filters apply: deadlines in 2026 only.
    const Answer period =
        leader.call("GET", "/api/v1/dashboard?dueAfter=2026-01-01&dueBefore=2026-12-31");
    BOOST_TEST(period.json()->getObject("totals")->getValue<int>("all") <= 5);
    BOOST_TEST(period.json()->getObject("totals")->getValue<int>("done_late") == 1);
    BOOST_TEST(leader.call("GET", "/api/v1/dashboard?limit=3").has_problem("limit", "unknown"));

    // A clerk's dashboard counts their unit's tasks only.
    Browser clerk(h);
    BOOST_REQUIRE(clerk.login("van-thu", kPassword).status == 200);
    BOOST_TEST(
        clerk.call("GET", "/api/v1/dashboard").json()->getObject("totals")->getValue<int>("all") ==
        3);

    // CSV: a byte-order mark, the header row, a formula-looking title defused and quoted.
    const Answer csv = leader.call("GET", "/api/v1/exports/tasks.csv");
    BOOST_REQUIRE(csv.status == 200);
    BOOST_TEST(csv.content_type == "text/csv; charset=utf-8");
    BOOST_TEST(csv.body.rfind("\xEF\xBB\xBFMã nhiệm vụ,Tên nhiệm vụ,", 0) == 0u);
    BOOST_TEST(csv.body.find("T#1,\"'=HYPERLINK(\"\"http://evil\"\")\"") != std::string::npos);
    BOOST_TEST(std::count(csv.body.begin(), csv.body.end(), '\n') == 7);  // header + 6
    const Answer units_csv = leader.call("GET", "/api/v1/exports/units.csv");
    BOOST_TEST(
        units_csv.body.find("000.00.22.G22,\"Sở Văn hóa, Thể thao và Du lịch\",3,1,0,1,1,0,0,50") !=
            std::string::npos,
        units_csv.body);
    // XLSX: a zip (the workbook) holding the sheets.
    const Answer xlsx = leader.call("GET", "/api/v1/exports/summary.xlsx");
    BOOST_REQUIRE(xlsx.status == 200);
    BOOST_TEST(xlsx.body.rfind("PK\x03\x04", 0) == 0u);
    BOOST_TEST(xlsx.body.find("xl/worksheets/sheet3.xml") != std::string::npos);
    BOOST_TEST(clerk.call("GET", "/api/v1/exports/tasks.csv").body.find("T#1") ==
               std::string::npos);
    BOOST_TEST(leader.call("GET", "/api/v1/exports/tasks.pdf").status == 404);
    BOOST_TEST(leader.call("GET", "/api/v1/exports/..%2Fsecret.csv").status == 404);
}

// The assigning side from the pages: the agency's own clerk (its code among their units)
// assigns and revokes; a department's clerk and a clerk token may do neither.
inline void the_agency_clerk_assigns_and_revokes(const store_backends::Backend& backend) {
    Harness h(backend, "api_agency_clerk");
    add_user(*h.store, "van-thu.vpcp", "clerk", {test_api::kOurAgency});
    add_user(*h.store, "van-thu.so", "clerk", {"000.00.14.G22"});
    Browser office(h), department(h);
    BOOST_REQUIRE(office.login("van-thu.vpcp", kPassword).status == 200);
    BOOST_REQUIRE(department.login("van-thu.so", kPassword).status == 200);

    const std::string body = api_scenarios::assignment_body("41");
    const Answer refused = department.write("POST", "/api/v1/tasks", body);
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(refused.error().find("the agency's own clerks") != std::string::npos);
    BOOST_TEST(h.call("POST", "/api/v1/tasks", h.clerk_token, body).status == 403);
    BOOST_TEST(h.store->message_head().sequence == 0);
    const Answer assigned = office.write("POST", "/api/v1/tasks", body);
    BOOST_REQUIRE_MESSAGE(assigned.status == 202, assigned.body);
    const std::string document = assigned.json()->getValue<std::string>("documentId");
    // The office's clerk sees what the office issued.
    BOOST_TEST(office.call("GET", "/api/v1/tasks?side=issued").json()->getArray("tasks")->size() ==
               2u);
    bool audited_as_user = false;
    for (const auto& entry : h.store->audit_entries(0, 1000))
        audited_as_user |=
            entry.action == "API_TASKS_ASSIGNED" && entry.actor == "user:van-thu.vpcp";
    BOOST_TEST(audited_as_user);

    const std::string path =
        "/api/v1/documents/" + api_scenarios::encoded(document) + "/revocation";
    const std::string reason = R"({"reason": "Giao nhầm đơn vị"})";
    BOOST_TEST(department.write("POST", path, reason).status == 403);
    BOOST_TEST(office.call("POST", path, reason).status == 403);  // no CSRF token
    BOOST_TEST(office.write("POST", path, "{}").has_problem("reason", "is required"));
    BOOST_TEST(office
                   .write("POST",
                          "/api/v1/documents/" +
                              api_scenarios::encoded("000.00.00.G22,2026/01/01,9/X") +
                              "/revocation",
                          reason)
                   .status == 404);
    const Answer revoked = office.write("POST", path, reason);
    BOOST_REQUIRE_MESSAGE(revoked.status == 202, revoked.body);
    BOOST_TEST(revoked.json()->getValue<std::string>("documentId") == document);
    for (const auto& task : h.store->tasks_of_document(document))
        BOOST_TEST(task.status.withdrawn, task.task_code);
    const std::int64_t head = h.store->message_head().sequence;
    const Answer again = office.write("POST", path, reason);
    BOOST_TEST(again.status == 409);
    BOOST_TEST(again.error().find("revoked already") != std::string::npos);
    BOOST_TEST(h.store->message_head().sequence == head);  // nothing sent twice
    // The backend token revokes too (iDesk's API), and tasks it did not assign are 404.
    BOOST_TEST(h.call("POST",
                      "/api/v1/documents/" + api_scenarios::encoded("nothing") + "/revocation",
                      h.backend_token, reason)
                   .status == 404);
}

// Điều chỉnh over the API: the agency's clerk (or iDesk's token) moves a deadline and
// renames a task; a department's clerk may not; a task that is not in the document, a
// change of nothing, and a revoked assignment are refused with what is wrong.
inline void the_agency_clerk_amends(const store_backends::Backend& backend) {
    Harness h(backend, "api_amend");
    add_user(*h.store, "van-thu.vpcp", "clerk", {test_api::kOurAgency});
    add_user(*h.store, "van-thu.so", "clerk", {"000.00.14.G22"});
    Browser office(h), department(h);
    BOOST_REQUIRE(office.login("van-thu.vpcp", kPassword).status == 200);
    BOOST_REQUIRE(department.login("van-thu.so", kPassword).status == 200);
    const Answer assigned =
        office.write("POST", "/api/v1/tasks", api_scenarios::assignment_body("42"));
    BOOST_REQUIRE_MESSAGE(assigned.status == 202, assigned.body);
    const std::string document = assigned.json()->getValue<std::string>("documentId");
    const std::string first = assigned.json()->getArray("tasks")->getElement<std::string>(0);
    const std::string path = "/api/v1/documents/" + api_scenarios::encoded(document) + "/amendment";
    const std::string body = R"({"reason": "Đẩy nhanh tiến độ", "tasks": [{"code": ")" + first +
                             R"(", "title": "Xây dựng phân hệ <b>nhiệm vụ</b>",
                                "dueDate": "2026-09-30", "dueText": "Quý III năm 2026"}]})";

    BOOST_TEST(department.write("POST", path, body).status == 403);
    BOOST_TEST(h.call("POST", path, h.clerk_token, body).status == 403);
    BOOST_TEST(office.call("POST", path, body).status == 403);  // no CSRF token
    BOOST_TEST(
        office.write("POST", path, R"({"reason": "x"})").has_problem("tasks", "is required"));
    BOOST_TEST(
        office.write("POST", path, R"({"reason": "x", "tasks": [{"code": ")" + first + R"("}]})")
            .has_problem("tasks[0]", "names nothing to change"));
    BOOST_TEST(office
                   .write("POST", path,
                          R"({"reason": "x", "tasks": [{"code": ")" + first +
                              R"(", "dueDate": "30/09/2026"}]})")
                   .has_problem("tasks[0].dueDate", "is not a yyyy-MM-dd date"));
    BOOST_TEST(office
                   .call("POST", path,
                         R"({"reason": "x", "tasks": [{"code": "x' OR 1=1 --", "title": "y"}]})",
                         {{"X-CSRF-Token", office.csrf}, {"X-Contract-Rule", "is not a task of"}})
                   .has_problem("tasks[0].code", "is not a task of"));
    BOOST_TEST(h.call("POST",
                      "/api/v1/documents/" + api_scenarios::encoded("nothing") + "/amendment",
                      h.backend_token, body)
                   .status == 404);
    const std::int64_t head_before = h.store->message_head().sequence;

    const Answer amended = office.write("POST", path, body);
    BOOST_REQUIRE_MESSAGE(amended.status == 202, amended.body);
    BOOST_TEST(amended.json()->getValue<std::string>("documentId") == document);
    const auto sent =
        h.store->message_without_raw(amended.json()->getValue<std::int64_t>("message"));
    BOOST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->business_type == 2);
    BOOST_TEST(sent->to_agencies == "000.00.00.H20");
    BOOST_TEST(sent->sequence == head_before + 1);
    const auto task = h.store->task(first);
    BOOST_REQUIRE(task.has_value());
    BOOST_TEST(task->title == "Xây dựng phân hệ <b>nhiệm vụ</b>");
    BOOST_TEST((task->due_date == edxml::Date{2026, 9, 30}));
    BOOST_TEST(task->due_text == "Quý III năm 2026");
    const auto events = h.store->task_events(first);
    BOOST_TEST(std::any_of(events.begin(), events.end(), [&](const connector::TaskEvent& e) {
        return e.kind == "updated" && e.message_sequence == sent->sequence &&
               e.detail.find("2026/12/31 (Quý IV năm 2026) → 2026/09/30 (Quý III năm 2026)") !=
                   std::string::npos;
    }));
    bool audited = false;
    for (const auto& entry : h.store->audit_entries(0, 1000))
        audited |= entry.action == "API_DOCUMENT_AMENDED" && entry.actor == "user:van-thu.vpcp";
    BOOST_TEST(audited);

    // The task page: the amendment in the history with who asked for it, its delivery
    // per recipient, and the package's bytes behind a link for whoever sees the task.
    const std::string task_path = "/api/v1/tasks/" + api_scenarios::encoded(first);
    const auto view = office.call("GET", task_path).json();
    const auto history = view->getArray("history");
    bool named = false;
    for (std::size_t i = 0; i < history->size(); ++i) {
        const auto event = history->getObject(static_cast<unsigned>(i));
        if (event->getValue<std::int64_t>("message") != sent->sequence)
            continue;
        const auto actor = event->getObject("actor");
        named = actor->getValue<std::string>("requestedBy") == "user:van-thu.vpcp" &&
                actor->getValue<std::string>("agency") == test_api::kOurAgency;
    }
    BOOST_TEST(named);
    const auto deliveries = view->getArray("deliveries");
    BOOST_REQUIRE(deliveries->size() == 2u);  // the assignment, the amendment
    const auto amendment = deliveries->getObject(1);
    BOOST_TEST(amendment->getValue<std::int64_t>("message") == sent->sequence);
    BOOST_TEST(amendment->getValue<int>("businessType") == 2);
    const auto recipients = amendment->getArray("recipients");
    BOOST_REQUIRE(recipients->size() == 1u);
    BOOST_TEST(recipients->getObject(0)->getValue<std::string>("organId") == "000.00.00.H20");
    BOOST_TEST(recipients->getObject(0)->getValue<std::string>("state") == "queued");

    const std::string package_path = task_path + "/package?message=";
    const Answer package = office.call("GET", package_path + std::to_string(sent->sequence));
    BOOST_REQUIRE(package.status == 200);
    BOOST_TEST(package.content_type == "application/xml");
    BOOST_TEST(package.disposition.find("attachment") == 0);
    BOOST_TEST(package.security_policy.find("sandbox") != std::string::npos);
    const auto logged = h.store->messages(sent->sequence - 1, 1);
    BOOST_REQUIRE(logged.size() == 1u);
    BOOST_TEST(package.body == logged.front().raw);
    BOOST_TEST(package.body.find("Đẩy nhanh tiến độ") != std::string::npos);
    // Not in this task's history, not a number, another unit's clerk: refused.
    add_user(*h.store, "van-thu.khac", "clerk", {"000.00.25.H20"});
    Browser other(h);
    BOOST_REQUIRE(other.login("van-thu.khac", kPassword).status == 200);
    BOOST_TEST(other.call("GET", package_path + std::to_string(sent->sequence)).status == 403);
    BOOST_TEST(office.call("GET", package_path + "999").status == 404);
    BOOST_TEST(
        office.call("GET", package_path + "1%20OR%201=1").has_problem("message", "not a message"));
    BOOST_TEST(office.call("GET", task_path + "/package").has_problem("message", "not a message"));

    // The same again changes nothing; once revoked, nothing is amended.
    const Answer same = office.write("POST", path, body);
    BOOST_TEST(same.status == 409);
    BOOST_TEST(same.error().find("changes nothing") != std::string::npos);
    BOOST_REQUIRE(
        office
            .write("POST", "/api/v1/documents/" + api_scenarios::encoded(document) + "/revocation",
                   R"({"reason": "Giao nhầm"})")
            .status == 202);
    const Answer after_revocation =
        h.call("POST", path, h.backend_token,
               R"({"reason": "x", "tasks": [{"code": ")" + first + R"(", "dueDate": null}]})");
    BOOST_TEST(after_revocation.status == 409);
    BOOST_TEST(after_revocation.error().find("is revoked") != std::string::npos);
}

// The pages: files with their types, the security headers on every answer, the home
// page's redirect.
inline void pages_are_served_with_their_headers(const store_backends::Backend& backend) {
    Harness h(backend, "api_pages");
    const Answer home = h.call("GET", "/");
    BOOST_TEST(home.status == 303);
    BOOST_TEST(home.location == "/ui/tasks.html");
    const Answer login = h.call("GET", "/ui/login.html");
    BOOST_TEST(login.status == 200);
    BOOST_TEST(login.content_type == "text/html; charset=utf-8");
    BOOST_TEST(login.body.find("Đăng nhập") != std::string::npos);
    // No inline script or style in any page: the policy forbids them.
    for (const char* page : {"/ui/login.html", "/ui/tasks.html", "/ui/task.html"}) {
        const Answer answer = h.call("GET", page);
        BOOST_TEST(answer.status == 200, page);
        BOOST_TEST(answer.body.find("<script>") == std::string::npos, page);
        BOOST_TEST(answer.body.find("style=") == std::string::npos, page);
        BOOST_TEST(answer.body.find("<style") == std::string::npos, page);
        BOOST_TEST(answer.body.find("http://") == std::string::npos, page);
        BOOST_TEST(answer.body.find("https://") == std::string::npos, page);
    }
    BOOST_TEST(h.call("GET", "/ui/app.js").content_type == "text/javascript; charset=utf-8");
    BOOST_TEST(h.call("GET", "/ui/app.css").content_type == "text/css; charset=utf-8");
    BOOST_TEST(h.call("GET", "/ui/nothing.html").status == 404);
    BOOST_TEST(h.call("GET", "/ui/..%2Fapi_server.cpp").status == 404);
    for (const Answer& answer : {login, h.call("GET", "/api/v1/tasks", h.clerk_token)}) {
        BOOST_TEST(answer.security_policy.find("default-src 'self'") != std::string::npos);
        BOOST_TEST(answer.security_policy.find("frame-ancestors 'none'") != std::string::npos);
        BOOST_TEST(answer.security_policy.find("unsafe-inline") == std::string::npos);
        BOOST_TEST(answer.content_type_options == "nosniff");
    }
    // iDesk's origin, when configured, may frame the pages.
    Harness embedded(
        backend, "api_pages_embedded", 16 * 1024 * 1024, {},
        [](http_api::ServerSettings& s) { s.embed_origin = "https://idesk.example.vn"; });
    BOOST_TEST(embedded.call("GET", "/ui/tasks.html")
                   .security_policy.find("frame-ancestors https://idesk.example.vn") !=
               std::string::npos);
}

// Issue 18: tokens managed in the API by admins, with an expiry the server holds them to
// (its clock moved on, not waited for), every write in the audit chain.
inline void admins_manage_tokens_that_may_expire(const store_backends::Backend& backend) {
    const auto clock = std::make_shared<ShiftedClock>();
    Harness h(backend, "api_tokens", 64 * 1024, {},
              [&](http_api::ServerSettings& s) { s.clock = clock; });
    const auto create = [&](const std::string& body) {
        return h.call("POST", "/api/v1/tokens", h.admin_token, body);
    };
    const std::string expires = connector::utc_text(clock->now() + std::chrono::hours(24));
    const Answer made =
        create(R"({"name": "idesk-2027", "role": "backend", "expiresAt": ")" + expires + R"("})");
    BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
    const std::string token = made.json()->getValue<std::string>("token");
    BOOST_TEST(token.size() == 64u);
    BOOST_TEST(made.json()->getValue<std::string>("expiresAt") == expires);
    BOOST_TEST(h.call("GET", "/api/v1/tasks", token).status == 200);
    // Only its hash is kept: the list never shows a token.
    const Answer listed = h.call("GET", "/api/v1/tokens", h.admin_token);
    BOOST_REQUIRE(listed.status == 200);
    BOOST_TEST(listed.body.find(token) == std::string::npos);
    bool found = false;
    const auto tokens = listed.json()->getArray("tokens");
    for (std::size_t i = 0; i < tokens->size(); ++i) {
        const auto entry = tokens->getObject(static_cast<unsigned>(i));
        if (entry->getValue<std::string>("name") == "idesk-2027") {
            found = true;
            BOOST_TEST(entry->getValue<std::string>("role") == "backend");
            BOOST_TEST(entry->getValue<std::string>("expiresAt") == expires);
            BOOST_TEST(entry->isNull("revokedAt"));
        }
    }
    BOOST_TEST(found);
    BOOST_TEST(audited(h, "TOKEN_CREATED") == 1);

    // A day later it is refused, saying why.
    clock->advance(24 * 60 + 1);
    const Answer expired = h.call("GET", "/api/v1/tasks", token);
    BOOST_TEST(expired.status == 401);
    BOOST_TEST(expired.error() == "the API token expired at " + expires, expired.body);
    BOOST_TEST(expired.authenticate == "Bearer");

    // Another, without expiry, then revoked: refused at once.
    const Answer forever = create(R"({"name": "prometheus", "role": "metrics"})");
    BOOST_REQUIRE_MESSAGE(forever.status == 201, forever.body);
    BOOST_TEST(forever.json()->isNull("expiresAt"));
    const std::string metrics_token = forever.json()->getValue<std::string>("token");
    BOOST_TEST(h.call("GET", "/api/v1/tasks", metrics_token).status == 403);  // metrics only
    BOOST_TEST(h.call("DELETE", "/api/v1/tokens/prometheus", h.admin_token).status == 204);
    BOOST_TEST(h.call("GET", "/api/v1/tasks", metrics_token).status == 401);
    BOOST_TEST(h.call("DELETE", "/api/v1/tokens/prometheus", h.admin_token).status == 404);
    BOOST_TEST(audited(h, "TOKEN_REVOKED") == 1);

    // Refused: a name taken, bad fields, a past expiry, a replayable key, other roles.
    BOOST_TEST(create(R"({"name": "idesk-2027", "role": "backend"})").status == 409);
    const Answer wrong =
        create(R"({"name": "X'; DROP TABLE api_clients; --", "role": "root", "expiresAt": "mai"})");
    BOOST_TEST(wrong.status == 400);
    BOOST_TEST(wrong.has_problem("name", "must be 1..64"), wrong.body);
    BOOST_TEST(wrong.has_problem("role", "must be backend, clerk"), wrong.body);
    BOOST_TEST(wrong.has_problem("expiresAt", "is not a UTC time"), wrong.body);
    BOOST_TEST(h.refused_by_rule("is not in the future", "POST", "/api/v1/tokens", h.admin_token,
                                 R"({"name": "old", "role": "clerk",
                                     "expiresAt": "2020-01-01T00:00:00Z"})")
                   .has_problem("expiresAt", "is not in the future"));
    BOOST_TEST(h.call("POST", "/api/v1/tokens", h.admin_token,
                      R"({"name": "keyed", "role": "clerk"})", "key-1", -1, "application/json",
                      {{"X-Contract-Rule", "never stored"}})
                   .has_problem("Idempotency-Key", "never stored"));
    for (const std::string& other : {h.backend_token, h.clerk_token, h.auditor_token}) {
        BOOST_TEST(h.call("GET", "/api/v1/tokens", other).status == 403);
        BOOST_TEST(
            h.call("POST", "/api/v1/tokens", other, R"({"name": "x", "role": "admin"})").status ==
            403);
        BOOST_TEST(h.call("DELETE", "/api/v1/tokens/idesk-2027", other).status == 403);
    }
    BOOST_TEST(h.store->api_clients().size() == 7u);  // the harness's five, and these two
}

}  // namespace api_session_scenarios
