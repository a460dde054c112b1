// Internal: XSD validation of parsed documents against the schemas embedded in the
// library (edxml/schemas/*.xsd, compiled once per process).
#pragma once

#include <libxml/tree.h>

#include "edxml/diagnostics.hpp"

namespace edxml::detail {

enum class SchemaKind { document_package, status_package, task_profile };

// Every violation, each with the element path and line; empty when valid.
Diagnostics validate_against_schema(xmlDoc* doc, SchemaKind kind);

}  // namespace edxml::detail
