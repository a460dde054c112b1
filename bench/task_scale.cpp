// bench/task_scale: the pages' reading calls with 100 000 tasks and their history in the
// store (issue 15), over real HTTP on loopback against the API server in this process.
// For each call it prints p50 and p99 of 200 calls, and beside them the same figures for
// a bare indexed SELECT of one page of task rows through SOCI (no filter, no JSON, no
// HTTP) measured in the same run. Target: every call at most 100 ms p99 on both stores.
//
// The calls: a page of the list (first, and deep with a cursor), filters (unit and
// timeliness; status and deadline range), the search without diacritics (rare and common
// words), the list by deadline, the summary (GET /api/v1/dashboard), and a clerk's list
// and summary (scoped to one unit, through a session).
//
// The generator (also `task_scale generate URL N`) writes N tasks through the store, as
// the inbound pipeline does (each with its assignees and three history events), 1 000 per
// unit of work; a database that holds N tasks already is reused.
//
// SQLite always (a file under /tmp); PostgreSQL when CONNECTOR_BENCH_POSTGRESQL holds a
// server URL, e.g. one started with
//   PG_FIXTURE_DURABLE=1 tests/support/postgresql-fixture.sh start /tmp/bench-pg
//
// Usage: task_scale [--tasks N] [--quick] | task_scale generate URL N
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "api_backend.hpp"
#include "connector/error.hpp"
#include "connector/password.hpp"
#include "http_api/api_server.hpp"
#include "scale_support.hpp"
#include "store/soci_store.hpp"

