// Full validation of a package: everything the reader checks, plus the XSD of its kind,
// plus the task profile attachment (nhiemvu.xml) when the package carries one.
#pragma once

#include <string>
#include <string_view>

#include "edxml/reader.hpp"

namespace edxml {

ReadResult validate_package(std::string_view bytes, ReadOptions options = {});
ReadResult validate_package_file(const std::string& path, ReadOptions options = {});

}  // namespace edxml
