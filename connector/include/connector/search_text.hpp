// Text as the task search compares it: lower case and without Vietnamese diacritics, so
// that "qua han" finds "quá hạn" and "dong thap" finds "Đồng Tháp", the same way on
// every store (SQLite's lower() knows ASCII only; PostgreSQL's depends on the locale).
// The store keeps each task's folded text beside it and folds the query the same way.
#pragma once

#include <string>
#include <string_view>

#include "connector/task.hpp"

namespace connector {

// `text` in lower case, each Latin letter with a diacritic (precomposed, as Vietnamese is
// written, or followed by combining marks) as its base letter, "đ" as "d". Other
// characters are kept; bytes that are not UTF-8 are dropped.
std::string fold_for_search(std::string_view text);

// What a task is found by: its title, content and source document, folded.
std::string task_search_text(const Task& task);

}  // namespace connector
