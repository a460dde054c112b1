// Tasks, their assignees and their history; each history event is written with its
// change-feed entry in the same transaction.
#include <soci/soci.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <tuple>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "edxml/attachments.hpp"
#include "soci_store_parts.hpp"

namespace store::detail {

namespace {

// An assignee from a row whose columns 1–3 are organ_id, name, role.
edxml::TaskAssignee assignee_from(const soci::row& row) {
    edxml::TaskAssignee assignee;
    assignee.organ_id = row.get<std::string>(1);
    assignee.name = row.get<std::string>(2);
    assignee.role = row.get<std::string>(3) == "coordinating" ? edxml::AssigneeRole::coordinating
                                                              : edxml::AssigneeRole::lead;
    return assignee;
}

}  // namespace

bool SociStore::insert_task(const connector::Task& task, const connector::TaskEvent& event) {
    return guarded(
        "insert_task", [&] { return std::string(task.task_code); },
        [&]() -> bool {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            lock_feed();
            const std::string at = now_utc();
            TaskColumns columns(task);
            // A task code that exists already is no error (a message applied again): the
            // INSERT does nothing and says so, in one statement.
            soci::statement statement =
                (sql_.prepare
                     << "INSERT INTO tasks (task_code, side, source_document_id, title, content, "
                        "issuer, due_date, due_text, priority, progress, progress_note, "
                        "status_code, status_rank, take_back_requested, withdrawn, "
                        "completion_date, created_at, updated_at, search_text, lead_unit, "
                        "standing, expected_result) VALUES (:code, :side, :source, :title, "
                        ":content, :issuer, :due, :due_text, :priority, :progress, :note, "
                        ":status, :rank, :take_back, :withdrawn, :completion, :created, "
                        ":updated, :search, :lead, :standing, :expected) ON CONFLICT "
                        "(task_code) DO NOTHING",
                 soci::use(task.task_code, "code"), soci::use(columns.side, "side"),
                 soci::use(task.source_document_id, "source"), soci::use(task.title, "title"),
                 soci::use(task.content, "content"), soci::use(task.issuer, "issuer"),
                 soci::use(columns.due, columns.due_indicator, "due"),
                 soci::use(task.due_text, "due_text"), soci::use(task.priority, "priority"),
                 soci::use(task.progress, "progress"), soci::use(task.progress_note, "note"),
                 soci::use(columns.status, "status"), soci::use(columns.rank, "rank"),
                 soci::use(columns.take_back, "take_back"),
                 soci::use(columns.withdrawn, "withdrawn"),
                 soci::use(columns.completion, columns.completion_indicator, "completion"),
                 soci::use(at, "created"), soci::use(at, "updated"),
                 soci::use(columns.search, "search"), soci::use(columns.lead, "lead"),
                 soci::use(columns.standing, "standing"),
                 soci::use(task.expected_result, "expected"));
            statement.execute(true);
            if (statement.get_affected_rows() != 1)
                return false;
            write_assignees(task, columns, false);
            insert_event(event, at);
            transaction.commit();
            return true;
        });
}

bool SociStore::update_task(const connector::Task& task, const connector::TaskEvent& event) {
    return guarded(
        "update_task", [&] { return std::string(task.task_code); },
        [&]() -> bool {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            lock_feed();
            const std::string at = now_utc();
            if (!insert_event(event, at))
                return false;  // this message was applied already
            TaskColumns columns(task);
            const long long version = task.version;
            soci::statement statement =
                (sql_.prepare << "UPDATE tasks SET title = :title, content = :content, "
                                 "due_date = :due, due_text = :due_text, priority = :priority, "
                                 "progress = :progress, progress_note = :note, status_code = "
                                 ":status, status_rank = :rank, take_back_requested = :take_back, "
                                 "withdrawn = :withdrawn, completion_date = :completion, "
                                 "updated_at = :updated, search_text = :search, lead_unit = "
                                 ":lead, standing = :standing, expected_result = :expected, "
                                 "version = version + 1 WHERE task_code = :code AND version = "
                                 ":version",
                 soci::use(task.title, "title"), soci::use(task.content, "content"),
                 soci::use(columns.due, columns.due_indicator, "due"),
                 soci::use(task.due_text, "due_text"), soci::use(task.priority, "priority"),
                 soci::use(task.progress, "progress"), soci::use(task.progress_note, "note"),
                 soci::use(columns.status, "status"), soci::use(columns.rank, "rank"),
                 soci::use(columns.take_back, "take_back"),
                 soci::use(columns.withdrawn, "withdrawn"),
                 soci::use(columns.completion, columns.completion_indicator, "completion"),
                 soci::use(at, "updated"), soci::use(columns.search, "search"),
                 soci::use(columns.lead, "lead"), soci::use(columns.standing, "standing"),
                 soci::use(task.expected_result, "expected"), soci::use(task.task_code, "code"),
                 soci::use(version, "version"));
            statement.execute(true);
            if (statement.get_affected_rows() != 1) {
                long long existing = 0;
                sql_ << "SELECT count(*) FROM tasks WHERE task_code = :code",
                    soci::use(task.task_code), soci::into(existing);
                if (existing == 0)
                    throw connector::PermanentError("store: update_task: no task '" +
                                                    task.task_code + "'");
                // Another writer changed the task since it was read: nothing is written,
                // the caller reads it again and decides again.
                throw connector::ConflictError("store: update_task '" + task.task_code +
                                               "': changed by another writer since version " +
                                               std::to_string(task.version));
            }
            write_assignees(task, columns, true);
            transaction.commit();
            return true;
        },
        // In a unit of work a ConflictError must undo the event written before the
        // version check, or the retry would find it and skip the update.
        true);
}

bool SociStore::add_task_event(const connector::TaskEvent& event) {
    return guarded(
        "add_task_event", [&] { return std::string(event.task_code); },
        [&]() -> bool {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            lock_feed();
            const bool added = insert_event(event, now_utc());
            transaction.commit();
            return added;
        });
}

std::optional<connector::Task> SociStore::task(const std::string& task_code) {
    return guarded(
        "task", [&] { return std::string(task_code); },
        [&]() -> std::optional<connector::Task> {
            auto found = select_tasks("WHERE task_code = :code", task_code, 1);
            if (found.empty())
                return std::nullopt;
            return std::move(found.front());
        });
}

std::vector<connector::Task> SociStore::tasks(const std::string& after_code, std::size_t limit) {
    return guarded(
        "tasks", [&] { return std::string(after_code); },
        [&]() -> std::vector<connector::Task> {
            return select_tasks("WHERE task_code > :code", after_code, limit);
        });
}

std::vector<connector::Task> SociStore::tasks_of_document(const std::string& source_document_id) {
    return guarded(
        "tasks_of_document", [&] { return std::string(source_document_id); },
        [&]() -> std::vector<connector::Task> {
            return select_tasks("WHERE source_document_id = :code", source_document_id, 100000);
        });
}

namespace {

// The WHERE clause of a TaskQuery and what it binds: only the filters given, so that the
// planner sees what is asked and may use an index for it (a summary without filters
// reads one covering index, not the table). The text is matched folded (no case, no
// diacritics: connector/search_text.hpp) against the folded text kept with each task; the
// LIKE pattern escapes its wildcards, so the text is matched as written.
class TaskFilter {
  public:
    // `documents`: only the tasks of these too (rank_documents' counts). `counting`: for
    // count_tasks and rank_documents, which may read a clerk's rows from their units'
    // copies (source()).
    explicit TaskFilter(const connector::TaskQuery& query,
                        const std::vector<std::string>* documents = nullptr, bool counting = false)
        : query_(query) {
        const connector::TaskQuery& q = query;
        if (documents) {
            std::string names;
            std::vector<std::pair<std::string, const std::string*>> binds;
            for (std::size_t i = 0; i < documents->size(); ++i) {
                names += (i ? ", :document" : ":document") + std::to_string(i);
                binds.emplace_back("document" + std::to_string(i), &(*documents)[i]);
            }
            add("source_document_id IN (" + names + ")", binds);
        }
        const std::string deadline = deadline_order();
        if (q.order == connector::TaskQuery::Order::code && !q.after_code.empty()) {
            add("task_code > :code", {{"code", &q.after_code}});
        } else if (q.order == connector::TaskQuery::Order::due_date && !q.after_due.empty()) {
            add("(" + deadline + " > :after_due1 OR (" + deadline +
                    " = :after_due2 AND task_code > :code))",
                {{"after_due1", &q.after_due},
                 {"after_due2", &q.after_due},
                 {"code", &q.after_code}});
        } else if (q.order == connector::TaskQuery::Order::updated && !q.after_updated.empty()) {
            add("(updated_at > :after_updated1 OR (updated_at = :after_updated2 AND task_code > "
                ":code))",
                {{"after_updated1", &q.after_updated},
                 {"after_updated2", &q.after_updated},
                 {"code", &q.after_code}});
        }
        if (!q.updated_since.empty())
            add("updated_at >= :updated_since", {{"updated_since", &q.updated_since}});
        if (!q.agency.empty())
            add("(issuer = :agency1 OR task_code IN (SELECT task_code FROM task_assignees WHERE "
                "organ_id = :agency2))",
                {{"agency1", &q.agency}, {"agency2", &q.agency}});
        // A page by code walks the code index and checks these on the way (each keeps a
        // tenth to a third of the tasks: the page fills soon); an index on them would
        // find every match first and sort them all (6x slower on SQLite at 100 000
        // tasks, bench/task_scale). "column || ''" keeps the planner off their indexes;
        // by deadline, the standing index is the way.
        const bool by_code = q.order == connector::TaskQuery::Order::code;
        const std::string standing = by_code ? "standing || ''" : "standing";
        if (!q.status.empty())
            add(std::string(by_code ? "status_code || ''" : "status_code") + " = :status",
                {{"status", &q.status}});
        if (!q.side.empty())
            add("side = :side", {{"side", &q.side}});
        if (!q.due_before.empty())
            add("due_date <= :before", {{"before", &q.due_before}});
        if (!q.due_after.empty())
            add("due_date >= :after", {{"after", &q.due_after}});
        if (!q.text.empty()) {
            pattern_ = "%";
            for (const char c : connector::fold_for_search(q.text)) {
                if (c == '%' || c == '_' || c == '!')
                    pattern_ += '!';
                pattern_ += c;
            }
            pattern_ += "%";
            add("search_text LIKE :pattern ESCAPE '!'", {{"pattern", &pattern_}});
        }
        if (q.timeliness == "open_overdue")
            add(standing + " = 'open' AND due_date < :today", {{"today", &q.today}});
        else if (q.timeliness == "open_on_time")
            add(standing + " = 'open' AND (due_date IS NULL OR due_date >= :today)",
                {{"today", &q.today}});
        else if (!q.timeliness.empty())
            add(standing + " = :timeliness", {{"timeliness", &q.timeliness}});
        // A clerk's units: one placeholder per unit and use (a clerk has a few). Counts
        // and pages by code start from the set of their codes (tasks assigned to them,
        // then those they issued; from the indexes alone, migration 0011). A page by
        // deadline, and a few documents' tasks, walk their own index and check each task
        // on the way: the page ends after a few, instead of sorting the clerk's thousands
        // (the summary's lists, bench/task_scale: 46 → 4 ms on SQLite, 60 → 18 ms on
        // PostgreSQL, which checks against the set hashed once).
        if (q.scoped && !q.units.empty()) {
            std::string issuers, assignees;
            std::vector<std::pair<std::string, const std::string*>> binds;
            for (std::size_t i = 0; i < q.units.size(); ++i) {
                const std::string n = std::to_string(i);
                assignees += (i ? ", :assignee" : ":assignee") + n;
                issuers += (i ? ", :issuer" : ":issuer") + n;
                binds.emplace_back("assignee" + n, &q.units[i]);
                binds.emplace_back("issuer" + n, &q.units[i]);
            }
            // Counting with no filter on what the copies lack (migration 0012): the
            // clerk's rows are their units' copies and the tasks they issued, one row a
            // task (UNION), read as the table would be (PostgreSQL 170 → 64 ms for the
            // clerk's summary, bench/task_scale). A few documents' tasks are fewer than
            // the clerk's: those are checked one by one, below.
            if (counting && !documents && q.status.empty() && q.side.empty() && q.text.empty() &&
                q.agency.empty() && q.updated_since.empty()) {
                source_ =
                    "(SELECT task_code, task_lead AS lead_unit, task_document AS "
                    "source_document_id, task_standing AS standing, task_due AS due_date "
                    "FROM task_assignees WHERE organ_id IN (" +
                    assignees +
                    ") UNION SELECT task_code, lead_unit, source_document_id, standing, "
                    "due_date FROM tasks WHERE issuer IN (" +
                    issuers + ")) scoped";
                binds_.insert(binds_.end(), binds.begin(), binds.end());
            } else if (q.order != connector::TaskQuery::Order::code || documents)
                add("(issuer IN (" + issuers +
                        ") OR EXISTS (SELECT 1 FROM task_assignees scope WHERE scope.task_code = "
                        "tasks.task_code AND scope.organ_id IN (" +
                        assignees + ")))",
                    binds);
            else
                add("task_code IN (SELECT task_code FROM task_assignees WHERE organ_id IN (" +
                        assignees + ") UNION SELECT task_code FROM tasks WHERE issuer IN (" +
                        issuers + "))",
                    binds);
        }
    }
    // Scoped to no unit: nothing matches.
    bool matches_nothing() const { return query_.scoped && query_.units.empty(); }
    // What "by deadline" sorts on: the deadline, or kNoDeadline for none; just the column
    // when the filters leave only tasks with a deadline, so that an index in deadline
    // order serves it (tasks_by_standing for the overdue ones).
    std::string deadline_order() const {
        const bool deadline_known = query_.timeliness == "open_overdue" ||
                                    !query_.due_after.empty() || !query_.due_before.empty();
        return deadline_known ? "due_date"
                              : "COALESCE(due_date, '" + std::string(connector::kNoDeadline) + "')";
    }
    const std::string& where() const { return where_; }
    // What the statement reads FROM: the tasks, or a clerk's copies of them.
    const std::string& source() const { return source_; }
    const connector::TaskQuery& query() const { return query_; }

