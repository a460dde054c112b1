// The daemon's HTTP server (adapters/http): health and readiness, and the backend API
// under /api/v1 for iDesk, authenticated with API tokens (stored as SHA-256 hashes).
// Today: GET /healthz, GET /readyz, GET /api/v1/tasks, GET /api/v1/tasks/{code}.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connector/store.hpp"

namespace http_api {

struct ServerSettings {
    std::string host = "127.0.0.1";
    unsigned short port = 0;  // 0: any free port
    // Both set: HTTPS (PEM files; the certificate file may hold the chain).
    std::string tls_certificate;
    std::string tls_private_key;
    std::size_t max_body_bytes = 1024 * 1024;
    std::chrono::seconds timeout{30};
};

// Opens the server's own store connection (the daemon's is not shared across threads).
using StoreOpener = std::function<std::unique_ptr<connector::Store>()>;
// What keeps the connector from being ready (empty: ready), e.g. "axis circuit open".
using ReadinessCheck = std::function<std::vector<std::string>()>;

class ApiServer {
  public:
    ApiServer(ServerSettings settings, StoreOpener open_store, ReadinessCheck readiness);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    void start();  // throws std::runtime_error naming what failed (port, TLS files)
    void stop();
    unsigned short port() const;
    std::string base_url() const;  // e.g. http://127.0.0.1:8380

    struct Impl;  // defined in api_server.cpp (its request handlers reach it)

  private:
    std::unique_ptr<Impl> impl_;
};

// A new API token: 32 random bytes as 64 hex digits. Shown once, never stored.
std::string new_token();
// What is stored: the lowercase hex SHA-256 of the token.
std::string token_hash(const std::string& token);

}  // namespace http_api
