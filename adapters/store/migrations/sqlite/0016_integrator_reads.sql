-- 0016: what iDesk's integrators read (issue 18). A task keeps the expected result its
-- assignment stated (the task view shows every stored field); API tokens may expire
-- (NULL: never); the task list may be read by the time of the last change, for a client
-- that syncs "what changed since", through an index in that order.
ALTER TABLE tasks ADD COLUMN expected_result TEXT NOT NULL DEFAULT '';
ALTER TABLE api_clients ADD COLUMN expires_at TEXT;
CREATE INDEX tasks_by_update ON tasks (updated_at, task_code);