    void bind(soci::details::prepare_temp_type& prepared) const {
        for (const auto& [name, value] : binds_)
            prepared, soci::use(*value, name);
    }

  private:
    void add(const std::string& clause,
             const std::vector<std::pair<std::string, const std::string*>>& binds) {
        where_ += (where_.empty() ? "WHERE " : " AND ") + clause;
        binds_.insert(binds_.end(), binds.begin(), binds.end());
    }

    const connector::TaskQuery& query_;
    std::string source_ = "tasks";
    std::string where_;
    std::string pattern_;
    std::vector<std::pair<std::string, const std::string*>> binds_;
};

// The tasks `filter` finds, counted by group and timeliness (count_tasks).
std::vector<connector::TaskCount> counted(soci::session& sql, const TaskFilter& filter,
                                          connector::TaskGrouping by) {
    const connector::TaskQuery& query = filter.query();
    // By group and standing, with the open ones past their deadline counted on the
    // way: the rows stream out of a covering index in their order (counted by a
    // timeliness worked out per row, they were sorted, or the expression evaluated
    // six times a row).
    std::string group = "''";
    if (by == connector::TaskGrouping::lead_unit)
        group = "lead_unit";  // the lead's agency code, kept with the task; '' for none
    else if (by == connector::TaskGrouping::source_document)
        group = "source_document_id";
    soci::details::prepare_temp_type prepared =
        (sql.prepare << "SELECT " + group +
                            " AS grouped, standing, count(*), sum(CASE WHEN due_date < "
                            ":today_counted THEN 1 ELSE 0 END) FROM " +
                            filter.source() + " " + filter.where() + " GROUP BY " +
                            (by == connector::TaskGrouping::none ? std::string("") : group + ", ") +
                            "standing");
    filter.bind(prepared);
    prepared, soci::use(query.today, "today_counted");
    std::vector<connector::TaskCount> counts;
    soci::rowset<soci::row> rows(prepared);
    for (const soci::row& row : rows) {
        const std::string grouped = row.get<std::string>(0);
        const std::string standing = row.get<std::string>(1);
        const std::int64_t all = integer(row, 2);
        if (standing != "open") {
            counts.push_back({grouped, standing, all});
            continue;
        }
        const std::int64_t overdue = row.get_indicator(3) == soci::i_null ? 0 : integer(row, 3);
        if (all - overdue > 0)
            counts.push_back({grouped, "open_on_time", all - overdue});
        if (overdue > 0)
            counts.push_back({grouped, "open_overdue", overdue});
    }
    std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
        return std::tie(a.group, a.timeliness) < std::tie(b.group, b.timeliness);
    });
    return counts;
}

}  // namespace

