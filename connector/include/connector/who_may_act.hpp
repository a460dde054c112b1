// Who may act on a task (architecture.md, "Task status"): beside the status rules of
// task_status.hpp, which say what a code does, these say whose code counts. Pure
// functions over a task and an agency code; the exchange applies them to every package.
#pragma once

#include <string>

#include "connector/task.hpp"
#include "edxml/status_code.hpp"
#include "edxml/task_profile.hpp"

namespace connector {

// Whether an assignee is `agency` itself or a unit directly under it (a province's
// connector speaks for its departments).
bool is_or_under(const edxml::TaskAssignee& assignee, const std::string& agency);

// Whether a status or report from `organ_id` speaks for the task's lead unit.
bool speaks_for_lead(const Task& task, const std::string& organ_id);

// Whether `organ_id` is the issuer or one of the task's units (or the agency above one):
// who may add to a task's history.
bool is_party(const Task& task, const std::string& organ_id);

// Whether a record assigns anything to `agency` or to a unit under it.
bool involves(const edxml::TaskRecord& record, const std::string& agency);

// Whether a status code received from `from` moves the task: on tasks we assigned, their
// lead unit (or the agency above it) with the receiver codes 01…06, 02 and the answers
// 15/16; on tasks assigned to us, their issuer with 13 (take back). Codes from other
// parties are history only.
bool status_counts(const Task& task, const std::string& from, edxml::StatusKind kind);

// Whether a status package we send to `to` is ours to give on this task: 13 to the lead
// unit of a task we assigned, 15/16 to the issuer of a task assigned to us.
bool status_is_ours_to_send(const Task& task, const std::string& to, edxml::StatusKind kind);

}  // namespace connector
