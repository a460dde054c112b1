// Lets Boost.Test print our enums in failed assertions.
#pragma once

#include <ostream>

#include "edxml/agency_code.hpp"
#include "edxml/dates.hpp"
#include "edxml/diagnostics.hpp"
#include "edxml/model.hpp"
#include "edxml/signature.hpp"
#include "edxml/task_profile.hpp"

namespace edxml {

inline std::ostream& operator<<(std::ostream& os, BusinessDocType v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, StatusKind v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, ErrorCode v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, TaskProfileKind v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, AssigneeRole v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, TaskState v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, DateFormat v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, AgencyCodeForm v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, Verdict v) {
    return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, const Date& v) {
    return os << format_date(v);
}
inline std::ostream& operator<<(std::ostream& os, const DateTime& v) {
    return os << format_date_time(v);
}

}  // namespace edxml
