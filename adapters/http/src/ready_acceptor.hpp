// Accepts the server's connections and hands each to a worker thread only once it has
// bytes to read. Poco's TCPServer gives a connection a worker as soon as it is accepted,
// and the worker waits for the request: 32 silent connections held all 32 workers, and
// /healthz waited with them. Here a silent connection costs a file descriptor in a poll
// set, is closed after `idle_limit`, and the number held is bounded; when the workers'
// queue is full the connection gets a 503 at once instead of waiting.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerDispatcher.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>

namespace http_api {

struct AcceptorLimits {
    std::size_t max_waiting_connections = 1024;    // accepted, nothing received yet
    std::chrono::milliseconds idle_limit{10'000};  // a silent connection is closed after it
    std::size_t max_queued = 128;                  // ready connections waiting for a worker
};

class ReadyAcceptor {
  public:
    // `dispatcher` (one reference taken) runs the HTTP connections on its thread pool.
    ReadyAcceptor(Poco::Net::ServerSocket& socket, Poco::Net::TCPServerDispatcher* dispatcher,
                  AcceptorLimits limits);
    ~ReadyAcceptor();
    ReadyAcceptor(const ReadyAcceptor&) = delete;
    ReadyAcceptor& operator=(const ReadyAcceptor&) = delete;

    void start();
    // Stops accepting, closes the waiting connections and stops the dispatcher (the
    // requests in hand finish).
    void stop();
    // Connections answered 503 because the queue was full, and closed silent ones.
    std::size_t refused() const { return refused_; }
    std::size_t closed_idle() const { return closed_idle_; }

  private:
    void run();

    Poco::Net::ServerSocket& socket_;
    Poco::Net::TCPServerDispatcher* dispatcher_;
    AcceptorLimits limits_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> refused_{0};
    std::atomic<std::size_t> closed_idle_{0};
    std::thread thread_;
};

}  // namespace http_api