std::vector<connector::Task> SociStore::find_tasks(const connector::TaskQuery& query) {
    return guarded(
        "find_tasks", [&] { return std::string(query.after_code); },
        [&]() -> std::vector<connector::Task> {
            const TaskFilter filter(query);
            if (filter.matches_nothing())
                return {};
            const long long count = static_cast<long long>(query.limit);
            soci::details::prepare_temp_type prepared =
                (sql_.prepare << std::string(kSelectTasks) + filter.where() +
                                     (query.order == connector::TaskQuery::Order::code
                                          ? std::string(" ORDER BY task_code")
                                      : query.order == connector::TaskQuery::Order::updated
                                          ? std::string(" ORDER BY updated_at, task_code")
                                          : " ORDER BY " + filter.deadline_order() +
                                                ", task_code") +
                                     " LIMIT :count");
            filter.bind(prepared);
            prepared, soci::use(count, "count");
            soci::rowset<soci::row> rows(prepared);
            return tasks_from(rows);
        });
}

std::vector<connector::TaskCount> SociStore::count_tasks(const connector::TaskQuery& query,
                                                         connector::TaskGrouping by) {
    return guarded(
        "count_tasks", [] { return std::string(); },
        [&]() -> std::vector<connector::TaskCount> {
            const TaskFilter filter(query, nullptr, true);
            if (filter.matches_nothing())
                return {};
            return counted(sql_, filter, by);
        });
}

