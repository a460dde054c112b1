// The AxisTransport port: what the core asks of the national document interchange axis
// (VDXP, protocol.md §5). adapters/vdxp implements it over HTTP; tests run it against the
// axis simulator in samples/axis-sim.
//
// Every operation returns a value: the result, or an AxisError that says whether a retry
// may help (transient: timeout, refused connection, 5xx, malformed response) or not
// (permanent: authentication refused, request refused, not found). Nothing throws for an
// answer the axis can give; exceptions are left for programming errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace connector {

// The `messagetype` of a knobstick: a document package or a status package.
enum class AxisMessageType { edoc, status };
const char* to_string(AxisMessageType type);

// What the receiver tells the axis about a knobstick (`updateStatus`).
enum class AxisReceipt { processing, done, fail };
const char* to_string(AxisReceipt receipt);

enum class AxisFailure {
    timeout,             // connect or read timed out                       (transient)
    connection,          // refused, reset, closed without an answer        (transient)
    server_error,        // HTTP 5xx or 429                                  (transient)
    malformed_response,  // not JSON, not the expected fields, bad base64    (transient)
    tls,                 // certificate or handshake refused                 (permanent)
    authentication,      // HTTP 401/403: systemid or signature refused      (permanent)
    refused,             // the axis answered FAIL, or HTTP 4xx              (permanent)
    response_too_large,  // over the configured response limit               (permanent)
    invalid_request,     // refused here before sending (e.g. a control
                         // character in a header value)                     (permanent)
};
const char* to_string(AxisFailure failure);
bool is_transient(AxisFailure failure);

struct AxisError {
    AxisFailure failure = AxisFailure::connection;
    std::string operation;    // e.g. "sendEdoc"
    int http_status = 0;      // 0 when no HTTP answer arrived
    std::string error_code;   // the axis's ErrorCode, when it sent one
    std::string description;  // the axis's ErrorDesc, or what went wrong here

    bool transient() const { return is_transient(failure); }
    // One line for logs and the UI: operation, class, HTTP status, code and text.
    std::string message() const;
};

// The outcome of one call: a value of T, or an AxisError.
template <typename T>
class AxisResult {
  public:
    AxisResult(T value) : outcome_(std::move(value)) {}          // NOLINT: implicit by design
    AxisResult(AxisError error) : outcome_(std::move(error)) {}  // NOLINT

    bool ok() const { return outcome_.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const& { return std::get<0>(outcome_); }
    T& value() & { return std::get<0>(outcome_); }
    T&& value() && { return std::get<0>(std::move(outcome_)); }
    const AxisError& error() const { return std::get<1>(outcome_); }

  private:
    std::variant<T, AxisError> outcome_;
};

// For operations whose success carries nothing.
struct AxisDone {};

// One entry of getReceivedEdocList. Fields are kept as the axis sent them (numbers are
// rendered as text); content_sha256/content_length only when the axis sends them.
struct AxisKnobstick {
    std::string doc_id;
    std::string service_type;
    std::string message_type;
    std::string from;
    std::string to;
    std::string status;
    std::string status_desc;
    std::string created_time;
    std::string updated_time;
    std::string content_sha256;
    std::optional<std::int64_t> content_length;
};

// One row of getSentEdocList: the delivery of a sent package to one recipient.
struct AxisDelivery {
    std::string service_type;
    std::string message_type;
    std::string sender_doc_id;
    std::string receiver_doc_id;
    std::string from_code;
    std::string to_code;
    std::string title;
    std::string notation;
    std::string sent_time;
    std::string received_time;
    std::string send_status;
    std::string send_status_desc;
    std::string receive_status;
    std::string receive_status_desc;
};

// One entry of the axis directory (getAgenciesList; getAgenciesListQD20 fills code102
// with the QCVN 102 code and leaves pid/old_code empty).
struct AxisAgency {
    std::string id;
    std::string pid;
    std::string code;
    std::string name;
    std::string mail;
    std::string old_code;
    std::string code102;
};

// registerAgency's body.
struct AgencyRegistration {
    std::string id;
    std::string parent_code;  // `pcode`
    std::string code;
    std::string name;
    std::string mail;
    std::string mobile;
    std::string fax;
};

// A package to hand to the axis.
struct OutgoingKnobstick {
    std::string from;  // the sending agency's code
    AxisMessageType message_type = AxisMessageType::edoc;
    std::string bytes;  // the edXML file, exactly as signed
    // Optional `to` header (raw JSON text, e.g. ["000.00.00.G22"]); the axis reads the
    // recipients from the edXML itself.
    std::string to_json;
};

// Optional window of getReceivedEdocList, in the axis's form dd/MM/yyyy HH:mm:ss.
struct ReceivedWindow {
    std::string from_date;
    std::string to_date;
};

class AxisTransport {
  public:
    virtual ~AxisTransport() = default;

    // sendEdoc: returns the knobstick id (DocId) the axis gave the package.
    virtual AxisResult<std::string> send_edoc(const OutgoingKnobstick& knobstick) = 0;
    // getReceivedEdocList: what waits for this system's agencies.
    virtual AxisResult<std::vector<AxisKnobstick>> received_list(AxisMessageType type,
                                                                 const ReceivedWindow& window) = 0;
    // getEdoc: the package bytes (decoded from the base64 `data`).
    virtual AxisResult<std::string> get_edoc(const std::string& doc_id) = 0;
    // downloadEdoc: the package bytes, as a plain GET.
    virtual AxisResult<std::string> download_edoc(const std::string& doc_id) = 0;
    // updateStatus: the receiver's acknowledgement of a knobstick.
    virtual AxisResult<AxisDone> update_status(const std::string& doc_id, AxisReceipt receipt) = 0;
    // getSentEdocList: the per-recipient trace of a package this system sent.
    virtual AxisResult<std::vector<AxisDelivery>> sent_list(AxisMessageType type,
                                                            const std::string& sent_doc_id) = 0;
    // countReceiveEdoc.
    virtual AxisResult<std::int64_t> count_received(AxisMessageType type) = 0;
    // getAgenciesList and getAgenciesListQD20.
    virtual AxisResult<std::vector<AxisAgency>> agencies() = 0;
    virtual AxisResult<std::vector<AxisAgency>> agencies_qd20() = 0;
    virtual AxisResult<AxisDone> register_agency(const AgencyRegistration& agency) = 0;
    virtual AxisResult<AxisDone> delete_agency(const std::string& agency_code) = 0;
};

}  // namespace connector
