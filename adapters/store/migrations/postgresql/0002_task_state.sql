-- 0002: what a task needs beyond 0001: which side of it we are on, the progress note,
-- the take-back handshake state, the assignees' order, and one history event per
-- (task, kind, message) so that a message applied twice is recorded once.
ALTER TABLE tasks ADD COLUMN side TEXT NOT NULL DEFAULT 'received';
ALTER TABLE tasks ADD COLUMN progress_note TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN take_back_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_assignees ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX task_events_once_per_message ON task_events (task_code, kind, message_sequence);
CREATE INDEX task_events_by_task ON task_events (task_code, id);
CREATE INDEX messages_by_document ON messages (document_id, kind, direction);
CREATE INDEX tasks_by_source_document ON tasks (source_document_id);
