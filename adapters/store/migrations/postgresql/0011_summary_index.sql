-- 0011: what the summaries read (GET /api/v1/dashboard, bench/task_scale). A clerk's
-- units are the codes of their tasks (task_assignees) and of those they issued: with the
-- code in the unit and issuer indexes that set comes from indexes alone (the index on
-- the issuer by itself sent the planner to read the whole table, the one on the unit
-- read each assignee's row). The counts of a clerk's tasks then read, per code, a
-- covering index of what is counted instead of each task's row.
DROP INDEX tasks_by_issuer;
CREATE INDEX tasks_by_issuer ON tasks (issuer, task_code);
DROP INDEX task_assignees_by_organ;
CREATE INDEX task_assignees_by_organ ON task_assignees (organ_id, task_code);
CREATE INDEX tasks_counted_by_code ON tasks (task_code, lead_unit, source_document_id, standing, due_date);
ANALYZE;
