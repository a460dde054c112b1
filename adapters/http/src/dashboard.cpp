// The leaders' view: GET /api/v1/dashboard (counts by unit and by document, the on-time
// rate, what is due soon, what is longest overdue) and GET /api/v1/exports/{file} (the
// task list and the summaries as CSV and XLSX). Both take the task list's filters and see
// what the caller sees (a clerk: their units).
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "api_server_impl.hpp"
#include "connector/task_status.hpp"
#include "edxml/status_code.hpp"
#include "http_api/json_views.hpp"
#include "spreadsheet.hpp"

namespace http_api {

using Poco::JSON::Object;

namespace {

constexpr const char* kTimelinessOrder[] = {"open_on_time", "open_overdue", "done_on_time",
                                            "done_late",    "refused",      "withdrawn"};
constexpr std::size_t kMaxExportedTasks = 100'000;
constexpr std::size_t kDocumentsShown = 50;

// Counts of one group (a unit, a document, everything) by timeliness.
struct Tally {
    std::map<std::string, std::int64_t> by_timeliness;
    std::int64_t all = 0;
    void add(const connector::TaskCount& count) {
        by_timeliness[count.timeliness] += count.count;
        all += count.count;
    }
    std::int64_t of(const std::string& timeliness) const {
        const auto found = by_timeliness.find(timeliness);
        return found == by_timeliness.end() ? 0 : found->second;
    }
    // Of the tasks completed, the share completed by their deadline; none completed: null.
    Poco::Dynamic::Var on_time_rate() const {
        const std::int64_t done = of("done_on_time") + of("done_late");
        if (done == 0)
            return {};
        return static_cast<double>(of("done_on_time")) / static_cast<double>(done);
    }
    Object::Ptr json() const {
        Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        object->set("all", all);
        for (const char* timeliness : kTimelinessOrder)
            object->set(timeliness, of(timeliness));
        object->set("onTimeRate", on_time_rate());
        return object;
    }
};

std::map<std::string, Tally> tallies(const std::vector<connector::TaskCount>& counts) {
    std::map<std::string, Tally> grouped;
    for (const auto& count : counts)
        grouped[count.group].add(count);
    return grouped;
}

edxml::Date days_after(std::chrono::system_clock::time_point now, int days) {
    return connector::vietnam_date(now + std::chrono::hours(24 * days));
}

std::string status_text(const connector::Task& task) {
    if (!task.status.current)
        return "";
    return edxml::canonical_code(*task.status.current) + " " +
           edxml::vietnamese_label(*task.status.current);
}

std::string units_of(const connector::Task& task, bool lead) {
    std::string out;
    for (const auto& assignee : task.assignees) {
        if ((assignee.role == edxml::AssigneeRole::lead) != lead)
            continue;
        out +=
            (out.empty() ? "" : "; ") + (assignee.name.empty() ? assignee.organ_id : assignee.name);
    }
    return out;
}

std::string date_text(const std::optional<edxml::Date>& date) {
    return date ? iso_date(*date) : std::string();
}

}  // namespace

std::string ApiServer::Impl::agency_name(const std::string& code) const {
    const auto list = agencies_now();  // held: a reload may replace it meanwhile
    for (const auto& [name, known] : *list)
        if (known == code)
            return name;
    return code;
}

Reply ApiServer::Impl::dashboard(const Caller& caller, const Poco::URI::QueryParameters& query) {
    connector::TaskQuery filter = task_filters(caller, query, false);
    const auto at = now();
    const edxml::Date now_date = connector::vietnam_date(at);
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("today", iso_date(now_date));
    with_backend([&](Backend& b) {
        connector::Store& store = b.store();
        // The totals are the units' counts added up: one pass over the tasks less.
        const auto by_unit = store.count_tasks(filter, connector::TaskGrouping::lead_unit);
        Tally total;
        for (const auto& count : by_unit)
            total.add(count);
        body->set("totals", total.json());
        Poco::JSON::Array::Ptr units = new Poco::JSON::Array;
        for (const auto& [code, tally] : tallies(by_unit)) {
            Object::Ptr unit = tally.json();
            unit->set("code", code);
            unit->set("name", code.empty() ? std::string() : agency_name(code));
            units->add(unit);
        }
        body->set("byUnit", units);
        // The documents that most need a look: most overdue, then most tasks (a province
        // has thousands; the export has them all), ranked by the store.
        const connector::DocumentRanking ranking = store.rank_documents(filter, kDocumentsShown);
        const auto by_document = tallies(ranking.counts);
        std::vector<std::string> order;
        for (const auto& count : ranking.counts)
            if (order.empty() || order.back() != count.group)
                order.push_back(count.group);
        Poco::JSON::Array::Ptr documents = new Poco::JSON::Array;
        for (const std::string& document : order) {
            Object::Ptr entry = by_document.at(document).json();
            entry->set("documentId", document);
            documents->add(entry);
        }
        body->set("documentCount", ranking.documents);
        body->set("byDocument", documents);

        // Due in the next 7 days (today included), and the longest overdue, by deadline.
        connector::TaskQuery soon = filter;
        soon.order = connector::TaskQuery::Order::due_date;
        soon.timeliness = "open_on_time";
        soon.due_after = std::max(filter.due_after, edxml::format_date(now_date));
        const std::string week = edxml::format_date(days_after(at, 7));
        soon.due_before = filter.due_before.empty() ? week : std::min(filter.due_before, week);
        soon.limit = 20;
        Poco::JSON::Array::Ptr due_soon = new Poco::JSON::Array;
        for (const auto& task : store.find_tasks(soon))
            due_soon->add(task_json(task, now_date));
        body->set("dueSoon", due_soon);
        connector::TaskQuery overdue = filter;
        overdue.order = connector::TaskQuery::Order::due_date;
        overdue.timeliness = "open_overdue";
        overdue.limit = 10;
        Poco::JSON::Array::Ptr longest = new Poco::JSON::Array;
        for (const auto& task : store.find_tasks(overdue))
            longest->add(task_json(task, now_date));
        body->set("longestOverdue", longest);
        return 0;
    });
    return {200, body, {}, {}, {}};
}

Reply ApiServer::Impl::export_file(const Caller& caller, const std::string& file,
                                   const Poco::URI::QueryParameters& query) {
    // The query first: a wrong filter is named whatever the file.
    connector::TaskQuery filter = task_filters(caller, query, false);
    const auto dot = file.rfind('.');
    const std::string what = file.substr(0, dot);
    const std::string format = dot == std::string::npos ? "" : file.substr(dot + 1);
    if ((what != "tasks" && what != "units" && what != "documents" && what != "summary") ||
        (format != "csv" && format != "xlsx") || (what == "summary" && format != "xlsx"))
        refuse(404, "no export '" + file +
                        "': tasks.csv, tasks.xlsx, units.csv, documents.csv or summary.xlsx");
    const edxml::Date now_date = today();
    const std::vector<std::string> tally_headers = {"Tổng số",
                                                    "Đang thực hiện, trong hạn",
                                                    "Đang thực hiện, quá hạn",
                                                    "Hoàn thành đúng hạn",
                                                    "Hoàn thành quá hạn",
                                                    "Bị từ chối",
                                                    "Đã thu hồi",
                                                    "Tỷ lệ hoàn thành đúng hạn (%)"};
    const auto tally_cells = [](const Tally& tally) {
        std::vector<std::string> cells = {std::to_string(tally.all)};
        for (const char* timeliness : kTimelinessOrder)
            cells.push_back(std::to_string(tally.of(timeliness)));
        const auto rate = tally.on_time_rate();
        cells.push_back(rate.isEmpty()
                            ? std::string()
                            : std::to_string(static_cast<int>(rate.extract<double>() * 100 + 0.5)));
        return cells;
    };
    std::vector<Table> tables;
    with_backend([&](Backend& b) {
        connector::Store& store = b.store();
        if (what == "units" || what == "summary") {
            Table table{"Theo đơn vị chủ trì", {"Mã đơn vị", "Đơn vị chủ trì"}, {false, false}, {}};
            for (const auto& [code, tally] :
                 tallies(store.count_tasks(filter, connector::TaskGrouping::lead_unit))) {
                std::vector<std::string> row = {code,
                                                code.empty() ? "(không có)" : agency_name(code)};
                for (auto& cell : tally_cells(tally))
                    row.push_back(std::move(cell));
                table.rows.push_back(std::move(row));
            }
            tables.push_back(std::move(table));
        }
        if (what == "documents" || what == "summary") {
            Table table{"Theo văn bản giao", {"Văn bản giao"}, {false}, {}};
            for (const auto& [document, tally] :
                 tallies(store.count_tasks(filter, connector::TaskGrouping::source_document))) {
                std::vector<std::string> row = {document};
                for (auto& cell : tally_cells(tally))
                    row.push_back(std::move(cell));
                table.rows.push_back(std::move(row));
            }
            tables.push_back(std::move(table));
        }
        for (Table& table : tables) {
            table.headers.insert(table.headers.end(), tally_headers.begin(), tally_headers.end());
            table.numeric.resize(table.headers.size(), true);
        }
        if (what == "tasks" || what == "summary") {
            Table table{
                "Nhiệm vụ",
                {"Mã nhiệm vụ", "Tên nhiệm vụ", "Văn bản giao", "Đơn vị giao", "Đơn vị chủ trì",
                 "Đơn vị phối hợp", "Hạn xử lý", "Hạn (theo văn bản)", "Trạng thái", "Tiến độ (%)",
                 "Tình hình", "Ngày hoàn thành"},
                {false, false, false, false, false, false, false, false, false, true, false, false},
                {}};
            // In pages, so that a large export does not hold one huge result set.
            filter.limit = 1000;
            while (table.rows.size() < kMaxExportedTasks) {
                const auto page = store.find_tasks(filter);
                for (const auto& task : page) {
                    table.rows.push_back(
                        {task.task_code, task.title, task.source_document_id,
                         agency_name(task.issuer), units_of(task, true), units_of(task, false),
                         date_text(task.due_date), task.due_text, status_text(task),
                         std::to_string(task.progress),
                         connector::vietnamese_label(connector::derive_timeliness(
                             task.status, task.due_date, task.completion_date, now_date)),
                         date_text(task.completion_date)});
                }
                if (page.size() < filter.limit)
                    break;
                filter.after_code = page.back().task_code;
            }
            tables.push_back(std::move(table));
        }
        return 0;
    });
    const std::string name = "nhiem-vu-" + what + "-" + iso_date(now_date) + "." + format;
    Reply reply;
    if (format == "csv") {
        reply = {200, {}, to_csv(tables.front()), "text/csv; charset=utf-8", {}};
    } else {
        reply = {200,
                 {},
                 to_xlsx(tables),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 {}};
    }
    reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
    return reply;
}

}  // namespace http_api
