#include "connector/plan_import.hpp"

#include <regex>
#include <set>

#include "connector/error.hpp"
#include "edxml/agency_code.hpp"
#include "utf8.hpp"

namespace connector {
namespace {

// Lower case for the letters Vietnamese uses: ASCII, Latin-1 (À…Ý), Ă Đ Ĩ Ũ Ơ Ư, and the
// Latin Extended Additional block (Ạ…Ỹ), where upper and lower case alternate.
char32_t lower_vietnamese(char32_t c) {
    if (c >= U'A' && c <= U'Z')
        return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0x102 || c == 0x110 || c == 0x128 || c == 0x168 || c == 0x1A0)
        return c + 1;
    if (c == 0x1AF)
        return 0x1B0;
    if (c >= 0x1EA0 && c <= 0x1EF9 && c % 2 == 0)
        return c + 1;
    return c;
}

int last_day_of_month(int year, int month) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

std::optional<int> roman_or_arabic_quarter(const std::string& text) {
    static const std::map<std::string, int> kQuarters = {{"i", 1}, {"ii", 2}, {"iii", 3}, {"iv", 4},
                                                         {"1", 1}, {"2", 2},  {"3", 3},   {"4", 4}};
    const auto found = kQuarters.find(text);
    return found == kQuarters.end() ? std::nullopt : std::optional<int>(found->second);
}

bool is_roman_numeral(std::string_view text) {
    return !text.empty() && text.find_first_not_of("IVXLC") == std::string_view::npos;
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::string current;
    for (const char c : text) {
        if (c == separator) {
            parts.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    parts.push_back(current);
    return parts;
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

}  // namespace

std::string fold_vietnamese(std::string_view text) {
    std::string out;
    bool pending_space = false;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t at = i;
        // An invalid byte passes through as itself.
        const char32_t c = utf8::next(text, i).value_or(static_cast<unsigned char>(text[at]));
        if (c == U' ' || c == U'\t' || c == U'\r' || c == U'\n' || c == 0xA0) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space)
            out += ' ';
        pending_space = false;
        utf8::append(out, lower_vietnamese(c));
    }
    return out;
}

const char* to_string(DeadlineKind kind) {
    switch (kind) {
        case DeadlineKind::fixed:
            return "fixed";
        case DeadlineKind::recurring:
            return "recurring";
        case DeadlineKind::roadmap:
            return "roadmap";
    }
    return "fixed";
}

std::optional<Deadline> parse_vietnamese_deadline(std::string_view text) {
    const std::string folded = fold_vietnamese(text);
    std::smatch match;
    const auto fixed = [](int year, int month, int day) -> std::optional<Deadline> {
        if (!edxml::is_valid_calendar_date(year, month, day))
            return std::nullopt;
        return Deadline{DeadlineKind::fixed, edxml::Date{year, month, day}};
    };
    if (folded == "thường xuyên" || folded == "hằng năm" || folded == "hàng năm" ||
        folded == "định kỳ")
        return Deadline{DeadlineKind::recurring, std::nullopt};
    if (folded.rfind("theo lộ trình", 0) == 0)
        return Deadline{DeadlineKind::roadmap, std::nullopt};

    static const std::regex kQuarter(R"(^quý (i|ii|iii|iv|1|2|3|4)(?: năm |/)(\d{4})$)");
    if (std::regex_match(folded, match, kQuarter)) {
        const int year = std::stoi(match[2]);
        const int month = *roman_or_arabic_quarter(match[1]) * 3;
        return fixed(year, month, last_day_of_month(year, month));
    }
    static const std::regex kMonth(R"(^tháng (\d{1,2})(?: năm |/)(\d{4})$)");
    if (std::regex_match(folded, match, kMonth)) {
        const int year = std::stoi(match[2]);
        const int month = std::stoi(match[1]);
        if (month < 1 || month > 12)
            return std::nullopt;
        return fixed(year, month, last_day_of_month(year, month));
    }
    static const std::regex kHalf(R"(^6 tháng (đầu|cuối) năm (\d{4})$)");
    if (std::regex_match(folded, match, kHalf))
        return fixed(std::stoi(match[2]), match[1] == "đầu" ? 6 : 12, match[1] == "đầu" ? 30 : 31);
    static const std::regex kYear(R"(^(?:trong )?năm (\d{4})$)");
    if (std::regex_match(folded, match, kYear))
        return fixed(std::stoi(match[1]), 12, 31);
    static const std::regex kDay(R"(^(?:(?:trước )?ngày )?(\d{1,2})/(\d{1,2})/(\d{4})$)");
    if (std::regex_match(folded, match, kDay))
        return fixed(std::stoi(match[3]), std::stoi(match[2]), std::stoi(match[1]));
    return std::nullopt;
}

UnitDirectory UnitDirectory::parse(std::string_view table, const std::string& source) {
    UnitDirectory directory;
    int line_number = 0;
    for (const std::string& raw : split(table, '\n')) {
        ++line_number;
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#')
            continue;
        const auto columns = split(line, '\t');
        const std::string where = source + ":" + std::to_string(line_number);
        if (columns.size() != 2 || trim(columns[0]).empty() || trim(columns[1]).empty())
            throw ConfigError(where + ": expected 'unit name<TAB>agency code'");
        const std::string code = trim(columns[1]);
        if (const auto check = edxml::check_agency_code(code); !check.ok())
            throw ConfigError(where + ": '" + code + "' is not an agency code: " + check.problem);
        const auto existing = directory.code_for(columns[0]);
        if (existing && *existing != code)
            throw ConfigError(where + ": '" + trim(columns[0]) + "' is already mapped to " +
                              *existing);
        directory.add(columns[0], code);
    }
    return directory;
}

void UnitDirectory::add(const std::string& name, const std::string& code) {
    const std::string folded = fold_vietnamese(name);
    codes_[folded] = code;
    names_.emplace(folded, trim(name));
}

std::vector<std::pair<std::string, std::string>> UnitDirectory::entries() const {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [folded, code] : codes_)
        entries.emplace_back(names_.at(folded), code);
    return entries;
}

