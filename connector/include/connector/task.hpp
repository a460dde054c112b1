// A task (nhiệm vụ) as the connector keeps it (architecture.md "Domain model"), and an
// entry of its history. The wire form is edxml::TaskRecord; this adds where the task
// stands on our side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connector/task_status.hpp"
#include "edxml/dates.hpp"
#include "edxml/task_profile.hpp"

namespace connector {

// Whether we assigned the task (and follow others' progress on it) or it was assigned
// to us (and we report on it).
enum class TaskSide { issued, received };
const char* to_string(TaskSide side);
std::optional<TaskSide> task_side_from(const std::string& text);

struct Task {
    std::string task_code;  // unique, never reused: "<DocumentId>#<section>.<n>"
    TaskSide side = TaskSide::received;
    std::string source_document_id;
    std::string title;
    std::string content;
    std::string issuer;  // agency code
    std::vector<edxml::TaskAssignee> assignees;
    std::optional<edxml::Date> due_date;  // none: thường xuyên, theo lộ trình
    std::string due_text;                 // as written: "Quý II năm 2025"
    int priority = 0;
    std::string expected_result;  // "Kết quả cần đạt", as the assignment stated it
    int progress = 0;             // 0..100
    std::string progress_note;
    std::optional<edxml::Date> completion_date;
    TaskStatusState status;
    std::string created_at;  // set by the store (UTC, ISO 8601)
    std::string updated_at;
    // Set by the store, one more at each update: update_task writes only over the version
    // it was given (ConflictError otherwise), so concurrent writers never lose a change.
    std::int64_t version = 0;

    bool operator==(const Task&) const = default;
};

// One line of a task's history. Events that come from a logged message carry its
// sequence; (task, kind, message) is unique, so applying a message twice records once.
struct TaskEvent {
    std::int64_t id = 0;  // set by the store
    std::string task_code;
    std::string kind;                   // assigned, status, status_recorded, progress, …
    std::string detail;                 // English or the wire text, for the history view
    std::int64_t message_sequence = 0;  // 0: not from a message
    std::string recorded_at;            // set by the store

    bool operator==(const TaskEvent&) const = default;
};

}  // namespace connector
