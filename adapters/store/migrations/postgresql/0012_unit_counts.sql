-- 0012: a clerk's counts from their units' own rows (issue 15, bench/task_scale). Each
-- assignee row keeps a copy of what the summaries count (the task's lead unit, document,
-- standing and deadline), written with the task, so that the counts of a unit's tasks
-- read one range of one index instead of matching the unit's set against every task; the
-- tasks a unit issued come from the issuer index, which holds the same columns.
ALTER TABLE task_assignees ADD COLUMN task_lead TEXT NOT NULL DEFAULT '';
ALTER TABLE task_assignees ADD COLUMN task_document TEXT NOT NULL DEFAULT '';
ALTER TABLE task_assignees ADD COLUMN task_standing TEXT NOT NULL DEFAULT 'open';
ALTER TABLE task_assignees ADD COLUMN task_due TEXT;
UPDATE task_assignees SET task_lead = t.lead_unit, task_document = t.source_document_id, task_standing = t.standing, task_due = t.due_date FROM tasks t WHERE t.task_code = task_assignees.task_code;
DROP INDEX task_assignees_by_organ;
CREATE INDEX task_assignees_by_organ ON task_assignees (organ_id, task_code, task_lead, task_document, task_standing, task_due);
-- tasks_counted_by_code (0011) served the counts these copies now serve; kept, it would
-- cost every task write and help no read.
DROP INDEX tasks_counted_by_code;
DROP INDEX tasks_by_issuer;
CREATE INDEX tasks_by_issuer ON tasks (issuer, task_code, lead_unit, source_document_id, standing, due_date);
ANALYZE;