connector::DocumentRanking SociStore::rank_documents(const connector::TaskQuery& query,
                                                     std::size_t limit) {
    return guarded(
        "rank_documents", [] { return std::string(); },
        [&]() -> connector::DocumentRanking {
            const TaskFilter filter(query, nullptr, true);
            connector::DocumentRanking ranking;
            if (filter.matches_nothing() || limit == 0)
                return ranking;
            // Ranked in the database, from the covering index by document (thousands of
            // documents' counts carried out to be sorted cost more than ranking them
            // there); count(*) OVER () counts the groups, before the LIMIT. Then the
            // counts of those documents alone (a sum per standing in the ranking itself
            // costs more: six sums a row).
            const long long count = static_cast<long long>(limit);
            soci::details::prepare_temp_type prepared =
                (sql_.prepare << "SELECT source_document_id, count(*) OVER () FROM " +
                                     filter.source() + " " + filter.where() +
                                     " GROUP BY source_document_id ORDER BY sum(CASE WHEN "
                                     "standing = 'open' AND due_date < :today_ranked THEN 1 ELSE "
                                     "0 END) DESC, count(*) DESC, source_document_id LIMIT :count");
            filter.bind(prepared);
            prepared, soci::use(query.today, "today_ranked"), soci::use(count, "count");
            std::vector<std::string> ranked;
            soci::rowset<soci::row> rows(prepared);
            for (const soci::row& row : rows) {
                ranked.push_back(row.get<std::string>(0));
                ranking.documents = integer(row, 1);
            }
            if (ranked.empty())
                return ranking;
            ranking.counts = counted(sql_, TaskFilter(query, &ranked, true),
                                     connector::TaskGrouping::source_document);
            const auto rank = [&](const std::string& document) {
                return std::find(ranked.begin(), ranked.end(), document) - ranked.begin();
            };
            std::stable_sort(
                ranking.counts.begin(), ranking.counts.end(),
                [&](const auto& a, const auto& b) { return rank(a.group) < rank(b.group); });
            return ranking;
        });
}

