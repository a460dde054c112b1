// Fuzz target for the axis client's reading of answers: a server on loopback answers
// every call with the input bytes; each operation gives a value or an AxisError with a
// class and a message, never a crash or an exception.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "vdxp/http_axis_client.hpp"

namespace {

std::mutex answer_mutex;
std::string answer;  // what the fake axis says to every call now

class Handler final : public Poco::Net::HTTPRequestHandler {
  public:
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        std::string ignored;
        Poco::StreamCopier::copyToString(request.stream(), ignored);
        std::string body;
        {
            std::lock_guard lock(answer_mutex);
            body = answer;
        }
        response.setContentType("application/json");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new Handler;
    }
};

vdxp::HttpAxisClient& client() {
    static Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    static Poco::Net::HTTPServer server(new Factory, socket, new Poco::Net::HTTPServerParams);
    static std::unique_ptr<vdxp::HttpAxisClient> instance = [] {
        server.start();
        vdxp::ClientSettings settings;
        settings.base_url =
            "http://127.0.0.1:" + std::to_string(socket.address().port()) + "/XrdAdapter/adapter";
        settings.systemid = "000.00.00.H20";
        settings.secret = "fuzz-secret";
        return std::make_unique<vdxp::HttpAxisClient>(settings);
    }();
    return *instance;
}

template <typename Result>
void expect_value_or_error(const Result& result, const char* operation) {
    if (!result.ok() && result.error().message().empty()) {
        std::fprintf(stderr, "%s: an error without a message\n", operation);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    {
        std::lock_guard lock(answer_mutex);
        answer.assign(reinterpret_cast<const char*>(data), size);
    }
    vdxp::HttpAxisClient& axis = client();
    expect_value_or_error(axis.received_list(connector::AxisMessageType::edoc, {}),
                          "getReceivedEdocList");
    expect_value_or_error(axis.get_edoc("knobstick-1"), "getEdoc");
    expect_value_or_error(axis.update_status("knobstick-1", connector::AxisReceipt::done),
                          "updateStatus");
    expect_value_or_error(
        axis.send_edoc({"000.00.00.G22", connector::AxisMessageType::edoc, "<edXML/>", ""}),
        "sendEdoc");
    return 0;
}
