#include "vdxp/http_axis_client.hpp"

#include <Poco/DateTime.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <sstream>

#include "connector/error.hpp"
#include "connector/secret.hpp"
#include "edxml/attachments.hpp"
#include "edxml/diagnostics.hpp"
#include "tls/client_context.hpp"
#include "vdxp/xroad_headers.hpp"

namespace vdxp {

using connector::AxisError;
using connector::AxisFailure;
using connector::AxisResult;

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kOctetStream = "application/octet-stream";

// What one exchange produced: an HTTP answer, or the AxisError that prevented one.
struct HttpAnswer {
    int status = 0;
    std::string content_type;
    std::string body;
    std::optional<Poco::Timestamp> date;  // the server's Date header
};

struct Call {
    std::string operation;
    std::string method = Poco::Net::HTTPRequest::HTTP_POST;
    std::string content_type = kJson;
    Headers parameters;
    std::string body;
};

AxisError make_error(const std::string& operation, AxisFailure failure, std::string description,
                     int http_status = 0, std::string error_code = {}) {
    AxisError error;
    error.failure = failure;
    error.operation = operation;
    error.http_status = http_status;
    error.error_code = std::move(error_code);
    error.description = std::move(description);
    return error;
}

// A body quoted in an error: short, one line, printable.
std::string excerpt(std::string_view body) {
    std::string text;
    for (const char c : body.substr(0, 200))
        text += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
    if (body.size() > 200)
        text += "…";
    return text;
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Header values travel verbatim: a CR or LF would let a value inject headers, and servers
// trim surrounding spaces (so the signed value would no longer match). Such a value, from
// the axis (a docId) or from a caller, is refused before sending.
std::optional<std::string> unsafe_parameter(const Headers& parameters) {
    for (const auto& [key, value] : parameters) {
        for (const char c : value) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f)
                return "the value of '" + key + "' contains a control character";
        }
        if (!value.empty() && (value.front() == ' ' || value.back() == ' '))
            return "the value of '" + key + "' starts or ends with a space";
    }
    return std::nullopt;
}

// Servers limit a header line (Poco 8 KiB, Tomcat 8 KiB for all of them); the signed JSON
// repeats every value, so it is the longest line.
constexpr std::size_t kMaxSignedHeaderBytes = 7 * 1024;

// A JSON answer nests a few levels; Poco's parser recurses once per level.
constexpr std::size_t kMaxJsonDepth = 32;

// Scalars as the axis sent them, as text: ids and counts come as strings or numbers.
std::string text_of(const Poco::JSON::Object& object, const std::string& name) {
    if (!object.has(name))
        return {};
    const Poco::Dynamic::Var value = object.get(name);
    if (value.isEmpty())
        return {};
    if (value.isArray() || value.isStruct())
        return {};
    return value.convert<std::string>();
}

// Field lookup that tolerates the casing variants the SDKs show (DocId/docId).
std::string text_of_any_case(const Poco::JSON::Object& object, const std::string& name) {
    const std::string wanted = lower(name);
    for (const std::string& key : object.getNames()) {
        if (lower(key) == wanted)
            return text_of(object, key);
    }
    return {};
}

std::string sha256_bytes(std::string_view bytes) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

std::string sdk_hash_file(std::string_view bytes) {
    static const char kHex[] = "0123456789abcdef";
    std::string text;
    for (const char c : sha256_bytes(bytes)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x10)
            text += kHex[byte >> 4];
        text += kHex[byte & 15];
    }
    return text;
}

// The kept-alive HTTP(S) session and the parsed base URL.
struct detail::AxisConnection {
    std::mutex mutex;
    std::string base_path;
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    std::optional<std::chrono::seconds> clock_offset;  // under `mutex`
};

