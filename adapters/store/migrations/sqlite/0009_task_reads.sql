-- 0009: what the pages' lists and summaries read, kept with each task and indexed
-- (issue 15; measured by bench/task_scale with 100 000 tasks). The store writes, with the
-- task: its lead unit (the least agency code of its leads, '' for none) and its standing
-- (its timeliness on any day: withdrawn, refused, done_on_time, done_late, or open, which
-- is on time or overdue by the date). The summaries count by group and standing from
-- covering indexes, the timeliness filters read tasks_by_standing, the list by deadline
-- its own index. ANALYZE gives the planner the figures it chooses among them by
-- (PostgreSQL's autovacuum keeps them current; on SQLite see docs/store.md).
ALTER TABLE tasks ADD COLUMN lead_unit TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN standing TEXT NOT NULL DEFAULT 'open';
UPDATE tasks SET lead_unit = COALESCE((SELECT min(organ_id) FROM task_assignees a WHERE a.task_code = tasks.task_code AND a.role = 'lead'), '');
UPDATE tasks SET standing = CASE WHEN withdrawn = 1 THEN 'withdrawn' WHEN status_code = '02' THEN 'refused' WHEN completion_date IS NOT NULL THEN (CASE WHEN due_date IS NULL OR completion_date <= due_date THEN 'done_on_time' ELSE 'done_late' END) ELSE 'open' END;
CREATE INDEX tasks_counted_by_lead ON tasks (lead_unit, standing, due_date);
CREATE INDEX tasks_counted_by_document ON tasks (source_document_id, standing, due_date);
CREATE INDEX tasks_by_standing ON tasks (standing, due_date, task_code);
CREATE INDEX tasks_by_deadline ON tasks ((COALESCE(due_date, '9999/99/99')), task_code);
CREATE INDEX tasks_by_status ON tasks (status_code);
ANALYZE;
