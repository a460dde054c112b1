-- 0006: named transport state machines (issue 14, connector/transport_state.hpp). The
-- state column holds a state's name only; why a message came to a failure state and the
-- knobstick id the axis gave a package we sent move to their own columns. Transitions
-- are compare-and-set on the state, so the index serves both them and the jobs that look
-- for the messages of one state (delivery tracking: `sent`).
ALTER TABLE message_transport ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE message_transport ADD COLUMN knobstick TEXT NOT NULL DEFAULT '';
-- The free strings of before, taken apart: "sent <id>", "delivered <id>", "failed: …",
-- "refused: …", "delivery_failed: …", "undelivered: …".
UPDATE message_transport SET knobstick = substr(state, 6), state = 'sent' WHERE substr(state, 1, 5) = 'sent ';
UPDATE message_transport SET knobstick = substr(state, 11), state = 'delivered' WHERE substr(state, 1, 10) = 'delivered ';
UPDATE message_transport SET reason = substr(state, 9), state = 'failed' WHERE substr(state, 1, 8) = 'failed: ';
UPDATE message_transport SET reason = substr(state, 10), state = 'refused' WHERE substr(state, 1, 9) = 'refused: ';
UPDATE message_transport SET reason = 'not delivered to ' || substr(state, 18), state = 'delivery_failed' WHERE substr(state, 1, 17) = 'delivery_failed: ';
UPDATE message_transport SET reason = substr(state, 14), state = 'undelivered' WHERE substr(state, 1, 13) = 'undelivered: ';
CREATE INDEX message_transport_state ON message_transport (state, sequence);
-- One 01 ("received") per document we received and agency that sent it: the reply is
-- built when the assignment is applied, and an apply replayed after a crash, or by
-- another daemon, must find the first one instead of sending a second.
CREATE UNIQUE INDEX messages_one_received_reply ON messages (document_id, to_agencies)
    WHERE direction = 'outbound' AND kind = 'status' AND status_code = '01';