HttpAxisClient::HttpAxisClient(ClientSettings settings)
    : settings_(std::move(settings)), connection_(std::make_unique<detail::AxisConnection>()) {
    if (settings_.systemid.empty())
        throw connector::ConfigError("axis.systemid: is empty");
    if (const auto problem = unsafe_parameter({{"systemid", settings_.systemid}}))
        throw connector::ConfigError("axis.systemid: " + *problem);
    if (settings_.secret.empty())
        throw connector::ConfigError("axis.secret: is empty");
    Poco::URI uri;
    try {
        uri = Poco::URI(settings_.base_url);
    } catch (const Poco::Exception& error) {
        throw connector::ConfigError("axis.base_url: '" +
                                     connector::redact_url(settings_.base_url) +
                                     "' is not a URL: " + error.displayText());
    }
    const std::string scheme = lower(uri.getScheme());
    if ((scheme != "http" && scheme != "https") || uri.getHost().empty())
        throw connector::ConfigError("axis.base_url: '" +
                                     connector::redact_url(settings_.base_url) +
                                     "' must be an http:// or https:// URL with a host");
    if (!uri.getQuery().empty() || !uri.getFragment().empty())
        throw connector::ConfigError("axis.base_url: '" +
                                     connector::redact_url(settings_.base_url) +
                                     "' must not carry a query or fragment");
    std::string path = uri.getPathEtc();  // still percent-encoded; no query (refused above)
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    connection_->base_path = path;

    if (scheme == "https") {
        if (!settings_.ca_file.empty() && !std::ifstream(settings_.ca_file))
            throw connector::ConfigError("axis.ca_file: cannot read " + settings_.ca_file);
        const Poco::Net::Context::Ptr context =
            tls::verified_client_context(uri.getHost(), settings_.ca_file, "axis.ca_file");
        connection_->session =
            std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
    } else {
        connection_->session =
            std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    const auto milliseconds = [](std::chrono::milliseconds value) {
        return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(value.count()) * 1000);
    };
    connection_->session->setTimeout(milliseconds(settings_.connect_timeout),
                                     milliseconds(settings_.read_timeout),
                                     milliseconds(settings_.read_timeout));
    connection_->session->setKeepAlive(true);
    // Reconnect rather than reuse a connection idle this long: servers close idle ones
    // (Apache after 5 s), and a request written into a closed connection fails
    // ambiguously. Poco 1.11 does not read the server's Keep-Alive header.
    connection_->session->setKeepAliveTimeout(Poco::Timespan(4, 0));
}

HttpAxisClient::~HttpAxisClient() = default;

