// The connector's API as the simulator calls it: plain HTTP, a bearer token, one
// connection per call (calls are few and the connector may restart between them).
#pragma once

#include <string>

namespace idesk_sim {

struct Answer {
    int status = 0;    // 0: no HTTP answer (connection refused, reset, timed out)
    std::string body;  // the answer's body, or the connection error
    bool retryable() const { return status == 0 || status >= 500; }
    std::string describe() const;  // "HTTP 400: {…}" or "no answer: …"
};

class ConnectorClient {
  public:
    // `base_url`: http://host:port with an optional base path. Throws
    // std::invalid_argument naming --connector when it is not one.
    ConnectorClient(const std::string& base_url, std::string token);

    // `path_and_query` starts with '/' and is already percent-encoded.
    Answer get(const std::string& path_and_query) const;
    Answer post(const std::string& path, const std::string& json_body,
                const std::string& idempotency_key) const;

  private:
    Answer call(const std::string& method, const std::string& path, const std::string* body,
                const std::string& idempotency_key) const;

    std::string host_;
    unsigned short port_ = 80;
    std::string base_path_;
    std::string token_;
};

}  // namespace idesk_sim
