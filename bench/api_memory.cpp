// bench/api_memory: the API server's memory with large assignments (issue 13), in one
// process with a real SQLite store and real HTTP on loopback. It prints
//   - the resident memory when idle (after one small call),
//   - the peak while 8 clients POST a 15 MB assignment each at once, as a multiple of the
//     8 bodies (target: at most 3x), and per body the server has in hand,
//   - the resident memory after 50 more such assignments, one after the other, beside the
//     idle figure (target: back near it). The clients run in this process: what they
//     freed is given back (malloc_trim) before each reading.
// Packages are signed when --pki DIR (a test PKI: h20.key, h20.pem, intermediate.pem) is
// given, as in production.
//
// Usage: api_memory [--pki DIR] [--quick]   (--quick: 10 sequential instead of 50)
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api_backend.hpp"
#include "edxml/attachments.hpp"
#include "edxml/signature.hpp"
#include "http_api/api_server.hpp"
#include "peak_memory.hpp"
#include "store/soci_store.hpp"

namespace {

const std::string kToken = "bench-backend-token";

long resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

std::string assignment(int number, const std::string& attachment_base64) {
    return R"({"document": {"number": ")" + std::to_string(number) +
           R"(", "notation": "KH-VPCP", "subject": "Kế hoạch", "attachments": [{"name": "phu-luc.pdf", "contentType": "application/pdf", "base64": ")" +
           attachment_base64 +
           R"("}]}, "tasks": [{"title": "Nhiệm vụ", "lead": {"organId": "000.00.00.H20", "name": "UBND tỉnh Đồng Tháp"}}]})";
}

int post(unsigned short port, const std::string& body) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(300, 0));
    Poco::Net::HTTPRequest request("POST", "/api/v1/tasks", Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + kToken);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string answer;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
    return static_cast<int>(response.getStatus());
}

}  // namespace

int main(int argc, char** argv) {
    std::string pki;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--pki") == 0 && i + 1 < argc)
            pki = argv[++i];
        else if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
    }
    const auto work = std::filesystem::temp_directory_path() /
                      ("connector-api-memory-" + std::to_string(::getpid()));
    std::filesystem::create_directories(work);
    const std::string url = "sqlite3:" + (work / "bench.db").string();
    store::open_store(url, store::Migrations::apply)
        ->create_api_client("idesk", http_api::token_hash(kToken), "backend");
    std::shared_ptr<const edxml::SigningCredentials> signing;
    if (!pki.empty())
        signing =
            std::make_shared<const edxml::SigningCredentials>(edxml::SigningCredentials::from_pem(
                pki + "/h20.key", pki + "/h20.pem", pki + "/intermediate.pem"));
    http_api::ServerSettings settings;
    http_api::ApiServer server(
        settings, [url, signing] { return std::make_unique<test_api::StoreBackend>(url, signing); },
        [] { return std::vector<std::string>{}; });
    server.start();

    // 15 MB of body: an attachment of about 11 MB, as base64.
    std::string binary(11 * 1024 * 1024, '\0');
    std::mt19937 random(7);
    for (char& byte : binary)
        byte = static_cast<char>(random());
    const std::string base64 = edxml::encode_base64(binary, 0);
    binary.clear();
    binary.shrink_to_fit();
    const std::size_t body_size = assignment(0, base64).size();

    int number = 1;
    if (post(server.port(), assignment(number++, "JVBERi0xLjQK")) != 202)
        std::fprintf(stderr, "the warm-up call was refused\n");
    malloc_trim(0);
    const long idle = resident_bytes();

    std::atomic<long> peak{resident_bytes()};
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
        while (sampling) {
            long now = resident_bytes();
            long seen = peak.load();
            while (now > seen && !peak.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    std::vector<std::string> bodies;
    for (int i = 0; i < 8; ++i)
        bodies.push_back(assignment(number++, base64));
    const long with_bodies = resident_bytes();  // the clients' copies, not the server's
    std::vector<std::thread> clients;
    std::atomic<int> accepted{0};
    for (const std::string& body : bodies)
        clients.emplace_back([&, &body = body] { accepted += post(server.port(), body) == 202; });
    for (auto& client : clients)
        client.join();
    sampling = false;
    sampler.join();
    const long concurrent_peak = peak.load() - with_bodies;
    bodies.clear();
    bodies.shrink_to_fit();

    const int sequential = quick ? 10 : 50;
    int sequential_accepted = 0;
    for (int i = 0; i < sequential; ++i)
        sequential_accepted += post(server.port(), assignment(number++, base64)) == 202;
    // Read once the server has finished with the last request (its worker may still be
    // freeing it when the answer arrives). The clients live in this process too: what
    // they freed is given back before reading (the server gives back what it freed
    // itself, after each large request).
    server.stop();
    malloc_trim(0);
    const long after = resident_bytes();

    const double mb = 1024.0 * 1024.0;
    std::printf("api_memory: %s packages, body %.1f MB\n", signing ? "signed" : "unsigned",
                body_size / mb);
    std::printf("idle (after one small call)            %8.1f MB\n", idle / mb);
    std::printf(
        "8 concurrent (%d accepted): server peak %8.1f MB = %.2fx the 8 bodies "
        "(target: at most 3x)\n",
        accepted.load(), concurrent_peak / mb, concurrent_peak / (8.0 * body_size));
    // The server handles `large_bodies_at_once` of them at a time; the others wait unread.
    std::printf("  per body in hand (%d at once)       %8.1f MB = %.2fx one body\n",
                settings.large_bodies_at_once, concurrent_peak / mb / settings.large_bodies_at_once,
                concurrent_peak / (1.0 * settings.large_bodies_at_once * body_size));
    std::printf(
        "after %d more (%d accepted)            %8.1f MB = idle + %.1f MB "
        "(target: back near idle)\n",
        sequential, sequential_accepted, after / mb, (after - idle) / mb);
    std::filesystem::remove_all(work);
    return 0;
}
