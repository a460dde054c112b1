// Fuzz target for the backend API's JSON bodies, through the real server on loopback
// (real HTTP, a real SQLite store): any body gets a well-formed JSON answer with a status
// the contract lists, never a crash, a hang or a 500.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "api_backend.hpp"
#include "http_api/api_server.hpp"
#include "store/soci_store.hpp"

namespace {

const std::string kToken = "fuzz-backend-token";

http_api::ApiServer& server() {
    static std::unique_ptr<http_api::ApiServer> instance = [] {
        const auto path = std::filesystem::temp_directory_path() /
                          ("connector-api-fuzz-" + std::to_string(::getpid()) + ".db");
        std::filesystem::remove(path);
        const std::string url = "sqlite3:" + path.string();
        store::open_store(url, store::Migrations::apply)
            ->create_api_client("idesk", http_api::token_hash(kToken), "backend");
        http_api::ServerSettings settings;
        settings.max_body_bytes = 1024 * 1024;
        auto api = std::make_unique<http_api::ApiServer>(
            settings, [url] { return std::make_unique<test_api::StoreBackend>(url); },
            [] { return std::vector<std::string>{}; });
        api->start();
        return api;
    }();
    return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    // The first byte picks the call, the rest is its body.
    static const char* const kPaths[] = {
        "/api/v1/tasks", "/api/v1/documents",
        "/api/v1/tasks/000.00.00.H20%2C2026%2F01%2F05%2C12%2FKH#1/reports"};
    const char* path = kPaths[data[0] % 3];
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    Poco::Net::HTTPClientSession session("127.0.0.1", server().port());
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + kToken);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string answer;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
    const int status = static_cast<int>(response.getStatus());
    static const std::set<int> kListed = {202, 400, 404, 409, 413, 422};
    if (!kListed.count(status)) {
        std::fprintf(stderr, "status %d for a body of %zu bytes: %s\n", status, body.size(),
                     answer.c_str());
        std::abort();
    }
    try {
        Poco::JSON::Parser parser;
        parser.parse(answer).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        std::fprintf(stderr, "a %d answer is not a JSON object: %s\n", status, answer.c_str());
        std::abort();
    }
    return 0;
}
