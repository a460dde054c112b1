#include "edxml/agency_code.hpp"

#include <cctype>
#include <vector>

namespace edxml {
namespace {

std::vector<std::string_view> split_dots(std::string_view code) {
    std::vector<std::string_view> groups;
    std::size_t start = 0;
    while (true) {
        const auto dot = code.find('.', start);
        groups.push_back(code.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return groups;
}

bool all_digits(std::string_view text, std::size_t length) {
    if (text.size() != length)
        return false;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

bool is_zero(std::string_view group) {
    return group.find_first_not_of('0') == std::string_view::npos;
}

// Letter + two digits: H20, G22, W00.
bool is_lettered_group(std::string_view group) {
    return group.size() == 3 && std::isupper(static_cast<unsigned char>(group[0])) &&
           all_digits(group.substr(1), 2);
}

}  // namespace

AgencyCodeCheck check_agency_code(std::string_view code) {
    AgencyCodeCheck check;
    if (code.empty()) {
        check.problem = "agency code is empty";
        return check;
    }
    const auto groups = split_dots(code);
    const std::string_view last = groups.back();

    if (groups.size() == 4 && all_digits(groups[0], 3) && all_digits(groups[1], 2) &&
        all_digits(groups[2], 2) && is_lettered_group(last) && last[0] != 'W') {
        check.form = AgencyCodeForm::qcvn102;
        // Read right to left: a zero group may not sit to the right of a non-zero one.
        if (is_zero(groups[2]) && !(is_zero(groups[1]) && is_zero(groups[0]))) {
            check.problem = "level-3/4 group set while the level-2 group is 00";
        } else if (is_zero(groups[1]) && !is_zero(groups[0])) {
            check.problem = "level-4 group set while the level-3 group is 00";
        }
        check.level = is_zero(groups[2]) ? 1 : is_zero(groups[1]) ? 2 : is_zero(groups[0]) ? 3 : 4;
        return check;
    }
    if (last.size() == 3 && last[0] == 'W' && all_digits(last.substr(1), 2) &&
        (groups.size() == 3 || groups.size() == 4)) {
        bool digits_ok =
            (all_digits(groups[0], 2) || all_digits(groups[0], 3)) && all_digits(groups[1], 2);
        if (groups.size() == 4)
            digits_ok = digits_ok && all_digits(groups[2], 2);
        if (digits_ok) {
            check.form = AgencyCodeForm::system_centre;
            return check;
        }
    }
    if (groups.size() <= 4 && is_lettered_group(groups[0])) {
        bool rest_ok = true;
        for (std::size_t i = 1; i < groups.size(); ++i)
            rest_ok = rest_ok && all_digits(groups[i], 2);
        if (rest_ok) {
            check.form = AgencyCodeForm::qd20;
            return check;
        }
    }
    check.problem = "'" + std::string(code) +
                    "' is not an agency code of the QCVN 102 (NNN.NN.NN.XNN), system centre "
                    "(NN.NN.WNN) or QĐ 20/2020 (XNN.NN…) form";
    return check;
}

std::optional<std::string> parent_agency_code(std::string_view code) {
    const AgencyCodeCheck check = check_agency_code(code);
    if (check.form != AgencyCodeForm::qcvn102 || !check.ok() || check.level <= 1) {
        return std::nullopt;
    }
    std::string parent(code);
    // Groups start at offsets 0, 4 and 7: zero the leftmost non-zero one.
    const std::size_t offsets[] = {0, 4, 7};
    const std::size_t widths[] = {3, 2, 2};
    for (int i = 0; i < 3; ++i) {
        if (!is_zero(std::string_view(parent).substr(offsets[i], widths[i]))) {
            parent.replace(offsets[i], widths[i], std::string(widths[i], '0'));
            break;
        }
    }
    return parent;
}

const char* to_string(AgencyCodeForm form) {
    switch (form) {
        case AgencyCodeForm::qcvn102:
            return "qcvn102";
        case AgencyCodeForm::system_centre:
            return "system_centre";
        case AgencyCodeForm::qd20:
            return "qd20";
        case AgencyCodeForm::unrecognised:
            return "unrecognised";
    }
    return "?";
}

}  // namespace edxml
