#include "edxml/diagnostics.hpp"

namespace edxml {

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::none:
            return "none";
        case ErrorCode::io:
            return "io";
        case ErrorCode::too_large:
            return "too_large";
        case ErrorCode::too_deep:
            return "too_deep";
        case ErrorCode::dtd_forbidden:
            return "dtd_forbidden";
        case ErrorCode::not_well_formed:
            return "not_well_formed";
        case ErrorCode::invalid_encoding:
            return "invalid_encoding";
        case ErrorCode::wrong_root:
            return "wrong_root";
        case ErrorCode::legacy_format:
            return "legacy_format";
        case ErrorCode::missing_element:
            return "missing_element";
        case ErrorCode::invalid_value:
            return "invalid_value";
        case ErrorCode::invalid_base64:
            return "invalid_base64";
        case ErrorCode::attachment_too_large:
            return "attachment_too_large";
        case ErrorCode::schema_violation:
            return "schema_violation";
        case ErrorCode::duplicate:
            return "duplicate";
        case ErrorCode::inconsistent:
            return "inconsistent";
    }
    return "unknown";
}

std::string Diagnostic::to_string() const {
    std::string text;
    if (!path.empty())
        text += path;
    if (line > 0)
        text +=
            (text.empty() ? "line " : " (line ") + std::to_string(line) + (path.empty() ? "" : ")");
    if (!text.empty())
        text += ": ";
    text += message;
    if (code != ErrorCode::none)
        text += " [" + std::string(edxml::to_string(code)) + "]";
    return text;
}

}  // namespace edxml