std::vector<connector::TaskEvent> SociStore::task_events(const std::string& task_code) {
    return guarded(
        "task_events", [&] { return std::string(task_code); },
        [&]() -> std::vector<connector::TaskEvent> {
            std::vector<connector::TaskEvent> events;
            soci::rowset<soci::row> rows =
                (sql_.prepare << std::string("SELECT ") + kTaskEventColumns +
                                     " FROM task_events WHERE task_code = :code ORDER BY id",
                 soci::use(task_code, "code"));
            for (const soci::row& row : rows)
                events.push_back(task_event_from(row));
            return events;
        });
}

void SociStore::write_assignees(const connector::Task& task, const TaskColumns& columns,
                                bool replacing) {
    soci::indicator due_indicator = columns.due_indicator;  // SOCI binds it by reference
    if (replacing) {
        // Most updates (a status, a report) leave the assignees as they were: compared
        // with what is stored, they are not written again (statements are round trips),
        // and their copy of what is counted only when the task's standing, deadline, lead
        // or document moved (a 02, a 06, a revocation, an amendment).
        std::vector<edxml::TaskAssignee> stored;
        bool copies_current = true;
        const std::string due = due_indicator == soci::i_ok ? columns.due : std::string();
        soci::rowset<soci::row> rows =
            (sql_.prepare << "SELECT task_code, organ_id, name, role, task_lead, task_document, "
                             "task_standing, task_due FROM task_assignees WHERE task_code = "
                             ":code ORDER BY position",
             soci::use(task.task_code, "code"));
        for (const soci::row& row : rows) {
            stored.push_back(assignee_from(row));
            copies_current =
                copies_current && row.get<std::string>(4) == columns.lead &&
                row.get<std::string>(5) == task.source_document_id &&
                row.get<std::string>(6) == columns.standing &&
                (row.get_indicator(7) == soci::i_null ? std::string() : row.get<std::string>(7)) ==
                    due;
        }
        if (stored.empty() && task.assignees.empty())
            return;
        if (!stored.empty() && stored == task.assignees) {
            if (copies_current)
                return;
            sql_ << "UPDATE task_assignees SET task_lead = :lead, task_document = :document, "
                    "task_standing = :standing, task_due = :due WHERE task_code = :code",
                soci::use(columns.lead, "lead"), soci::use(task.source_document_id, "document"),
                soci::use(columns.standing, "standing"),
                soci::use(columns.due, due_indicator, "due"), soci::use(task.task_code, "code");
            return;
        }
        sql_ << "DELETE FROM task_assignees WHERE task_code = :code", soci::use(task.task_code);
    }
    int position = 0;
    for (const auto& assignee : task.assignees) {
        const std::string role = edxml::to_string(assignee.role);
        // The same organisation may appear twice (lead and coordinating) only under
        // different names; a repeat is one assignee.
        sql_ << "INSERT INTO task_assignees (task_code, organ_id, name, role, position, "
                "task_lead, task_document, task_standing, task_due) VALUES (:code, :organ, "
                ":name, :role, :position, :lead, :document, :standing, :due) ON CONFLICT DO "
                "NOTHING",
            soci::use(task.task_code, "code"), soci::use(assignee.organ_id, "organ"),
            soci::use(assignee.name, "name"), soci::use(role, "role"),
            soci::use(position, "position"), soci::use(columns.lead, "lead"),
            soci::use(task.source_document_id, "document"), soci::use(columns.standing, "standing"),
            soci::use(columns.due, due_indicator, "due");
        ++position;
    }
}

