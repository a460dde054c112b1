// tests/api/contract_proxy.go between a test and the API server: every call checked
// against docs/openapi.yaml (the answer as documented, no 400 for what the spec allows,
// no 2xx for what it refuses). A harness starts one per server; its record (one JSON
// line per call) is read when it stops, and each violation fails the test that made the
// call. The records stay for tests/api/contract_coverage.py.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace contract {

inline std::string record_dir() {
    return std::string(CONNECTOR_BINARY_DIR) + "/test-tmp/api-contract";
}

class Proxy {
  public:
    // Starts the proxy in front of http://127.0.0.1:upstream_port; `label` names its record.
    Proxy(unsigned short upstream_port, const std::string& label) {
        std::filesystem::create_directories(record_dir() + "/examples");
        static int count = 0;
        record_ = record_dir() + "/" + label + "-" + std::to_string(::getpid()) + "-" +
                  std::to_string(++count) + ".jsonl";
        std::filesystem::remove(record_);
        Poco::Pipe out;
        handle_.emplace(Poco::Process::launch(
            CONNECTOR_CONTRACT_PROXY,
            {CONNECTOR_OPENAPI_YAML, "http://127.0.0.1:" + std::to_string(upstream_port), record_,
             record_dir() + "/examples"},
            nullptr, &out, nullptr));
        Poco::PipeInputStream said(out);
        std::string line;
        std::getline(said, line);
        const std::string prefix = "listening http://127.0.0.1:";
        if (line.rfind(prefix, 0) != 0)
            throw std::runtime_error("contract_proxy did not start: '" + line + "'");
        port_ = static_cast<unsigned short>(std::stoi(line.substr(prefix.size())));
    }
    ~Proxy() { stop(); }
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    unsigned short port() const { return port_; }

    // Ends the proxy; each call it saw that broke the contract, as "METHOD path → status:
    // what".
    std::vector<std::string> stop() {
        if (!handle_)
            return {};
        Poco::Process::kill(*handle_);
        handle_->wait();
        handle_.reset();
        std::vector<std::string> violations;
        std::ifstream in(record_);
        std::string line;
        while (std::getline(in, line)) {
            Poco::JSON::Parser parser;
            const auto entry = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
            if (entry->has("violation"))
                violations.push_back(entry->getValue<std::string>("method") + " " +
                                     entry->getValue<std::string>("path") + " → " +
                                     std::to_string(entry->getValue<int>("status")) + ": " +
                                     entry->getValue<std::string>("violation"));
        }
        return violations;
    }

  private:
    std::optional<Poco::ProcessHandle> handle_;
    std::string record_;
    unsigned short port_ = 0;
};

}  // namespace contract
