#include "connector_client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <istream>
#include <ostream>
#include <stdexcept>

#include "text.hpp"

namespace idesk_sim {
namespace {

// A page of 1000 events carries 1000 task snapshots; far more than that is not an answer.
constexpr std::size_t kAnswerLimit = 64 * 1024 * 1024;
constexpr int kTimeoutSeconds = 30;

}  // namespace

std::string Answer::describe() const {
    if (status == 0)
        return "no answer: " + body;
    return "HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + shortened(body));
}

ConnectorClient::ConnectorClient(const std::string& base_url, std::string token)
    : token_(std::move(token)) {
    Poco::URI uri;
    try {
        uri = Poco::URI(base_url);
    } catch (const Poco::Exception& error) {
        throw std::invalid_argument("--connector '" + base_url +
                                    "' is not a URL: " + error.displayText());
    }
    if (uri.getScheme() != "http" || uri.getHost().empty())
        throw std::invalid_argument("--connector '" + base_url +
                                    "' must be http://HOST:PORT (https is not supported)");
    if (!uri.getRawQuery().empty() || !uri.getFragment().empty())
        throw std::invalid_argument("--connector '" + base_url +
                                    "' must not have a query or a fragment");
    host_ = uri.getHost();
    port_ = uri.getPort();
    base_path_ = uri.getPath();
    while (!base_path_.empty() && base_path_.back() == '/')
        base_path_.pop_back();
}

Answer ConnectorClient::get(const std::string& path_and_query) const {
    return call(Poco::Net::HTTPRequest::HTTP_GET, path_and_query, nullptr, "");
}

Answer ConnectorClient::post(const std::string& path, const std::string& json_body,
                             const std::string& idempotency_key) const {
    return call(Poco::Net::HTTPRequest::HTTP_POST, path, &json_body, idempotency_key);
}

Answer ConnectorClient::call(const std::string& method, const std::string& path,
                             const std::string* body, const std::string& idempotency_key) const {
    Answer answer;
    try {
        Poco::Net::HTTPClientSession session(host_, port_);
        session.setTimeout(Poco::Timespan(kTimeoutSeconds, 0));
        Poco::Net::HTTPRequest request(method, base_path_ + path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + token_);
        request.set("Accept", "application/json");
        if (!idempotency_key.empty())
            request.set("Idempotency-Key", idempotency_key);
        if (body) {
            request.setContentType("application/json");
            request.setContentLength64(static_cast<Poco::Int64>(body->size()));
        }
        std::ostream& out = session.sendRequest(request);
        if (body)
            out.write(body->data(), static_cast<std::streamsize>(body->size()));
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        char buffer[64 * 1024];
        while (in) {
            in.read(buffer, sizeof buffer);
            const auto count = static_cast<std::size_t>(in.gcount());
            if (count == 0)
                break;
            if (answer.body.size() + count > kAnswerLimit)
                throw std::runtime_error("the answer is over " + std::to_string(kAnswerLimit) +
                                         " bytes");
            answer.body.append(buffer, count);
        }
        answer.status = static_cast<int>(response.getStatus());
    } catch (const Poco::Exception& error) {
        answer = {0, error.displayText()};
    } catch (const std::exception& error) {
        answer = {0, error.what()};
    }
    return answer;
}

}  // namespace idesk_sim