// Event writers are serialised until commit, so that a reader paging the change feed by
// sequence never sees 12 before 11 commits (and then skips 11). Taken before the caller's
// first write, and by a unit of work as it begins (in_one_transaction), so that every
// transaction takes the feed's lock before any row lock: no two wait on each other.
void SociStore::lock_feed() {
    if (dialect_.lock_head[0] == '\0' || units_open_ > 0)
        return;  // SQLite: one writer at a time anyway; an open unit took it as it began
    sql_ << "SELECT pg_advisory_xact_lock(" << kFeedLockKey << ")";
}

// False when (task, kind, message) is already recorded.
bool SociStore::insert_event(const connector::TaskEvent& event, const std::string& at) {
    long long sequence = event.message_sequence;
    soci::indicator sequence_indicator = event.message_sequence == 0 ? soci::i_null : soci::i_ok;
    const std::string feed_kind = "task." + event.kind;
    const bool postgresql = dialect_.lock_head[0] != '\0';
    if (postgresql) {
        // The caller holds the change feed's lock (lock_feed), taken before its first
        // write. The event and its feed entry are one statement (a data-modifying WITH).
        soci::statement statement =
            (sql_.prepare << "WITH event AS (INSERT INTO task_events (task_code, kind, detail, "
                             "message_sequence, recorded_at) VALUES (:code, :kind, :detail, "
                             ":sequence, :at) ON CONFLICT DO NOTHING RETURNING task_code) "
                             "INSERT INTO backend_events (kind, subject_key, payload, "
                             "message_sequence, recorded_at) SELECT :feed_kind, task_code, "
                             ":detail2, :sequence2, :at2 FROM event",
             soci::use(event.task_code, "code"), soci::use(event.kind, "kind"),
             soci::use(event.detail, "detail"), soci::use(sequence, sequence_indicator, "sequence"),
             soci::use(at, "at"), soci::use(feed_kind, "feed_kind"),
             soci::use(event.detail, "detail2"), soci::use(sequence, "sequence2"),
             soci::use(at, "at2"));
        statement.execute(true);
        return statement.get_affected_rows() == 1;
    }
    // SQLite (writers are serial there; no DML in a WITH): the event, then its entry.
    soci::statement statement =
        (sql_.prepare << "INSERT INTO task_events (task_code, kind, detail, message_sequence, "
                         "recorded_at) VALUES (:code, :kind, :detail, :sequence, :at) "
                         "ON CONFLICT DO NOTHING",
         soci::use(event.task_code, "code"), soci::use(event.kind, "kind"),
         soci::use(event.detail, "detail"), soci::use(sequence, sequence_indicator, "sequence"),
         soci::use(at, "at"));
    statement.execute(true);
    if (statement.get_affected_rows() != 1)
        return false;
    long long feed_sequence = event.message_sequence;
    sql_ << "INSERT INTO backend_events (kind, subject_key, payload, message_sequence, "
            "recorded_at) VALUES (:kind, :code, :detail, :sequence, :at)",
        soci::use(feed_kind, "kind"), soci::use(event.task_code, "code"),
        soci::use(event.detail, "detail"), soci::use(feed_sequence, "sequence"),
        soci::use(at, "at");
    return true;
}