namespace {

// One request and its answer on the kept-alive session. Network failures become an
// AxisError; the session is reset after any of them so the next call reconnects.
AxisResult<HttpAnswer> exchange(Poco::Net::HTTPClientSession& session, const std::string& path,
                                const ClientSettings& settings, const Call& call) {
    if (const auto problem = unsafe_parameter(call.parameters))
        return make_error(call.operation, AxisFailure::invalid_request, *problem);
    const Headers headers = sign_request(settings.systemid, settings.secret, call.content_type,
                                         call.parameters, format_timestamp(settings.clock()));
    for (const auto& [name, value] : headers) {
        if (value.size() > kMaxSignedHeaderBytes)
            return make_error(call.operation, AxisFailure::invalid_request,
                              "header " + name + " would be " + std::to_string(value.size()) +
                                  " bytes, over the " + std::to_string(kMaxSignedHeaderBytes) +
                                  " servers accept");
    }
    Poco::Net::HTTPRequest request(call.method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers)
        request.set(name, value);
    request.setKeepAlive(true);
    if (call.method == Poco::Net::HTTPRequest::HTTP_POST)
        request.setContentLength(static_cast<std::streamsize>(call.body.size()));
    try {
        std::ostream& out = session.sendRequest(request);
        out.write(call.body.data(), static_cast<std::streamsize>(call.body.size()));
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        HttpAnswer answer;
        answer.status = static_cast<int>(response.getStatus());
        answer.content_type = response.getContentType();
        if (response.has("Date")) {
            try {
                answer.date = response.getDate();
            } catch (const Poco::Exception&) {
                // a Date that does not parse says nothing of the server's clock
            }
        }
        if (response.hasContentLength() &&
            response.getContentLength64() >
                static_cast<std::int64_t>(settings.max_response_bytes)) {
            session.reset();
            return make_error(call.operation, AxisFailure::response_too_large,
                              "answer of " + std::to_string(response.getContentLength64()) +
                                  " bytes is over the limit of " +
                                  std::to_string(settings.max_response_bytes),
                              answer.status);
        }
        const auto deadline = std::chrono::steady_clock::now() + settings.call_timeout;
        char buffer[64 * 1024];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            answer.body.append(buffer, static_cast<std::size_t>(in.gcount()));
            if (answer.body.size() > settings.max_response_bytes) {
                session.reset();
                return make_error(call.operation, AxisFailure::response_too_large,
                                  "answer is over the limit of " +
                                      std::to_string(settings.max_response_bytes) + " bytes",
                                  answer.status);
            }
            // read_timeout bounds each read; a server trickling bytes is bounded here.
            if (std::chrono::steady_clock::now() > deadline) {
                session.reset();
                return make_error(call.operation, AxisFailure::timeout,
                                  "the answer took longer than the call timeout of " +
                                      std::to_string(settings.call_timeout.count()) + " ms");
            }
        }
        // The stream swallows what the socket threw (it only sets badbit); the session
        // keeps it. Rethrown here, it is classified like any other network failure.
        if (const Poco::Exception* cause = session.networkException())
            cause->rethrow();
        if (in.bad()) {
            session.reset();
            return make_error(
                call.operation, AxisFailure::connection,
                "reading the answer failed after " + std::to_string(answer.body.size()) + " bytes");
        }
        if (response.hasContentLength() &&
            static_cast<std::int64_t>(answer.body.size()) < response.getContentLength64()) {
            session.reset();
            return make_error(call.operation, AxisFailure::connection,
                              "the connection closed after " + std::to_string(answer.body.size()) +
                                  " of " + std::to_string(response.getContentLength64()) +
                                  " bytes of the answer");
        }
        return answer;
    } catch (const Poco::TimeoutException& error) {
        session.reset();
        return make_error(call.operation, AxisFailure::timeout, error.displayText());
    } catch (const Poco::Net::SSLConnectionUnexpectedlyClosedException& error) {
        // A kept-alive TLS connection the server or a proxy closed: not a trust problem.
        session.reset();
        return make_error(call.operation, AxisFailure::connection, error.displayText());
    } catch (const Poco::Net::SSLException& error) {
        // Certificate refused, wrong host name, no common protocol: fix the configuration.
        session.reset();
        return make_error(call.operation, AxisFailure::tls, error.displayText());
    } catch (const Poco::Exception& error) {
        // Refused, reset, closed without an answer, unreachable host, bad HTTP.
        session.reset();
        return make_error(call.operation, AxisFailure::connection, error.displayText());
    } catch (const std::exception& error) {
        session.reset();
        return make_error(call.operation, AxisFailure::connection, error.what());
    }
}

// The JSON envelope every operation answers with, checked: returns the object when the
// axis said OK, or the classified error.
AxisResult<Poco::JSON::Object::Ptr> checked_envelope(const std::string& operation,
                                                     const HttpAnswer& answer) {
    Poco::JSON::Object::Ptr object;
    try {
        Poco::JSON::Parser parser;
        parser.setDepth(kMaxJsonDepth);
        const Poco::Dynamic::Var parsed = parser.parse(answer.body);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            object = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        object = nullptr;
    }
    const auto code = object ? text_of_any_case(*object, "ErrorCode") : std::string();
    const auto description = object ? text_of_any_case(*object, "ErrorDesc") : std::string();
    const std::string detail =
        description.empty() ? "answer: " + excerpt(answer.body) : description;

    if (answer.status >= 500 || answer.status == 429)
        return make_error(operation, AxisFailure::server_error, detail, answer.status, code);
    if (answer.status == 401 || answer.status == 403)
        return make_error(operation, AxisFailure::authentication, detail, answer.status, code);
    if (answer.status < 200 || answer.status >= 300)
        return make_error(operation, AxisFailure::refused, detail, answer.status, code);
    if (!object)
        return make_error(operation, AxisFailure::malformed_response,
                          "the answer is not a JSON object: " + excerpt(answer.body),
                          answer.status);
    const std::string status = lower(text_of_any_case(*object, "status"));
    if (status == "ok" || (status.empty() && code == "0"))
        return object;
    if (status == "fail" || (!code.empty() && code != "0"))
        return make_error(operation, AxisFailure::refused,
                          description.empty() ? "the axis answered FAIL" : description,
                          answer.status, code);
    return make_error(operation, AxisFailure::malformed_response,
                      "the answer has no status OK or FAIL: " + excerpt(answer.body), answer.status,
                      code);
}

