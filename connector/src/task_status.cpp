#include "connector/task_status.hpp"

namespace connector {
namespace {

using edxml::StatusKind;

std::string code_text(const edxml::StatusCode& code) {
    return code.wire_text().empty() ? edxml::canonical_code(code.kind()) : code.wire_text();
}

std::string current_text(const TaskStatusState& state) {
    if (state.withdrawn)
        return "withdrawn";
    return state.current ? edxml::canonical_code(*state.current) : std::string("no status");
}

StatusOutcome recorded(const TaskStatusState& state, std::string reason) {
    return {StatusEffect::recorded, state, std::move(reason)};
}

StatusOutcome advanced(TaskStatusState next) {
    return {StatusEffect::advanced, std::move(next), {}};
}

}  // namespace

int status_rank(StatusKind kind) {
    switch (kind) {
        case StatusKind::received:
            return 1;
        case StatusKind::accepted:
            return 2;
        case StatusKind::assigned:
            return 3;
        case StatusKind::processing:
            return 4;
        case StatusKind::completed:
        case StatusKind::rejected:
            return 5;
        default:
            return 0;
    }
}

bool is_terminal(const TaskStatusState& state) {
    return state.withdrawn || (state.current && (*state.current == StatusKind::completed ||
                                                 *state.current == StatusKind::rejected));
}

StatusOutcome apply_status(const TaskStatusState& state, const edxml::StatusCode& incoming) {
    const std::string code = code_text(incoming);
    const StatusKind kind = incoming.kind();
    switch (kind) {
        case StatusKind::unknown:
            return recorded(state, "unknown status code '" + code + "'");
        case StatusKind::take_back_request: {
            if (is_terminal(state))
                return recorded(state, "13 (take back) after " + current_text(state) +
                                           ": the task is already closed");
            if (state.take_back_requested)
                return recorded(state, "13 (take back) repeated: a request is already open");
            TaskStatusState next = state;
            next.take_back_requested = true;
            return advanced(next);
        }
        case StatusKind::change_accepted:
        case StatusKind::change_rejected: {
            if (!state.take_back_requested)
                return recorded(state, code + " without an open take-back request (13)");
            TaskStatusState next = state;
            next.take_back_requested = false;
            next.withdrawn = kind == StatusKind::change_accepted;
            return advanced(next);
        }
        default:
            break;
    }
    // Receiver codes 01..06 and 02.
    if (is_terminal(state))
        return recorded(state, code + " after " + current_text(state) +
                                   ": the task is closed, its state stays");
    const int current_rank = state.current ? status_rank(*state.current) : 0;
    if (kind != StatusKind::rejected && status_rank(kind) <= current_rank)
        return recorded(state, code + " after " + current_text(state) +
                                   (status_rank(kind) == current_rank ? ": a repeat"
                                                                      : ": late or out of order"));
    TaskStatusState next = state;
    next.current = kind;
    return advanced(next);
}

Timeliness derive_timeliness(const TaskStatusState& status, const std::optional<edxml::Date>& due,
                             const std::optional<edxml::Date>& completed,
                             const edxml::Date& today) {
    if (status.withdrawn)
        return Timeliness::withdrawn;
    if (status.current == StatusKind::rejected)
        return Timeliness::refused;
    if (completed)
        return (!due || *completed <= *due) ? Timeliness::done_on_time : Timeliness::done_late;
    return (due && today > *due) ? Timeliness::open_overdue : Timeliness::open_on_time;
}

const char* to_string(Timeliness timeliness) {
    switch (timeliness) {
        case Timeliness::open_on_time:
            return "open_on_time";
        case Timeliness::open_overdue:
            return "open_overdue";
        case Timeliness::done_on_time:
            return "done_on_time";
        case Timeliness::done_late:
            return "done_late";
        case Timeliness::refused:
            return "refused";
        case Timeliness::withdrawn:
            return "withdrawn";
    }
    return "open_on_time";
}

const char* vietnamese_label(Timeliness timeliness) {
    switch (timeliness) {
        case Timeliness::open_on_time:
            return "Đang thực hiện, trong hạn";
        case Timeliness::open_overdue:
            return "Đang thực hiện, quá hạn";
        case Timeliness::done_on_time:
            return "Hoàn thành đúng hạn";
        case Timeliness::done_late:
            return "Hoàn thành quá hạn";
        case Timeliness::refused:
            return "Bị từ chối";
        case Timeliness::withdrawn:
            return "Đã thu hồi";
    }
    return "Đang thực hiện, trong hạn";
}

}  // namespace connector
