-- 0005: the engine, second edition (issue 14). Several daemons (and the CLI) may write one
-- database: the numbers of the documents we originate come from one shared counter (it
-- was the message-log head + 1, which two writers could read at once), and unique keys
-- make the rules hold even where the code is wrong: a knobstick is logged once, and a
-- document we originate (business type 0: an assignment, a report, a document) once.
-- The passes that no two daemons should run at once (the poll of a message type,
-- delivery tracking, a webhook target's dispatch) take turns under named leases.
-- A database that already holds such doubles stops here with the database's error; the
-- queries in docs/store.md list them.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
-- Numbers given before were at most the head + 1 of their time: start past every one.
INSERT INTO counters (name, value) SELECT 'document_number', COALESCE(MAX(sequence), 0) + 1 FROM messages;
CREATE UNIQUE INDEX messages_inbound_knobstick ON messages (knobstick_id)
    WHERE direction = 'inbound' AND knobstick_id <> '';
CREATE UNIQUE INDEX messages_originated_document ON messages (document_id)
    WHERE direction = 'outbound' AND kind = 'edoc' AND business_type = 0;
CREATE TABLE pass_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
-- The webhook targets served so far: only the first start for a target skips what was
-- already in the feed (a restarted or second daemon, before anything was delivered,
-- skipped every event until then).
CREATE TABLE webhook_targets (
    target TEXT PRIMARY KEY,
    first_served_after INTEGER NOT NULL
);
