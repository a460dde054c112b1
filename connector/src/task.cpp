#include "connector/task.hpp"

namespace connector {

const char* to_string(TaskSide side) {
    return side == TaskSide::issued ? "issued" : "received";
}

std::optional<TaskSide> task_side_from(const std::string& text) {
    if (text == "issued")
        return TaskSide::issued;
    if (text == "received")
        return TaskSide::received;
    return std::nullopt;
}

}  // namespace connector
