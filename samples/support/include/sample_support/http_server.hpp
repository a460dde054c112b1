// What both simulators (axis-sim, idesk-sim) need around Poco's HTTP server and the
// process: a handler that calls one function, a bounded body read, and SIGINT/SIGTERM
// waited for on the main thread.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>

namespace sample_support {

using Handle = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

// Every request goes to `handle` (the server owns the factory).
class FunctionHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit FunctionHandlerFactory(Handle handle) : handle_(std::move(handle)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new Handler(handle_);
    }

  private:
    class Handler final : public Poco::Net::HTTPRequestHandler {
      public:
        explicit Handler(const Handle& handle) : handle_(handle) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            handle_(request, response);
        }

      private:
        const Handle& handle_;
    };
    Handle handle_;
};

// Reads the body, refusing (false) as soon as it is over `limit`.
inline bool read_body(Poco::Net::HTTPServerRequest& request, std::size_t limit, std::string& body) {
    if (request.hasContentLength() && request.getContentLength64() >= 0 &&
        static_cast<std::uint64_t>(request.getContentLength64()) > limit)
        return false;
    std::istream& in = request.stream();
    char buffer[64 * 1024];
    while (in) {
        in.read(buffer, sizeof buffer);
        const auto count = static_cast<std::size_t>(in.gcount());
        if (count == 0)
            break;
        if (body.size() + count > limit)
            return false;
        body.append(buffer, count);
    }
    return true;
}

// After a refusal was sent unread (413): the rest of the body is read and thrown away
// for up to 5 s, so that closing with unread data does not reset the connection before
// the client has read the answer ("lingering close").
inline void close_after_refusal(Poco::Net::HTTPServerRequest& request) {
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (!impl)
        return;
    try {
        Poco::Net::StreamSocket& socket = impl->socket();
        socket.shutdownSend();
        socket.setReceiveTimeout(Poco::Timespan(1, 0));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        char buffer[64 * 1024];
        while (std::chrono::steady_clock::now() < deadline &&
               socket.receiveBytes(buffer, sizeof buffer) > 0) {
        }
    } catch (const Poco::Exception&) {
        // Timed out or reset: the connection closes either way.
    }
}

// Blocks SIGINT and SIGTERM in this thread (and so in the server threads started after
// it) and restores the previous mask when it goes out of scope.
class BlockedSignals {
  public:
    BlockedSignals() {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGINT);
        sigaddset(&signals_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    }
    ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;

    int wait() const {
        int received = 0;
        sigwait(&signals_, &received);
        return received;
    }

  private:
    sigset_t signals_{};
    sigset_t previous_{};
};

}  // namespace sample_support