// `data` as an array of objects; absent or null means none (the SDKs tolerate that).
AxisResult<std::vector<Poco::JSON::Object::Ptr>> data_objects(const std::string& operation,
                                                              const Poco::JSON::Object& envelope) {
    std::vector<Poco::JSON::Object::Ptr> items;
    if (!envelope.has("data") || envelope.get("data").isEmpty())
        return items;
    const Poco::JSON::Array::Ptr array = envelope.getArray("data");
    if (!array)
        return make_error(operation, AxisFailure::malformed_response, "`data` is not an array");
    for (std::size_t i = 0; i < array->size(); ++i) {
        const Poco::JSON::Object::Ptr item = array->getObject(static_cast<unsigned>(i));
        if (!item)
            return make_error(operation, AxisFailure::malformed_response,
                              "`data[" + std::to_string(i) + "]` is not an object");
        items.push_back(item);
    }
    return items;
}

template <typename T, typename Convert>
AxisResult<std::vector<T>> list_of(const std::string& operation, const Poco::JSON::Object& envelope,
                                   Convert convert) {
    auto items = data_objects(operation, envelope);
    if (!items)
        return items.error();
    std::vector<T> out;
    out.reserve(items.value().size());
    for (const auto& item : items.value())
        out.push_back(convert(*item));
    return out;
}

// One call on the client's connection, serialised by its mutex.
AxisResult<HttpAnswer> perform(detail::AxisConnection& connection, const ClientSettings& settings,
                               const Call& call) {
    std::lock_guard lock(connection.mutex);
    auto answer =
        exchange(*connection.session, connection.base_path + "/" + call.operation, settings, call);
    if (answer.ok() && answer.value().date)
        connection.clock_offset = std::chrono::seconds(
            (answer.value().date->epochMicroseconds() - Poco::Timestamp().epochMicroseconds()) /
            1'000'000);
    return answer;
}

AxisResult<connector::AxisDone> done_or_error(const AxisResult<Poco::JSON::Object::Ptr>& envelope) {
    if (!envelope)
        return envelope.error();
    return connector::AxisDone{};
}

AxisResult<Poco::JSON::Object::Ptr> envelope_of(AxisResult<HttpAnswer> answer,
                                                const std::string& operation) {
    if (!answer)
        return answer.error();
    return checked_envelope(operation, answer.value());
}

}  // namespace

AxisResult<std::string> HttpAxisClient::send_edoc(const connector::OutgoingKnobstick& knobstick) {
    Call call;
    call.operation = "sendEdoc";
    call.content_type = kOctetStream;
    call.parameters = {{"from", knobstick.from},
                       {"servicetype", settings_.service_type},
                       {"messagetype", connector::to_string(knobstick.message_type)}};
    if (!knobstick.to_json.empty())
        call.parameters.emplace_back("to", knobstick.to_json);
    call.parameters.emplace_back("hash-file", sdk_hash_file(knobstick.bytes));
    // The SDK's body: the file followed by CRLF (its "multipart" writer adds no boundary).
    call.body = knobstick.bytes + "\r\n";
    auto envelope = envelope_of(perform(*connection_, settings_, call), call.operation);
    if (!envelope)
        return envelope.error();
    std::string doc_id = text_of_any_case(*envelope.value(), "DocId");
    if (doc_id.empty())
        return make_error(call.operation, AxisFailure::malformed_response,
                          "the answer is OK but carries no DocId");
    return doc_id;
}

