#include "staff_info_xml.hpp"

namespace edxml::detail {

bool read_staff_field(StaffInfo& staff, std::string_view element, std::string value) {
    std::string* field = element == "Department"     ? &staff.department
                         : element == "DepartmentId" ? &staff.department_id
                         : element == "Staff"        ? &staff.staff
                         : element == "StaffId"      ? &staff.staff_id
                         : element == "Email"        ? &staff.email
                         : element == "Mobile"       ? &staff.mobile
                                                     : nullptr;
    if (!field)
        return false;
    *field = std::move(value);
    return true;
}

void write_staff_fields(XmlWriter& xml, const StaffInfo& staff) {
    xml.leaf("Department", staff.department);
    xml.leaf("DepartmentId", staff.department_id);
    xml.leaf("Staff", staff.staff);
    xml.leaf("StaffId", staff.staff_id);
    xml.leaf("Email", staff.email);
    xml.leaf("Mobile", staff.mobile);
}

}  // namespace edxml::detail
