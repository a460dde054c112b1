// Reading a plan's appendix table (the "Phụ lục" of a kế hoạch, like the one in
// ../shared/seed/ke-hoach-1012-dong-thap.txt) into task assignments: tab-separated rows
// STT, Nhiệm vụ, Đơn vị chủ trì, Đơn vị phối hợp, Thời gian hoàn thành, Kết quả, where
// roman-numbered rows open a section and numbered rows are tasks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edxml/dates.hpp"
#include "edxml/task_profile.hpp"

namespace connector {

// Vietnamese text compared the way people read it: lower case (with diacritics kept),
// spaces collapsed and trimmed. "Văn phòng UBND  Tỉnh" and "văn phòng ubnd tỉnh" match.
std::string fold_vietnamese(std::string_view text);

enum class DeadlineKind {
    fixed,      // a date: "Quý II năm 2025", "Tháng 12/2025", "30/6/2025"
    recurring,  // "Thường xuyên", "Hằng năm": no fixed deadline
    roadmap,    // "Theo lộ trình …": no fixed deadline, follows someone else's schedule
};
const char* to_string(DeadlineKind kind);

struct Deadline {
    DeadlineKind kind = DeadlineKind::fixed;
    std::optional<edxml::Date> due;  // the last day of the period, for fixed deadlines
};

// Reads the deadline column. Quarters and months end on their last day; a bare year on
// 31 December. Nothing when the text is none of the known forms.
std::optional<Deadline> parse_vietnamese_deadline(std::string_view text);

// Unit names as written in plans, mapped to agency codes. Loaded from a table of
// "name<TAB>code" lines (# comments and blank lines allowed); names are folded.
class UnitDirectory {
  public:
    // Throws connector::ConfigError naming `source` and the line for a malformed line,
    // an invalid agency code or a name given twice with different codes.
    static UnitDirectory parse(std::string_view table, const std::string& source);
    void add(const std::string& name, const std::string& code);
    std::optional<std::string> code_for(std::string_view name) const;
    std::size_t size() const { return codes_.size(); }
    // Each name as first written, with its code, ordered by name.
    std::vector<std::pair<std::string, std::string>> entries() const;

  private:
    std::map<std::string, std::string> codes_;  // folded name → code
    std::map<std::string, std::string> names_;  // folded name → name as written
};

struct PlanImport {
    std::vector<edxml::TaskRecord> tasks;
    // Rows not imported, and imported rows with something to look at, each
    // "line N: …" in English.
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
};

// Task codes are `<source_document_id>#<section>.<number>` ("…,125/KH-UBND#III.1"), so
// they are unique and never reused. A row whose lead unit or deadline cannot be read is
// reported in `errors` and left out; a coordinating unit with no code (a group such as
// "các sở, ban, ngành Tỉnh") is kept by name and noted in `warnings`.
PlanImport import_plan(std::string_view table, const UnitDirectory& units,
                       const std::string& source_document_id, const std::string& issuer);

}  // namespace connector
