// Internal: the StaffInfo fields, shared by the package format (StaffInfo) and the task
// profile (Staff), which carry the same six children in the same order.
#pragma once

#include <string>
#include <string_view>

#include "edxml/model.hpp"
#include "xml_writer.hpp"

namespace edxml::detail {

// Stores `value` in the field named `element`; false when it is not a StaffInfo child.
bool read_staff_field(StaffInfo& staff, std::string_view element, std::string value);

// Writes the non-empty fields as children of the currently open element.
void write_staff_fields(XmlWriter& xml, const StaffInfo& staff);

}  // namespace edxml::detail
