// The edXML reader: hardened against hostile input, tolerant of the variants real
// producers emit (protocol.md §1.10), and never silent about what it repaired.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "edxml/diagnostics.hpp"
#include "edxml/model.hpp"

namespace edxml {

struct ReadLimits {
    std::size_t max_input_bytes = 64u * 1024u * 1024u;
    // Element nesting; edXML needs 8 levels, the task profile 4.
    int max_depth = 64;
    // Elements in the whole document: bounds the DOM (a real package has a few hundred).
    std::size_t max_elements = 200'000;
    // Attributes and namespace declarations on one element (libxml2 checks duplicates
    // pairwise, so a tag with millions of them would be quadratic).
    int max_attributes = 256;
    // Namespace declarations in the whole document: libxml2 2.9.14 looks each prefix up
    // through every declaration in scope, so thousands nested make every element cost
    // thousands of comparisons (a real package declares fewer than ten).
    std::size_t max_namespace_declarations = 1024;
    // Bytes of one element or attribute name (edXML's longest is under 40).
    std::size_t max_name_bytes = 1024;
    // Decoded size of one attachment.
    std::size_t max_attachment_bytes = 48u * 1024u * 1024u;
};

struct ReadOptions {
    ReadLimits limits;
    // Validate against the embedded XSD as well (`connector edxml validate`). The reader
    // always checks required elements, values, base64 and the manifest.
    bool check_schema = false;
};

struct ReadResult {
    // Absent when the input could not be parsed at all; present (possibly incomplete)
    // when it parsed but failed checks, so that a caller can still show what arrived.
    std::optional<Package> package;
    Diagnostics warnings;  // repaired or tolerated: the package is usable
    Diagnostics errors;    // refused: the first is the reason

    bool ok() const { return package.has_value() && errors.empty(); }
};

ReadResult read_package(std::string_view bytes, const ReadOptions& options = {});

// Reads a file without loading more than the size limit allows; a missing or unreadable
// file gives an `io` error, an oversized one `too_large`.
ReadResult read_package_file(const std::string& path, const ReadOptions& options = {});

}  // namespace edxml