namespace {

using bench::Figures;
using bench::measure;
using bench::session_for;
using Clock = std::chrono::steady_clock;

const std::string kToken = "bench-admin-token";
const std::string kPassword = "bench-password-2026";

const char* const kUnits[] = {"000.00.01.H20", "000.00.05.H20", "000.00.14.H20", "000.00.22.H20",
                              "000.00.25.H20", "000.00.03.H20", "000.00.07.H20", "000.00.09.H20",
                              "000.00.11.H20", "000.00.18.H20"};
const char* const kVerbs[] = {"Xây dựng",   "Triển khai", "Rà soát",      "Báo cáo",  "Tổ chức",
                              "Hoàn thiện", "Kiểm tra",   "Tuyên truyền", "Đánh giá", "Nâng cấp"};
const char* const kObjects[] = {"phân hệ theo dõi nhiệm vụ",  "cơ sở dữ liệu dân cư",
                                "hệ thống một cửa điện tử",   "kế hoạch chuyển đổi số",
                                "chỉ số cải cách hành chính", "dịch vụ công trực tuyến",
                                "hạ tầng mạng diện rộng",     "chế độ báo cáo định kỳ"};
const char* const kPlaces[] = {"của tỉnh", "tại các sở, ngành", "cấp huyện", "cấp xã",
                               "trên địa bàn tỉnh Đồng Tháp"};

std::size_t count_tasks(connector::Store& store) {
    connector::TaskQuery all;
    all.today = "2026/12/02";
    std::size_t total = 0;
    for (const auto& count : store.count_tasks(all, connector::TaskGrouping::none))
        total += static_cast<std::size_t>(count.count);
    return total;
}

void generate(const std::string& url, std::size_t tasks) {
    auto store = store::open_store(url, store::Migrations::apply);
    const std::size_t have = count_tasks(*store);
    if (have >= tasks) {
        std::printf("  %zu tasks already in %s\n", have, url.c_str());
        return;
    }
    std::mt19937 random(2026);
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    const auto started = Clock::now();
    for (std::size_t n = have; n < tasks;) {
        store->in_one_transaction([&] {
            for (std::size_t k = 0; k < 1000 && n < tasks; ++k, ++n) {
                const std::size_t document = n / 20;
                connector::Task task;
                char date[16];
                std::snprintf(date, sizeof date, "2026/%02zu/%02zu", 1 + document % 12,
                              1 + document % 28);
                const std::string document_id = std::string("000.00.00.G22,") + date + "," +
                                                std::to_string(document) + "/TB-VPCP";
                task.task_code = document_id + "#" + std::to_string(n % 20 + 1);
                task.side = connector::TaskSide::received;
                task.source_document_id = document_id;
                task.title = std::string(kVerbs[pick(10)]) + " " + kObjects[pick(8)] + " " +
                             kPlaces[pick(5)] + " (" + std::to_string(n) + ")";
                task.content = "Giao " + std::string(kUnits[pick(10)]) +
                               " chủ trì, phối hợp với các đơn vị liên quan thực hiện.";
                task.issuer = "000.00.00.G22";
                task.assignees = {{edxml::AssigneeRole::lead, kUnits[n % 10], "Sở"},
                                  {edxml::AssigneeRole::coordinating, kUnits[(n + 3) % 10], "Sở"}};
                task.due_date =
                    edxml::Date{2024 + static_cast<int>(pick(4)), 1 + static_cast<int>(pick(12)),
                                1 + static_cast<int>(pick(28))};
                const std::size_t state = pick(10);
                task.status.current = state < 3   ? edxml::StatusKind::received
                                      : state < 6 ? edxml::StatusKind::processing
                                      : state < 9 ? edxml::StatusKind::completed
                                                  : edxml::StatusKind::rejected;
                if (task.status.current == edxml::StatusKind::completed) {
                    task.progress = 100;
                    task.completion_date = edxml::Date{2025, 1 + static_cast<int>(pick(12)), 15};
                }
                task.status.withdrawn = pick(50) == 0;
                const std::string& code = task.task_code;
                store->insert_task(task, {0, code, "assigned", "by 000.00.00.G22", 0, ""});
                store->add_task_event({0, code, "status", "01", 0, ""});
                store->add_task_event({0, code, "report", "40 %", 0, ""});
            }
        });
    }
    std::printf("  generated %zu tasks in %.1f s\n", tasks - have,
                std::chrono::duration<double>(Clock::now() - started).count());
    // What an operator runs after a bulk import, and PostgreSQL's autovacuum by itself:
    // the planner's figures for the tables as they now are, and on PostgreSQL the
    // visibility map, without which an index-only scan still visits every row's page.
    store.reset();
    soci::session sql = session_for(url);
    sql << (store::connection_for(url).backend == "postgresql" ? "VACUUM ANALYZE" : "ANALYZE");
}

class Client {
  public:
    explicit Client(unsigned short port) : session_("127.0.0.1", port) {
        session_.setKeepAlive(true);
        // The server closes a connection idle for 2 s (http.keep_alive_idle): a client idle
        // for longer while the other one is measured reconnects instead of writing to it.
        session_.setKeepAliveTimeout(Poco::Timespan(1, 0));
        session_.setTimeout(Poco::Timespan(60, 0));
    }
    std::string get(const std::string& path) { return call("GET", path, ""); }
    std::string call(const std::string& method, const std::string& path, const std::string& body) {
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setKeepAlive(true);
        if (cookie_.empty())
            request.set("Authorization", "Bearer " + kToken);
        else
            request.set("Cookie", cookie_);
        if (!body.empty()) {
            request.setContentType("application/json");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session_.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string answer;
        Poco::StreamCopier::copyToString(session_.receiveResponse(response), answer);
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
            std::fprintf(stderr, "%s %s: %d %s\n", method.c_str(), path.c_str(),
                         static_cast<int>(response.getStatus()), answer.c_str());
            std::exit(1);
        }
        const std::string set_cookie = response.get("Set-Cookie", "");
        if (!set_cookie.empty())
            cookie_ = set_cookie.substr(0, set_cookie.find(';'));
        return answer;
    }

  private:
    Poco::Net::HTTPClientSession session_;
    std::string cookie_;
};

std::string encoded(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, ",/#?&=+ '|", out);
    return out;
}

