// bench/exchange --api: the path as iDesk drives it. Real `connector run` daemons (signing
// and requiring signatures, on SQLite, and on PostgreSQL when CONNECTOR_BENCH_POSTGRESQL is
// set; one H20 daemon, then two on one database) and the axis simulator; the bench is G22's
// iDesk (POST /api/v1/tasks, one task each, one after the other) and H20's iDesk (the
// webhook receiver). It prints the accepted POSTs per second beside a baseline measured
// in the same run (GET /healthz round trips on the same server: the HTTP cost alone), and
// the latency from each POST to the `task.assigned` webhook at the other side (median,
// p99) beside the target: one poll interval + 200 ms.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "axis_sim/simulator.hpp"
#include "exchange_api.hpp"

namespace bench_api {
namespace {

using Steady = std::chrono::steady_clock;

// H20's iDesk: the arrival time of each task it learns about.
class Arrivals final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new Handler(*this);
    }
    std::size_t wait_for(std::size_t count, std::chrono::seconds limit) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, limit, [&] { return at_.size() >= count; });
        return at_.size();
    }
    std::map<std::string, Steady::time_point> times() {
        std::lock_guard lock(mutex_);
        return at_;
    }

  private:
    class Handler final : public Poco::Net::HTTPRequestHandler {
      public:
        explicit Handler(Arrivals& arrivals) : arrivals_(arrivals) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            const auto now = Steady::now();
            std::string body;
            Poco::StreamCopier::copyToString(request.stream(), body);
            Poco::JSON::Parser parser;
            const auto event = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
            if (event->getValue<std::string>("kind") == "task.assigned") {
                std::lock_guard lock(arrivals_.mutex_);
                arrivals_.at_.emplace(event->getValue<std::string>("taskCode"), now);
                arrivals_.arrived_.notify_all();
            }
            response.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
            response.setContentLength(0);
            response.send();
        }

      private:
        Arrivals& arrivals_;
    };
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::map<std::string, Steady::time_point> at_;
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
    // Secrets must be the owner's alone (the daemon refuses them otherwise).
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

std::string config(const std::string& work, const std::string& pki, const std::string& name,
                   const std::string& code, const std::string& store_url, const std::string& axis,
                   int poll_ms, const std::string& extra) {
    write_file(work + "/" + name + ".secret", name + "-secret\n");
    const std::string path = work + "/" + name + ".conf";
    write_file(path, "agency.code = " + code + "\nagency.name = " + name + "\nstore.url = " +
                         store_url + "\naxis.base_url = " + axis + "\naxis.secret_file = " + work +
                         "/" + name + ".secret" + "\nsigning.key_file = " + pki + "/" + name +
                         ".key\nsigning.certificate_file = " + pki + "/" + name +
                         ".pem\nsigning.chain_file = " + pki +
                         "/intermediate.pem\nsigning.passphrase_file = " + pki +
                         "/passphrase.txt\nverify.policy = require\nverify.trust = " + pki +
                         "/anchors\npoll.interval_ms = " + std::to_string(poll_ms) +
                         "\nhttp.listen = 127.0.0.1:0\n" + extra);
    return path;
}

// The daemon's base URL, from its `http.start` log line.
std::string wait_for_url(const std::string& log) {
    const auto deadline = Steady::now() + std::chrono::seconds(60);
    while (Steady::now() < deadline) {
        const std::string text = read_file(log);
        const auto at = text.find("event=http.start url=");
        if (at != std::string::npos) {
            const auto start = at + std::string("event=http.start url=").size();
            return text.substr(start, text.find('\n', start) - start);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::fprintf(stderr, "no http.start in %s:\n%s\n", log.c_str(), read_file(log).c_str());
    std::exit(1);
}

int call(Poco::Net::HTTPClientSession& session, const std::string& method, const std::string& path,
         const std::string& token, const std::string& body, std::string* answer) {
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + token);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    if (answer)
        *answer = text;
    return static_cast<int>(response.getStatus());
}

double percentile(std::vector<double> values, double share) {
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<std::size_t>(values.size() * share))];
}

}  // namespace

