#include "connector/axis_transport.hpp"

namespace connector {

const char* to_string(AxisMessageType type) {
    return type == AxisMessageType::status ? "status" : "edoc";
}

const char* to_string(AxisReceipt receipt) {
    switch (receipt) {
        case AxisReceipt::processing:
            return "processing";
        case AxisReceipt::done:
            return "done";
        case AxisReceipt::fail:
            return "fail";
    }
    return "fail";
}

const char* to_string(AxisFailure failure) {
    switch (failure) {
        case AxisFailure::timeout:
            return "timeout";
        case AxisFailure::connection:
            return "connection";
        case AxisFailure::server_error:
            return "server_error";
        case AxisFailure::malformed_response:
            return "malformed_response";
        case AxisFailure::tls:
            return "tls";
        case AxisFailure::authentication:
            return "authentication";
        case AxisFailure::refused:
            return "refused";
        case AxisFailure::response_too_large:
            return "response_too_large";
        case AxisFailure::invalid_request:
            return "invalid_request";
    }
    return "unknown";
}

bool is_transient(AxisFailure failure) {
    switch (failure) {
        case AxisFailure::timeout:
        case AxisFailure::connection:
        case AxisFailure::server_error:
        case AxisFailure::malformed_response:
            return true;
        default:
            return false;
    }
}

std::string AxisError::message() const {
    std::string text =
        operation + ": " + to_string(failure) + (transient() ? " (transient)" : " (permanent)");
    if (http_status != 0)
        text += ", HTTP " + std::to_string(http_status);
    if (!error_code.empty())
        text += ", ErrorCode " + error_code;
    if (!description.empty())
        text += ": " + description;
    return text;
}

}  // namespace connector
