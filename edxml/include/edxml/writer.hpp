// The edXML writer: the canonical form of protocol.md §1.2 (element order of the VNPT
// library, `edXML:` prefix, yyyy/MM/dd dates, UTF-8). Signatures are not written here:
// signing is a separate step over the written bytes.
#pragma once

#include <string>

#include "edxml/model.hpp"

namespace edxml {

// Throws Error(invalid_value) when a field holds a character XML cannot carry.
std::string write_package(const Package& package);
std::string write_document(const DocumentPackage& package);
std::string write_status(const StatusPackage& package);

}  // namespace edxml