int run(const std::string& connector, const std::string& work, const std::string& pki, bool quick,
        const Setup& setup) {
    std::filesystem::create_directories(work);
    const int posts = quick ? 20 : 200;
    const int poll_ms = 1000;
    axis_sim::SimulatorConfig axis_config;
    axis_sim::AgencyConfig h20;
    h20.id = h20.code = "000.00.00.H20";
    h20.name = "UBND tỉnh Đồng Tháp";
    axis_sim::AgencyConfig g22;
    g22.id = g22.code = "000.00.00.G22";
    g22.name = "Văn phòng Chính phủ";
    axis_config.systems = {{"000.00.00.H20", "h20-secret", {h20}},
                           {"000.00.00.G22", "g22-secret", {g22}}};
    axis_sim::Simulator axis(axis_config);
    axis.start();

    Arrivals* arrivals = new Arrivals;  // owned by the server
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    Poco::Net::HTTPServer receiver(arrivals, socket, new Poco::Net::HTTPServerParams);
    receiver.start();
    write_file(work + "/webhook.secret", "bench-webhook-secret\n");

    const std::string g22_conf =
        config(work, pki, "g22", "000.00.00.G22", setup.g22_store, axis.base_url(), poll_ms, "");
    const std::string h20_conf =
        config(work, pki, "h20", "000.00.00.H20", setup.h20_store, axis.base_url(), poll_ms,
               "webhook.url = http://127.0.0.1:" + std::to_string(socket.address().port()) +
                   "/hooks\nwebhook.secret_file = " + work + "/webhook.secret\n");
    const std::string token_file = work + "/token";
    const std::string create = connector + " token create --name bench --role backend --config " +
                               g22_conf + " > " + token_file + " 2>/dev/null";
    if (std::system(create.c_str()) != 0) {
        std::fprintf(stderr, "cannot create a token: %s\n", create.c_str());
        return 1;
    }
    std::string token = read_file(token_file);
    token.erase(token.find_last_not_of("\n") + 1);

    std::vector<Poco::ProcessHandle> daemons;
    std::vector<std::pair<std::string, std::string>> runs{{g22_conf, work + "/g22.log"}};
    for (int n = 1; n <= setup.h20_daemons; ++n)  // several: one database, their own ids
        runs.emplace_back(h20_conf, work + "/h20-" + std::to_string(n) + ".log");
    for (const auto& [conf, log] : runs) {
        daemons.push_back(Poco::Process::launch(
            "/bin/sh", {"-c", "exec " + connector + " run --config " + conf + " 2>" + log}));
    }
    const Poco::URI g22_url(wait_for_url(work + "/g22.log"));
    for (int n = 1; n <= setup.h20_daemons; ++n)
        wait_for_url(work + "/h20-" + std::to_string(n) + ".log");

    Poco::Net::HTTPClientSession session(g22_url.getHost(), g22_url.getPort());
    session.setKeepAlive(true);
    // Baseline: the same server's cheapest authenticated-free round trip.
    const auto baseline_start = Steady::now();
    int health = 0;
    while (Steady::now() - baseline_start < std::chrono::milliseconds(500)) {
        call(session, "GET", "/healthz", token, "", nullptr);
        ++health;
    }
    const double health_per_second =
        health / std::chrono::duration<double>(Steady::now() - baseline_start).count();

    // One POST; returns its task code (empty after printing the problem).
    int number = 0;
    const auto post = [&]() -> std::string {
        ++number;
        std::string answer;
        const int status = call(
            session, "POST", "/api/v1/tasks", token,
            R"({"document": {"number": ")" + std::to_string(number) +
                R"(", "notation": "BENCH", "subject": "Bench"}, "tasks": [{"title": "Nhiệm vụ )" +
                std::to_string(number) +
                R"(", "lead": {"organId": "000.00.00.H20", "name": "UBND tỉnh Đồng Tháp"}}]})",
            &answer);
        if (status != 202) {
            std::fprintf(stderr, "POST /api/v1/tasks answered %d: %s\n", status, answer.c_str());
            return {};
        }
        Poco::JSON::Parser parser;
        return parser.parse(answer)
            .extract<Poco::JSON::Object::Ptr>()
            ->getArray("tasks")
            ->getElement<std::string>(0);
    };
    // The latencies of `posted` once all arrived; empty when some never did.
    const auto latencies_of = [&](const std::map<std::string, Steady::time_point>& posted,
                                  std::size_t before) {
        std::vector<double> latencies;
        if (arrivals->wait_for(before + posted.size(), std::chrono::seconds(300)) <
            before + posted.size())
            return latencies;
        const auto times = arrivals->times();
        for (const auto& [code, at] : posted)
            latencies.push_back(
                std::chrono::duration<double, std::milli>(times.at(code) - at).count());
        return latencies;
    };

    // Paced first (a busy iDesk's steady flow, 10 POSTs a second), then a burst.
    std::map<std::string, Steady::time_point> paced;
    const int paced_posts = quick ? 20 : 100;
    for (int n = 0; n < paced_posts; ++n) {
        const auto before = Steady::now();
        const std::string code = post();
        if (code.empty())
            return 1;
        paced[code] = before;
        std::this_thread::sleep_until(before + std::chrono::milliseconds(100));
    }
    const auto paced_latencies = latencies_of(paced, 0);

    // Burst: as fast as the API accepts, one after the other.
    std::map<std::string, Steady::time_point> burst;
    const auto start = Steady::now();
    for (int n = 0; n < posts; ++n) {
        const auto before = Steady::now();
        const std::string code = post();
        if (code.empty())
            return 1;
        burst[code] = before;
    }
    const double posts_per_second =
        posts / std::chrono::duration<double>(Steady::now() - start).count();
    const auto burst_latencies = latencies_of(burst, paced.size());

    for (auto& daemon : daemons) {
        Poco::Process::requestTermination(daemon.id());
        daemon.wait();
    }
    receiver.stop();
    if (burst_latencies.empty() || paced_latencies.empty()) {
        std::fprintf(stderr, "some tasks never reached H20's webhook (logs in %s)\n", work.c_str());
        return 1;
    }
    const double target = poll_ms + 200.0;
    std::printf("api: %s, G22 and %d H20 daemon(s) (signing, requiring signatures), poll %d ms\n",
                setup.label.c_str(), setup.h20_daemons, poll_ms);
    std::printf("GET /healthz (baseline)      %8.1f /s\n", health_per_second);
    std::printf("POST /api/v1/tasks (burst)   %8.1f /s  = %.1f%% of the baseline\n",
                posts_per_second, 100.0 * posts_per_second / health_per_second);
    const auto line = [&](const char* label, const std::vector<double>& latencies) {
        const double p99 = percentile(latencies, 0.99);
        std::printf(
            "%-28s median %7.1f ms  p99 %7.1f ms  = %.2f x the target (poll + 200 ms "
            "= %.0f ms)\n",
            label, percentile(latencies, 0.5), p99, p99 / target, target);
    };
    char label[64];
    std::snprintf(label, sizeof label, "POST -> webhook, %d at 10/s", paced_posts);
    line(label, paced_latencies);
    std::snprintf(label, sizeof label, "POST -> webhook, burst of %d", posts);
    line(label, burst_latencies);
    return 0;
}

}  // namespace bench_api