std::vector<connector::Task> SociStore::select_tasks(const std::string& where,
                                                     const std::string& key, std::size_t limit) {
    const long long count = static_cast<long long>(limit);
    soci::rowset<soci::row> rows =
        (sql_.prepare << std::string(kSelectTasks) + where + " ORDER BY task_code LIMIT :count",
         soci::use(key, "code"), soci::use(count, "count"));
    std::vector<connector::Task> found = tasks_from(rows, false);
    if (found.empty())
        return found;
    // The assignees of all of them in one more statement, not one per task.
    std::vector<std::pair<std::string, std::vector<edxml::TaskAssignee>>> assignees;
    read_assignees(
        "SELECT task_code, organ_id, name, role FROM task_assignees WHERE task_code "
        "IN (SELECT task_code FROM tasks " +
            where + " ORDER BY task_code LIMIT :count) ORDER BY task_code, position",
        key, count, assignees);
    std::size_t next = 0;
    for (connector::Task& task : found) {
        while (next < assignees.size() && assignees[next].first < task.task_code)
            ++next;
        if (next < assignees.size() && assignees[next].first == task.task_code)
            task.assignees = std::move(assignees[next].second);
    }
    return found;
}

void SociStore::read_assignees(
    const std::string& query, const std::string& key, long long count,
    std::vector<std::pair<std::string, std::vector<edxml::TaskAssignee>>>& into) {
    soci::rowset<soci::row> rows =
        count > 0 ? (sql_.prepare << query, soci::use(key, "code"), soci::use(count, "count"))
                  : (sql_.prepare << query, soci::use(key, "code"));
    for (const soci::row& row : rows) {
        const std::string code = row.get<std::string>(0);
        if (into.empty() || into.back().first != code)
            into.emplace_back(code, std::vector<edxml::TaskAssignee>{});
        into.back().second.push_back(assignee_from(row));
    }
}