std::optional<std::string> UnitDirectory::code_for(std::string_view name) const {
    const auto found = codes_.find(fold_vietnamese(name));
    return found == codes_.end() ? std::nullopt : std::optional<std::string>(found->second);
}

PlanImport import_plan(std::string_view table, const UnitDirectory& units,
                       const std::string& source_document_id, const std::string& issuer) {
    PlanImport result;
    std::string section;
    std::set<std::string> seen_codes;
    int line_number = 0;
    for (const std::string& raw : split(table, '\n')) {
        ++line_number;
        if (trim(raw).empty() || trim(raw)[0] == '#')
            continue;
        std::vector<std::string> columns = split(raw, '\t');
        for (auto& column : columns)
            column = trim(column);
        const std::string where = "line " + std::to_string(line_number) + ": ";
        const std::string& number = columns[0];
        if (fold_vietnamese(number) == "stt")
            continue;  // the header, repeated on every page
        if (columns.size() < 5) {
            result.errors.push_back(where + "expected 6 tab-separated columns, found " +
                                    std::to_string(columns.size()));
            continue;
        }
        if (is_roman_numeral(number)) {
            section = number;
            continue;
        }
        if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) {
            result.errors.push_back(where + "STT '" + number +
                                    "' is neither a section (I, II, …) nor a task number");
            continue;
        }
        if (section.empty()) {
            result.errors.push_back(where + "task " + number + " comes before any section");
            continue;
        }
        edxml::TaskRecord task;
        task.task_code = source_document_id + "#" + section + "." + number;
        if (!seen_codes.insert(task.task_code).second) {
            result.errors.push_back(where + "task " + section + "." + number +
                                    " appears twice in the table");
            continue;
        }
        task.title = columns[1];
        task.issuer = issuer;
        task.due_text = columns[4];
        task.expected_result = columns.size() > 5 ? columns[5] : std::string();
        task.progress = 0;
        if (task.title.empty()) {
            result.errors.push_back(where + "task " + section + "." + number + " has no title");
            continue;
        }
        const auto lead_code = units.code_for(columns[2]);
        if (!lead_code) {
            result.errors.push_back(where + "lead unit '" + columns[2] +
                                    "' is not in the unit table");
            continue;
        }
        const auto deadline = parse_vietnamese_deadline(columns[4]);
        if (!deadline) {
            result.errors.push_back(where + "deadline '" + columns[4] + "' is not a known form");
            continue;
        }
        task.due_date = deadline->due;
        task.assignees.push_back({edxml::AssigneeRole::lead, *lead_code, columns[2]});
        for (const std::string& part : split(columns[3], ';')) {
            const std::string name = trim(part);
            if (name.empty())
                continue;
            const auto code = units.code_for(name);
            if (!code)
                result.warnings.push_back(where + "coordinating unit '" + name +
                                          "' has no agency code; kept by name");
            task.assignees.push_back(
                {edxml::AssigneeRole::coordinating, code.value_or(std::string()), name});
        }
        result.tasks.push_back(std::move(task));
    }
    return result;
}

}  // namespace connector