void run(const std::string& label, const std::string& url, std::size_t tasks, int calls) {
    std::printf("%s\n", label.c_str());
    generate(url, tasks);
    {
        auto store = store::open_store(url);
        try {
            store->create_api_client("bench-admin", http_api::token_hash(kToken), "admin");
            connector::User clerk;
            clerk.name = "bench-clerk";
            clerk.role = "clerk";
            clerk.units = {"000.00.14.H20"};
            clerk.password_hash =
                connector::hash_password(kPassword, connector::kMinimumPasswordIterations);
            store->create_user(clerk);
        } catch (const connector::DuplicateError&) {
            // a reused database has them
        }
    }
    http_api::ServerSettings settings;
    settings.agencies = {{"Sở Khoa học và Công nghệ", "000.00.14.H20"}};
    http_api::ApiServer server(
        settings, [url] { return std::make_unique<test_api::StoreBackend>(url); },
        [] { return std::vector<std::string>{}; });
    server.start();

    // The baseline: one page of task rows by an indexed SELECT, nothing else.
    soci::session sql = session_for(url);
    const std::string middle = [&] {
        std::string code;
        sql << "SELECT task_code FROM tasks ORDER BY task_code LIMIT 1 OFFSET " +
                   std::to_string(tasks / 2),
            soci::into(code);
        return code;
    }();
    const Figures bare = measure(calls, [&] {
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT task_code, title, due_date, status_code FROM tasks WHERE "
                            "task_code > :code ORDER BY task_code LIMIT 25",
             soci::use(middle));
        std::size_t n = 0;
        for (const auto& row : rows)
            n += row.get<std::string>(0).size();
        if (n == 0)
            std::exit(1);
    });
    std::printf("  %-44s p50 %7.2f ms  p99 %7.2f ms\n", "bare indexed SELECT of 25 rows",
                bare.p50_ms, bare.p99_ms);

    Client admin(server.port());
    Client clerk(server.port());
    clerk.call("POST", "/api/v1/session",
               R"({"name": "bench-clerk", "password": ")" + kPassword + R"("})");
    const std::vector<std::pair<std::string, std::function<std::string()>>> cases = {
        {"list, first page", [&] { return admin.get("/api/v1/tasks?limit=25"); }},
        {"list, a page deep in",
         [&] { return admin.get("/api/v1/tasks?limit=25&after=" + encoded(middle)); }},
        {"filter: unit and overdue",
         [&] {
             return admin.get(
                 "/api/v1/tasks?limit=25&agency=000.00.22.H20&timeliness=open_overdue");
         }},
        {"filter: status 05 and deadline in 2025",
         [&] {
             return admin.get(
                 "/api/v1/tasks?limit=25&status=05&dueAfter=2025-01-01&dueBefore=2025-12-31");
         }},
        {"search, rare words ('(4242)')",
         [&] { return admin.get("/api/v1/tasks?limit=25&q=" + encoded("(4242)")); }},
        {"search, no diacritics ('dong thap')",
         [&] { return admin.get("/api/v1/tasks?limit=25&q=dong%20thap"); }},
        {"list by deadline", [&] { return admin.get("/api/v1/tasks?limit=25&sort=due"); }},
        {"summary (dashboard)", [&] { return admin.get("/api/v1/dashboard"); }},
        {"summary, one year of deadlines",
         [&] { return admin.get("/api/v1/dashboard?dueAfter=2025-01-01&dueBefore=2025-12-31"); }},
        {"clerk (one unit): list", [&] { return clerk.get("/api/v1/tasks?limit=25"); }},
        {"clerk (one unit): search",
         [&] { return clerk.get("/api/v1/tasks?limit=25&q=ra%20soat"); }},
        {"clerk (one unit): summary", [&] { return clerk.get("/api/v1/dashboard"); }},
    };
    double worst = 0;
    for (const auto& [name, call] : cases) {
        const Figures figures = measure(calls, [&] { call(); });
        worst = std::max(worst, figures.p99_ms);
        std::printf("  %-44s p50 %7.2f ms  p99 %7.2f ms  (%5.1fx bare p99)%s\n", name.c_str(),
                    figures.p50_ms, figures.p99_ms, figures.p99_ms / bare.p99_ms,
                    figures.p99_ms > 100 ? "  OVER 100 ms" : "");
    }
    std::printf("  worst p99 %.1f ms (target at most 100 ms)\n", worst);
    server.stop();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t tasks = 100'000;
    int calls = 200;
    if (argc == 4 && std::strcmp(argv[1], "generate") == 0) {
        generate(argv[2], static_cast<std::size_t>(std::stoul(argv[3])));
        return 0;
    }
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--tasks") == 0 && i + 1 < argc)
            tasks = static_cast<std::size_t>(std::stoul(argv[++i]));
        else if (std::strcmp(argv[i], "--quick") == 0)
            calls = 30;
    }
    std::printf("task_scale: %zu tasks, %d calls per figure\n", tasks, calls);
    run("SQLite", "sqlite3:/tmp/connector-task-scale-" + std::to_string(tasks) + ".db", tasks,
        calls);
    if (const char* pg = std::getenv("CONNECTOR_BENCH_POSTGRESQL")) {
        run("PostgreSQL", bench::scale_database(pg, "task_scale_" + std::to_string(tasks)), tasks,
            calls);
    }
    return 0;
}
