// The task status rules of architecture.md ("Task status"): what an incoming status code
// does to a task's current state. Pure functions; the pipelines persist the outcome.
//
//   receiver codes  01 đã đến → 03 đã tiếp nhận → 04 phân công → 05 đang xử lý → 06 hoàn thành
//                   02 từ chối: terminal, from any state before 06
//   take-back       13 lấy lại (from the sender) opens a request; the receiver answers
//                   15 đồng ý (the task is withdrawn: terminal) or 16 từ chối (it goes on)
//
// A status never moves a task backwards: a late or out-of-order code, a repeat, an
// unknown code or an answer with no open request is recorded in the history and shown,
// while the current state keeps the highest rank.
#pragma once

#include <optional>
#include <string>

#include "edxml/dates.hpp"
#include "edxml/status_code.hpp"

namespace connector {

// Where a task stands, as far as status codes are concerned.
struct TaskStatusState {
    // The highest receiver code reached (received … completed, rejected), if any.
    std::optional<edxml::StatusKind> current;
    bool take_back_requested = false;  // a 13 waits for its 15/16
    bool withdrawn = false;            // 13 answered by 15: taken back by the sender

    bool operator==(const TaskStatusState&) const = default;
};

enum class StatusEffect {
    advanced,  // the current state moved forward (or the take-back state changed)
    recorded,  // kept in the history only; `reason` says why
};

struct StatusOutcome {
    StatusEffect effect = StatusEffect::recorded;
    TaskStatusState next;  // equal to the input when only recorded
    std::string reason;    // English, for logs and the history ("05 after 06: …")
};

// Rank of a receiver code on the way to completion: 01→1, 03→2, 04→3, 05→4, 06→5;
// 02 (rejected) ranks 5 too, as a terminal state. 0 for 13/15/16 and unknown codes.
int status_rank(edxml::StatusKind kind);
bool is_terminal(const TaskStatusState& state);

// What `incoming` does to `state`.
StatusOutcome apply_status(const TaskStatusState& state, const edxml::StatusCode& incoming);

// Timeliness is derived, never trusted from the wire: from the task's state (a task its
// lead refused (02) or its issuer took back or revoked is closed as such, never "open"),
// the due date (none for recurring or on-roadmap tasks), the completion date, and today
// (in Vietnam).
enum class Timeliness { open_on_time, open_overdue, done_on_time, done_late, refused, withdrawn };
Timeliness derive_timeliness(const TaskStatusState& status, const std::optional<edxml::Date>& due,
                             const std::optional<edxml::Date>& completed, const edxml::Date& today);
const char* to_string(Timeliness timeliness);  // open_on_time, …, refused, withdrawn
// "Đang thực hiện, trong hạn", …, "Bị từ chối", "Đã thu hồi"
const char* vietnamese_label(Timeliness timeliness);

}  // namespace connector
