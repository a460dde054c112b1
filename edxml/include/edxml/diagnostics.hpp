// What the reader and the validators say about an input: warnings for what was
// repaired or tolerated, errors for what was refused. Each names where it happened.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace edxml {

// Stable identifiers, so that tests, logs and the database can tell errors apart
// without matching on message text.
enum class ErrorCode {
    none,
    io,                    // file could not be read
    too_large,             // input over the size limit
    too_deep,              // element nesting over the depth limit
    dtd_forbidden,         // any DOCTYPE: entities and external subsets are never processed
    not_well_formed,       // XML syntax error, truncated input
    invalid_encoding,      // not valid UTF-8 (or the declared encoding)
    wrong_root,            // root is not edXML / not in a namespace we read
    legacy_format,         // pre-QCVN "2803" package
    missing_element,       // a required element is absent or empty
    invalid_value,         // a value that does not parse (date, number, code)
    invalid_base64,        // attachment payload is not base64
    attachment_too_large,  // decoded attachment over the limit
    schema_violation,      // XSD validation failed
    duplicate,             // a value that must be unique is repeated
    inconsistent,          // parts disagree (manifest vs attachments)
};

const char* to_string(ErrorCode code);

struct Diagnostic {
    ErrorCode code = ErrorCode::none;  // none for warnings that are not errors
    std::string message;               // human sentence, says what was wrong
    std::string path;                  // element path, e.g. /edXML/edXMLEnvelope/...
    int line = 0;                      // 1-based line in the input, 0 if unknown

    // "path (line N): message", the form printed by the CLI.
    std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

// Thrown by the operations that have no result to return on failure (decoding an
// attachment, writing a model that holds characters XML cannot carry, reading a file).
class Error : public std::runtime_error {
  public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const { return code_; }

  private:
    ErrorCode code_;
};

}  // namespace edxml
