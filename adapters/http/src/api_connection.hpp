// One HTTP connection of the API server: Poco's HTTPServerConnection loop, with one
// difference that matters to iDesk's integrators: a request the HTTP layer cannot read
// (a garbage request line, a 100 KB header, 200 header fields) gets a JSON error like
// every other refusal, with a reason phrase, instead of an empty non-JSON 400.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

namespace http_api {

class ApiConnection;

// The open connections, so that a stop ends the kept-alive ones (what HTTPServer's
// stopAll(true) does through a factory event only its own connections may use).
class ConnectionRegistry {
  public:
    void add(ApiConnection* connection);
    void remove(ApiConnection* connection);
    void stop_all();

  private:
    std::mutex mutex_;
    std::set<ApiConnection*> open_;
    bool stopped_ = false;
};

class ApiConnection final : public Poco::Net::TCPServerConnection {
  public:
    ApiConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                  std::shared_ptr<ConnectionRegistry> registry);
    ~ApiConnection() override;
    void run() override;
    // Ends the connection: its socket is shut down (a request in hand fails to answer).
    void stop();

  private:
    std::shared_ptr<ConnectionRegistry> registry_;

    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
    std::atomic<bool> stopped_{false};
};

class ApiConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
  public:
    ApiConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                         Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                         std::shared_ptr<ConnectionRegistry> registry)
        : params_(std::move(params)),
          handlers_(std::move(handlers)),
          registry_(std::move(registry)) {}
    Poco::Net::TCPServerConnection* createConnection(
        const Poco::Net::StreamSocket& socket) override {
        return new ApiConnection(socket, params_, handlers_, registry_);
    }

  private:
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
    std::shared_ptr<ConnectionRegistry> registry_;
};

}  // namespace http_api
