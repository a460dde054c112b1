#include "ready_acceptor.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/StreamSocket.h>

#include <map>
#include <string>

namespace http_api {
namespace {

using Clock = std::chrono::steady_clock;

// The answer to a connection no worker can take now: complete, small, and closing.
void answer_busy(Poco::Net::StreamSocket& socket) {
    static const std::string kBody =
        R"({"error":{"status":503,"message":"the server is busy; try again shortly"}})";
    const std::string response =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nRetry-After: 1\r\n"
        "Connection: close\r\nContent-Length: " +
        std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
    try {
        socket.setBlocking(false);
        socket.sendBytes(response.data(), static_cast<int>(response.size()));
    } catch (const Poco::Exception&) {
        // a TLS connection cannot be answered before its handshake; closing says enough
    }
}

}  // namespace

ReadyAcceptor::ReadyAcceptor(Poco::Net::ServerSocket& socket,
                             Poco::Net::TCPServerDispatcher* dispatcher, AcceptorLimits limits)
    : socket_(socket), dispatcher_(dispatcher), limits_(limits) {
    dispatcher_->duplicate();
}

ReadyAcceptor::~ReadyAcceptor() {
    stop();
    dispatcher_->release();
}

void ReadyAcceptor::start() {
    thread_ = std::thread([this] { run(); });
}

void ReadyAcceptor::stop() {
    if (!thread_.joinable())
        return;
    stopping_ = true;
    thread_.join();
    dispatcher_->stop();
}

void ReadyAcceptor::run() {
    Poco::Net::PollSet poll;
    poll.add(socket_, Poco::Net::PollSet::POLL_READ);
    // The silent connections, by when they must have spoken.
    std::map<Poco::Net::Socket, Clock::time_point> waiting;
    while (!stopping_) {
        Poco::Net::PollSet::SocketModeMap ready;
        try {
            ready = poll.poll(Poco::Timespan(0, 100'000));  // also how often `stopping_` is read
        } catch (const Poco::Exception&) {
            continue;
        }
        for (const auto& [socket, mode] : ready) {
            if (socket == socket_) {
                Poco::Net::StreamSocket accepted;
                try {
                    accepted = socket_.acceptConnection();
                } catch (const Poco::Exception&) {
                    continue;  // the client gave up before we took it
                }
                if (waiting.size() >= limits_.max_waiting_connections) {
                    ++refused_;
                    accepted.close();
                    continue;
                }
                waiting.emplace(accepted, Clock::now() + limits_.idle_limit);
                poll.add(accepted, Poco::Net::PollSet::POLL_READ);
                continue;
            }
            poll.remove(socket);
            waiting.erase(socket);
            Poco::Net::StreamSocket stream(socket);
            if (static_cast<std::size_t>(dispatcher_->queuedConnections()) >= limits_.max_queued) {
                ++refused_;
                answer_busy(stream);
                stream.close();
                continue;
            }
            dispatcher_->enqueue(stream);
        }
        const auto now = Clock::now();
        for (auto it = waiting.begin(); it != waiting.end();) {
            if (it->second > now) {
                ++it;
                continue;
            }
            poll.remove(it->first);
            Poco::Net::Socket expired = it->first;
            it = waiting.erase(it);
            ++closed_idle_;
            expired.close();
        }
    }
    for (auto& [socket, deadline] : waiting) {
        Poco::Net::Socket open = socket;
        open.close();
    }
}

}  // namespace http_api