AxisResult<std::vector<connector::AxisKnobstick>> HttpAxisClient::received_list(
    connector::AxisMessageType type, const connector::ReceivedWindow& window) {
    Call call;
    call.operation = "getReceivedEdocList";
    call.parameters = {{"servicetype", settings_.service_type},
                       {"messagetype", connector::to_string(type)}};
    if (!window.from_date.empty())
        call.parameters.emplace_back("fromDate", window.from_date);
    if (!window.to_date.empty())
        call.parameters.emplace_back("toDate", window.to_date);
    auto envelope = envelope_of(perform(*connection_, settings_, call), call.operation);
    if (!envelope)
        return envelope.error();
    return list_of<connector::AxisKnobstick>(
        call.operation, *envelope.value(), [](const Poco::JSON::Object& item) {
            connector::AxisKnobstick knobstick;
            knobstick.doc_id = text_of_any_case(item, "docId");
            knobstick.service_type = text_of(item, "serviceType");
            knobstick.message_type = text_of(item, "messageType");
            knobstick.from = text_of(item, "from");
            knobstick.to = text_of(item, "to");
            knobstick.status = text_of(item, "status");
            knobstick.status_desc = text_of(item, "status_desc");
            knobstick.created_time = text_of(item, "created_time");
            knobstick.updated_time = text_of(item, "updated_time");
            knobstick.content_sha256 = text_of(item, "contentSha256");
            const std::string length = text_of(item, "contentLength");
            if (!length.empty() && std::all_of(length.begin(), length.end(), ::isdigit) &&
                length.size() < 19)
                knobstick.content_length = std::stoll(length);
            return knobstick;
        });
}

AxisResult<std::string> HttpAxisClient::get_edoc(const std::string& doc_id) {
    Call call;
    call.operation = "getEdoc";
    call.parameters = {{"docId", doc_id}};
    call.body = "{}";
    auto envelope = envelope_of(perform(*connection_, settings_, call), call.operation);
    if (!envelope)
        return envelope.error();
    const std::string data = text_of(*envelope.value(), "data");
    if (data.empty())
        return make_error(call.operation, AxisFailure::malformed_response,
                          "the answer is OK but `data` is empty");
    try {
        return edxml::decode_base64(data);
    } catch (const edxml::Error& error) {
        return make_error(call.operation, AxisFailure::malformed_response,
                          std::string("`data` is not base64: ") + error.what());
    }
}

AxisResult<std::string> HttpAxisClient::download_edoc(const std::string& doc_id) {
    Call call;
    call.operation = "downloadEdoc";
    call.method = Poco::Net::HTTPRequest::HTTP_GET;
    call.parameters = {{"docId", doc_id}};
    AxisResult<HttpAnswer> answer = perform(*connection_, settings_, call);
    if (!answer)
        return answer.error();
    const HttpAnswer& http = answer.value();
    // The bytes come bare; a failure comes as the JSON envelope.
    const bool json = lower(http.content_type).find("json") != std::string::npos ||
                      (!http.body.empty() && http.body.front() == '{');
    if (json || http.status < 200 || http.status >= 300) {
        auto envelope = checked_envelope(call.operation, http);
        if (!envelope)
            return envelope.error();
        return make_error(call.operation, AxisFailure::malformed_response,
                          "expected the package bytes, got a JSON answer");
    }
    if (http.body.empty())
        return make_error(call.operation, AxisFailure::malformed_response, "the answer is empty");
    return http.body;
}

AxisResult<connector::AxisDone> HttpAxisClient::update_status(const std::string& doc_id,
                                                              connector::AxisReceipt receipt) {
    Call call;
    call.operation = "updateStatus";
    call.parameters = {{"docId", doc_id}, {"status", connector::to_string(receipt)}};
    call.body = "{}";
    return done_or_error(envelope_of(perform(*connection_, settings_, call), call.operation));
}

