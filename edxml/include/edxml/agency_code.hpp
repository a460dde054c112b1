// Agency identifiers (mã định danh), protocol.md §4: syntax classes and the hierarchy
// sanity rules of §4.3. Codes found in packages are never rewritten.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edxml {

enum class AgencyCodeForm {
    qcvn102,        // NNN.NN.NN.XNN, e.g. 000.00.00.H20
    system_centre,  // NN.NN.WNN or NNN.NN.NN.WNN, e.g. 00.20.W00
    qd20,           // XNN[.NN]{0,3}, e.g. G12.01 (tentative)
    unrecognised,
};

struct AgencyCodeCheck {
    AgencyCodeForm form = AgencyCodeForm::unrecognised;
    int level = 0;        // 1..4 for the QCVN 102 form, 0 otherwise
    std::string problem;  // empty when the code is acceptable

    bool ok() const { return problem.empty(); }
};

AgencyCodeCheck check_agency_code(std::string_view code);

// The parent in the QCVN 102 hierarchy: the leftmost non-zero group zeroed.
// 000.00.14.H20 → 000.00.00.H20. Nothing for level-1 codes and other forms.
std::optional<std::string> parent_agency_code(std::string_view code);

const char* to_string(AgencyCodeForm form);

}  // namespace edxml
