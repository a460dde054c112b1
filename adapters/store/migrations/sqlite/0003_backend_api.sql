-- 0003: what the backend API needs: the change feed's events carry their task event's
-- message, webhook deliveries are found by target, and idempotency keys keep the first
-- answer to a mutating call.
ALTER TABLE backend_events ADD COLUMN message_sequence INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX webhook_deliveries_by_target ON webhook_deliveries (target, event_id);
CREATE TABLE idempotency_keys (
    client TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (client, idempotency_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE INDEX tasks_by_issuer ON tasks (issuer);
CREATE INDEX task_assignees_by_organ ON task_assignees (organ_id);
