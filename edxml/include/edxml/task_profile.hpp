// The task profile: our machine-readable view of tasks (nhiệm vụ), carried as the
// attachment `nhiemvu.xml` of an ordinary QCVN 102 document package (protocol.md §6.2,
// architecture.md "Task profile"). Our own XML format, in our own versioned namespace,
// validated by edxml/schemas/task-profile-1.xsd.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edxml/diagnostics.hpp"
#include "edxml/model.hpp"
#include "edxml/reader.hpp"
#include "edxml/status_code.hpp"

namespace edxml {

inline constexpr const char* kTaskProfileNamespace = "urn:vn-task-profile:1";
inline constexpr const char* kTaskProfileFileName = "nhiemvu.xml";
inline constexpr const char* kTaskProfileDescription = "VN-TASK-PROFILE/1";

enum class TaskProfileKind { assignment, report, update, cancellation };
enum class AssigneeRole { lead, coordinating };  // chủ trì, phối hợp

// Timeliness as the wire carries it; the connector derives its own and never trusts this.
enum class TaskState {
    open_on_time,      // CHUA_HOAN_THANH_TRONG_HAN
    open_overdue,      // CHUA_HOAN_THANH_QUA_HAN
    done_on_time,      // HOAN_THANH_DUNG_HAN
    done_late,         // HOAN_THANH_QUA_HAN
    cancelled,         // DA_HUY
    deadline_changed,  // DIEU_CHINH_HAN
};

struct TaskAssignee {
    AssigneeRole role = AssigneeRole::lead;
    std::string organ_id;  // empty for groups such as "các sở, ban, ngành Tỉnh"
    std::string name;
    bool operator==(const TaskAssignee&) const = default;
};

struct TaskRecord {
    std::string task_code;
    std::string title;
    std::string content;
    std::string issuer;
    std::vector<TaskAssignee> assignees;
    std::optional<Date> due_date;  // absent: no deadline (thường xuyên, theo lộ trình)
    std::string due_text;          // the deadline as written: "Quý II năm 2025"
    std::string expected_result;
    std::optional<int> priority;
    std::optional<int> progress;  // 0..100
    std::string progress_note;
    std::optional<Date> completion_date;
    std::optional<TaskState> state;
    // A report's status code for this task (01 … 06, 02, 13/15/16), as in status packages.
    std::optional<StatusCode> status_code;
    std::vector<std::string> report_document_ids;
    std::optional<DateTime> updated_at;
    std::optional<StaffInfo> staff;
    bool operator==(const TaskRecord&) const = default;
};

struct TaskProfile {
    TaskProfileKind kind = TaskProfileKind::assignment;
    std::string source_document_id;
    std::vector<TaskRecord> tasks;
    bool operator==(const TaskProfile&) const = default;
};

struct TaskProfileResult {
    std::optional<TaskProfile> profile;
    Diagnostics warnings;
    Diagnostics errors;
    bool ok() const { return profile.has_value() && errors.empty(); }
};

// Parses with the same hardening as packages and always validates against the XSD.
TaskProfileResult read_task_profile(std::string_view xml, const ReadLimits& limits = {});
std::string write_task_profile(const TaskProfile& profile);

// The nhiemvu.xml attachment of a package, if it carries one.
const Attachment* find_task_profile_attachment(const DocumentPackage& package);

const char* to_string(TaskProfileKind kind);
const char* to_string(AssigneeRole role);
const char* to_string(TaskState state);           // wire name: CHUA_HOAN_THANH_TRONG_HAN …
const char* vietnamese_label(TaskState state);    // "Chưa hoàn thành, trong hạn" …
const char* vietnamese_label(AssigneeRole role);  // "Chủ trì", "Phối hợp"

}  // namespace edxml
