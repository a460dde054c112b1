#include "api_connection.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <memory>
#include <string>

namespace http_api {
namespace {

// A JSON error on a connection whose request could not be read; the connection closes.
void send_json_error(Poco::Net::HTTPServerSession& session,
                     Poco::Net::HTTPResponse::HTTPStatus status, const std::string& message) {
    std::string text;
    for (const char c : message) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\')
            text += '\\';
        text += byte < 0x20 || byte >= 0x7f ? '?' : c;  // Poco's messages are ASCII
    }
    const std::string body = "{\"error\":\"" + text + "\"}";
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setStatusAndReason(status);
    response.setKeepAlive(false);
    response.setContentType("application/json; charset=utf-8");
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
    response.send().flush();
    session.setKeepAlive(false);
    // A lingering close: what the client is still sending is read and dropped for a
    // moment, so that closing does not reset the connection before it reads the answer.
    Poco::Net::StreamSocket& socket = session.socket();
    socket.shutdownSend();
    socket.setReceiveTimeout(Poco::Timespan(0, 200'000));
    char sink[8192];
    std::size_t drained = 0;
    try {
        for (int n; drained < 1024 * 1024 && (n = socket.receiveBytes(sink, sizeof sink)) > 0;)
            drained += static_cast<std::size_t>(n);
    } catch (const Poco::Exception&) {
    }
}

}  // namespace

void ConnectionRegistry::add(ApiConnection* connection) {
    std::lock_guard lock(mutex_);
    open_.insert(connection);
    if (stopped_)
        connection->stop();
}

void ConnectionRegistry::remove(ApiConnection* connection) {
    std::lock_guard lock(mutex_);
    open_.erase(connection);
}

void ConnectionRegistry::stop_all() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (ApiConnection* connection : open_)
        connection->stop();
}

ApiConnection::ApiConnection(const Poco::Net::StreamSocket& socket,
                             Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                             std::shared_ptr<ConnectionRegistry> registry)
    : TCPServerConnection(socket),
      registry_(std::move(registry)),
      params_(std::move(params)),
      handlers_(std::move(handlers)) {
    registry_->add(this);
}

ApiConnection::~ApiConnection() {
    registry_->remove(this);
}

void ApiConnection::stop() {
    stopped_ = true;
    try {
        socket().shutdown();  // a kept-alive connection ends now
    } catch (...) {
    }
}

void ApiConnection::run() {
    // An answer goes out as its header, then its body: with Nagle's algorithm the body
    // waited for the client's delayed ACK of the header, 40 ms on Linux, on every answer
    // of a kept-alive connection (bench/task_scale: 44 ms for a 1 ms page).
    try {
        socket().setNoDelay(true);
    } catch (const Poco::Exception&) {
        // not a TCP socket (or already gone): nothing to tune
    }
    Poco::Net::HTTPServerSession session(socket(), params_);
    while (!stopped_ && session.hasMoreRequests()) {
        try {
            if (stopped_)
                break;
            Poco::Net::HTTPServerResponseImpl response(session);
            Poco::Net::HTTPServerRequestImpl request(response, session, params_);
            response.setDate(Poco::Timestamp());
            response.setVersion(request.getVersion());
            response.setKeepAlive(params_->getKeepAlive() && request.getKeepAlive() &&
                                  session.canKeepAlive());
            std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
                handlers_->createRequestHandler(request));
            if (request.getExpectContinue() &&
                response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK)
                response.sendContinue();
            handler->handleRequest(request, response);
            session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() &&
                                 session.canKeepAlive());
        } catch (const Poco::Net::NoMessageException&) {
            break;  // the client closed, or said nothing before the timeout
        } catch (const Poco::Net::MessageException& error) {
            try {
                send_json_error(session, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST,
                                "the request cannot be read: " + error.message());
            } catch (const Poco::Exception&) {
            }
            break;
        } catch (const Poco::Exception&) {
            break;  // the connection failed (timeout, reset): nothing to answer on it
        }
    }
}

}  // namespace http_api
