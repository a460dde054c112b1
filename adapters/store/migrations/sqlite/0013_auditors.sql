-- 0013: the auditors' reads (issue 16). Every state a message's transport enters is kept,
-- by the database itself (a trigger per write), so that no writer can move a state
-- without leaving its trace; the indexes serve the log search by verdict, sender and
-- status newest first, and the tasks a message touched.
CREATE TABLE message_transport_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sequence INTEGER NOT NULL REFERENCES messages (sequence),
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    knobstick TEXT NOT NULL,
    entered_at TEXT NOT NULL
);
CREATE INDEX message_transport_history_of ON message_transport_history (sequence, id);
INSERT INTO message_transport_history (sequence, state, reason, knobstick, entered_at) SELECT sequence, state, reason, knobstick, updated_at FROM message_transport ORDER BY sequence;
CREATE TRIGGER message_transport_entered AFTER INSERT ON message_transport BEGIN INSERT INTO message_transport_history (sequence, state, reason, knobstick, entered_at) VALUES (NEW.sequence, NEW.state, NEW.reason, NEW.knobstick, NEW.updated_at); END;
CREATE TRIGGER message_transport_moved AFTER UPDATE ON message_transport BEGIN INSERT INTO message_transport_history (sequence, state, reason, knobstick, entered_at) VALUES (NEW.sequence, NEW.state, NEW.reason, NEW.knobstick, NEW.updated_at); END;
CREATE INDEX messages_by_verdict ON messages (signature_verdict, sequence);
CREATE INDEX messages_by_sender ON messages (from_agency, sequence);
CREATE INDEX messages_by_status_code ON messages (status_code, sequence);
CREATE INDEX message_transport_by_knobstick ON message_transport (knobstick);
CREATE INDEX task_events_by_message ON task_events (message_sequence);
CREATE INDEX audit_events_by_action ON audit_events (action, sequence);
CREATE INDEX audit_events_by_actor ON audit_events (actor, sequence);
ANALYZE;