// Tasks from the rows of kSelectTasks, with their assignees when `with_assignees` (one
// statement per task: select_tasks reads them for all at once instead).
std::vector<connector::Task> SociStore::tasks_from(soci::rowset<soci::row>& rows,
                                                   bool with_assignees) {
    std::vector<connector::Task> found;
    for (const soci::row& row : rows) {
        connector::Task task;
        task.task_code = row.get<std::string>(0);
        task.side = connector::task_side_from(row.get<std::string>(1))
                        .value_or(connector::TaskSide::received);
        task.source_document_id = row.get<std::string>(2);
        task.title = row.get<std::string>(3);
        task.content = row.get<std::string>(4);
        task.issuer = row.get<std::string>(5);
        if (row.get_indicator(6) == soci::i_ok) {
            if (const auto due = edxml::parse_date(row.get<std::string>(6)))
                task.due_date = due->value;
        }
        task.due_text = row.get<std::string>(7);
        task.priority = static_cast<int>(integer(row, 8));
        task.progress = static_cast<int>(integer(row, 9));
        task.progress_note = row.get<std::string>(10);
        const std::string status = row.get<std::string>(11);
        if (!status.empty())
            task.status.current = edxml::StatusCode::from_wire(status).kind();
        task.status.take_back_requested = integer(row, 12) != 0;
        task.status.withdrawn = integer(row, 13) != 0;
        if (row.get_indicator(14) == soci::i_ok) {
            if (const auto completed = edxml::parse_date(row.get<std::string>(14)))
                task.completion_date = completed->value;
        }
        task.created_at = row.get<std::string>(15);
        task.updated_at = row.get<std::string>(16);
        task.version = integer(row, 17);
        task.expected_result = row.get<std::string>(18);
        found.push_back(std::move(task));
    }
    for (connector::Task& task : found) {
        if (!with_assignees)
            break;
        soci::rowset<soci::row> assignees =
            (sql_.prepare << "SELECT organ_id, name, role FROM task_assignees WHERE "
                             "task_code = :code ORDER BY position",
             soci::use(task.task_code, "code"));
        for (const soci::row& row : assignees) {
            edxml::TaskAssignee assignee;
            assignee.organ_id = row.get<std::string>(0);
            assignee.name = row.get<std::string>(1);
            assignee.role = row.get<std::string>(2) == "coordinating"
                                ? edxml::AssigneeRole::coordinating
                                : edxml::AssigneeRole::lead;
            task.assignees.push_back(std::move(assignee));
        }
    }
    return found;
}

}  // namespace store::detail
