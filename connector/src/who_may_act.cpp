#include "connector/who_may_act.hpp"

#include <algorithm>

#include "edxml/agency_code.hpp"

namespace connector {
namespace {

bool is_receiver_code(edxml::StatusKind kind) {
    return edxml::StatusKind::received <= kind && kind <= edxml::StatusKind::completed;
}

bool is_take_back_answer(edxml::StatusKind kind) {
    return kind == edxml::StatusKind::change_accepted || kind == edxml::StatusKind::change_rejected;
}

}  // namespace

bool is_or_under(const edxml::TaskAssignee& assignee, const std::string& agency) {
    return !assignee.organ_id.empty() &&
           (assignee.organ_id == agency ||
            edxml::parent_agency_code(assignee.organ_id).value_or("") == agency);
}

bool speaks_for_lead(const Task& task, const std::string& organ_id) {
    return std::any_of(task.assignees.begin(), task.assignees.end(), [&](const auto& assignee) {
        return assignee.role == edxml::AssigneeRole::lead && is_or_under(assignee, organ_id);
    });
}

bool is_party(const Task& task, const std::string& organ_id) {
    return task.issuer == organ_id ||
           std::any_of(task.assignees.begin(), task.assignees.end(),
                       [&](const auto& assignee) { return is_or_under(assignee, organ_id); });
}

bool involves(const edxml::TaskRecord& record, const std::string& agency) {
    return std::any_of(record.assignees.begin(), record.assignees.end(),
                       [&](const auto& assignee) { return is_or_under(assignee, agency); });
}

bool status_counts(const Task& task, const std::string& from, edxml::StatusKind kind) {
    if (task.side == TaskSide::issued)
        return speaks_for_lead(task, from) && (is_receiver_code(kind) || is_take_back_answer(kind));
    return task.issuer == from && kind == edxml::StatusKind::take_back_request;
}

bool status_is_ours_to_send(const Task& task, const std::string& to, edxml::StatusKind kind) {
    if (kind == edxml::StatusKind::take_back_request)
        return task.side == TaskSide::issued && speaks_for_lead(task, to);
    return is_take_back_answer(kind) && task.side == TaskSide::received && task.issuer == to;
}

}  // namespace connector
