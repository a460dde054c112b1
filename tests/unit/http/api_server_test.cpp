// The daemon's HTTP server over real HTTP on loopback, with a real SQLite store: health,
// readiness, token authentication (none, wrong, revoked, valid) and the task reads.
#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>

#include "http_api/api_server.hpp"
#include "store/soci_store.hpp"
#include "store_backends.hpp"

namespace {

struct Answer {
    int status = 0;
    std::string body;
    std::string authenticate;
    Poco::JSON::Object::Ptr json() const {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    }
};

connector::Task task(const std::string& code) {
    connector::Task task;
    task.task_code = code;
    task.side = connector::TaskSide::received;
    task.source_document_id = "000.00.00.G22,2025/06/01,125/TB-VPCP";
    task.title = "Triển khai Phân hệ theo dõi nhiệm vụ";
    task.issuer = "000.00.00.G22";
    task.assignees = {{edxml::AssigneeRole::lead, "000.00.14.H20", "Sở Khoa học và Công nghệ"}};
    task.due_date = edxml::Date{2025, 12, 31};
    return task;
}

struct ApiFixture {
    std::string url = store_backends::kSqlite.fresh_url("http_api");
    std::unique_ptr<connector::Store> store = store::open_store(url, store::Migrations::apply);
    std::string token = http_api::new_token();
    std::atomic<bool> circuit_open{false};
    http_api::ApiServer server{http_api::ServerSettings{},
                               [this] { return store::open_store(url); },
                               [this] {
                                   return circuit_open ? std::vector<std::string>{"axis paused"}
                                                       : std::vector<std::string>{};
                               }};

    ApiFixture() {
        store->create_api_client("idesk-backend", http_api::token_hash(token), "backend");
        for (const char* code : {"DOC#I.1", "DOC#I.2", "DOC#II.1"})
            store->insert_task(task(code), {0, code, "assigned", "by 000.00.00.G22", 0, ""});
        server.start();
    }

    // `declared_length` (when not negative) is sent instead of the body's length, with no
    // body: how a client announces a huge upload the server must refuse unread.
    Answer call(const std::string& method, const std::string& path, const std::string& bearer = {},
                const std::string& body = {}, std::streamsize declared_length = -1) {
        Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!bearer.empty())
            request.set("Authorization", "Bearer " + bearer);
        if (declared_length >= 0) {
            request.setContentLength(declared_length);
            session.sendRequest(request);
        } else {
            request.setContentLength(static_cast<std::streamsize>(body.size()));
            session.sendRequest(request) << body;
        }
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        Answer answer;
        answer.status = static_cast<int>(response.getStatus());
        answer.authenticate = response.get("WWW-Authenticate", "");
        Poco::StreamCopier::copyToString(in, answer.body);
        return answer;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_api_server)

BOOST_FIXTURE_TEST_CASE(health_and_readiness, ApiFixture) {
    BOOST_TEST(call("GET", "/healthz").status == 200);
    const Answer ready = call("GET", "/readyz");
    BOOST_TEST(ready.status == 200);
    BOOST_TEST(ready.json()->getValue<std::string>("status") == "ready");
    circuit_open = true;
    const Answer paused = call("GET", "/readyz");
    BOOST_TEST(paused.status == 503);
    BOOST_TEST(paused.json()->getArray("problems")->getElement<std::string>(0) == "axis paused");
}

BOOST_FIXTURE_TEST_CASE(the_api_needs_a_valid_token, ApiFixture) {
    const Answer none = call("GET", "/api/v1/tasks");
    BOOST_TEST(none.status == 401);
    BOOST_TEST(none.authenticate == "Bearer");
    BOOST_TEST(call("GET", "/api/v1/tasks", "not-a-token").status == 401);
    BOOST_TEST(call("GET", "/api/v1/tasks", "' OR '1'='1").status == 401);
    BOOST_TEST(call("GET", "/api/v1/tasks", token).status == 200);
    store->revoke_api_client("idesk-backend");
    const Answer revoked = call("GET", "/api/v1/tasks", token);
    BOOST_TEST(revoked.status == 401);
    BOOST_TEST(revoked.json()->getValue<std::string>("error") ==
               "the API token is unknown or revoked");
}

BOOST_FIXTURE_TEST_CASE(tasks_are_listed_with_a_cursor, ApiFixture) {
    const Answer first = call("GET", "/api/v1/tasks?limit=2", token);
    BOOST_REQUIRE_EQUAL(first.status, 200);
    const auto page = first.json();
    BOOST_REQUIRE_EQUAL(page->getArray("tasks")->size(), 2u);
    const std::string next = page->getValue<std::string>("next");
    BOOST_TEST(next == "DOC#I.2");
    const auto listed = page->getArray("tasks")->getObject(0);
    BOOST_TEST(listed->getValue<std::string>("code") == "DOC#I.1");
    BOOST_TEST(listed->getValue<std::string>("title") == "Triển khai Phân hệ theo dõi nhiệm vụ");
    BOOST_TEST(listed->getValue<std::string>("dueDate") == "2025/12/31");
    const Answer rest = call("GET", "/api/v1/tasks?limit=2&after=DOC%23I.2", token);
    BOOST_REQUIRE_EQUAL(rest.status, 200);
    BOOST_TEST(rest.json()->getArray("tasks")->size() == 1u);
    BOOST_TEST(rest.json()->get("next").isEmpty());
    BOOST_TEST(call("GET", "/api/v1/tasks?limit=0", token).status == 400);
    BOOST_TEST(call("GET", "/api/v1/tasks?limit=abc", token).status == 400);
    const Answer unknown = call("GET", "/api/v1/tasks?colour=red", token);
    BOOST_TEST(unknown.status == 400);
    BOOST_TEST(unknown.json()->getValue<std::string>("error") ==
               "unknown query parameter 'colour'");
}

BOOST_FIXTURE_TEST_CASE(one_task_with_its_history, ApiFixture) {
    const Answer found = call("GET", "/api/v1/tasks/DOC%23I.1", token);
    BOOST_REQUIRE_EQUAL(found.status, 200);
    const auto body = found.json();
    BOOST_TEST(body->getValue<std::string>("code") == "DOC#I.1");
    BOOST_TEST(body->getArray("history")->size() == 1u);
    BOOST_TEST(body->getArray("history")->getObject(0)->getValue<std::string>("kind") ==
               "assigned");
    BOOST_TEST(call("GET", "/api/v1/tasks/DOC%23X'%3B%20DROP%20TABLE%20tasks", token).status ==
               404);
    BOOST_TEST(call("GET", "/api/v1/nothing", token).status == 404);
    BOOST_TEST(call("POST", "/api/v1/tasks", token, "{}").status == 405);
    BOOST_TEST(store->tasks("", 10).size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(oversized_bodies_are_refused, ApiFixture) {
    const Answer big = call("POST", "/api/v1/tasks", token, {}, 2 * 1024 * 1024);
    BOOST_TEST(big.status == 413);
}

BOOST_AUTO_TEST_SUITE_END()