AxisResult<std::vector<connector::AxisDelivery>> HttpAxisClient::sent_list(
    connector::AxisMessageType type, const std::string& sent_doc_id) {
    Call call;
    call.operation = "getSentEdocList";
    call.parameters = {{"servicetype", settings_.service_type},
                       {"messagetype", connector::to_string(type)},
                       {"docId", sent_doc_id}};
    auto envelope = envelope_of(perform(*connection_, settings_, call), call.operation);
    if (!envelope)
        return envelope.error();
    return list_of<connector::AxisDelivery>(
        call.operation, *envelope.value(), [](const Poco::JSON::Object& item) {
            connector::AxisDelivery delivery;
            delivery.service_type = text_of(item, "serviceType");
            delivery.message_type = text_of(item, "messageType");
            delivery.sender_doc_id = text_of(item, "senderDocId");
            delivery.receiver_doc_id = text_of(item, "receiverDocId");
            delivery.from_code = text_of(item, "fromCode");
            delivery.to_code = text_of(item, "toCode");
            delivery.title = text_of(item, "title");
            delivery.notation = text_of(item, "notation");
            delivery.sent_time = text_of(item, "sentTime");
            delivery.received_time = text_of(item, "receivedTime");
            delivery.send_status = text_of(item, "sendStatus");
            delivery.send_status_desc = text_of(item, "sendStatusDesc");
            delivery.receive_status = text_of(item, "receiveStatus");
            delivery.receive_status_desc = text_of(item, "receiveStatusDesc");
            return delivery;
        });
}

AxisResult<std::int64_t> HttpAxisClient::count_received(connector::AxisMessageType type) {
    Call call;
    call.operation =
        type == connector::AxisMessageType::status ? "countReceiveStatus" : "countReceiveEdoc";
    call.parameters = {{"servicetype", settings_.service_type},
                       {"messagetype", connector::to_string(type)}};
    call.body = "{}";
    auto envelope = envelope_of(perform(*connection_, settings_, call), call.operation);
    if (!envelope)
        return envelope.error();
    const std::string count = text_of(*envelope.value(), "count");
    if (count.empty() || count.size() > 18 || !std::all_of(count.begin(), count.end(), ::isdigit))
        return make_error(call.operation, AxisFailure::malformed_response,
                          "`count` is not a non-negative integer: '" + excerpt(count) + "'");
    return static_cast<std::int64_t>(std::stoll(count));
}

std::optional<std::chrono::seconds> HttpAxisClient::clock_offset() const {
    std::lock_guard lock(connection_->mutex);
    return connection_->clock_offset;
}

AxisResult<std::vector<connector::AxisAgency>> HttpAxisClient::agencies() {
    return directory("getAgenciesList");
}

AxisResult<std::vector<connector::AxisAgency>> HttpAxisClient::agencies_qd20() {
    return directory("getAgenciesListQD20");
}

// Both directory forms in one reader: fields a form lacks stay empty.
AxisResult<std::vector<connector::AxisAgency>> HttpAxisClient::directory(
    const std::string& operation) {
    Call call;
    call.operation = operation;
    auto envelope = envelope_of(perform(*connection_, settings_, call), call.operation);
    if (!envelope)
        return envelope.error();
    return list_of<connector::AxisAgency>(call.operation, *envelope.value(),
                                          [](const Poco::JSON::Object& item) {
                                              connector::AxisAgency agency;
                                              agency.id = text_of(item, "id");
                                              agency.pid = text_of(item, "pid");
                                              agency.code = text_of(item, "code");
                                              agency.name = text_of(item, "name");
                                              agency.mail = text_of(item, "mail");
                                              agency.old_code = text_of(item, "oldCode");
                                              agency.code102 = text_of(item, "code102");
                                              return agency;
                                          });
}

AxisResult<connector::AxisDone> HttpAxisClient::register_agency(
    const connector::AgencyRegistration& agency) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("id", agency.id);
    body.set("pcode", agency.parent_code);
    body.set("code", agency.code);
    body.set("name", agency.name);
    body.set("mail", agency.mail);
    body.set("mobile", agency.mobile);
    body.set("fax", agency.fax);
    std::ostringstream text;
    body.stringify(text);
    Call call;
    call.operation = "registerAgency";
    call.body = text.str();
    return done_or_error(envelope_of(perform(*connection_, settings_, call), call.operation));
}

AxisResult<connector::AxisDone> HttpAxisClient::delete_agency(const std::string& agency_code) {
    Call call;
    call.operation = "deleteAgency";
    call.parameters = {{"AgencyCode", agency_code}};
    call.body = "{}";
    return done_or_error(envelope_of(perform(*connection_, settings_, call), call.operation));
}

}  // namespace vdxp
