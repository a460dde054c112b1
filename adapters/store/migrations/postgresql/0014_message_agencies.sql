-- 0014: every agency a logged message names, its sender and each of its recipients, in a
-- row of its own, so that the auditors' search by agency walks one index newest first
-- (and stops at a page) instead of matching a pattern against every row's
-- comma-separated to_agencies. Written with the message (insert_message); the rows
-- already logged are split here as connector::recipients_of splits them (on ',',
-- trimmed, empty parts dropped). Derived data, outside the chain and without a foreign
-- key: the tampering tests delete log rows as an intruder would, and the chain, not this
-- table, is what must notice.
CREATE TABLE message_agencies (
    agency TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    PRIMARY KEY (agency, sequence)
);
INSERT INTO message_agencies (agency, sequence)
SELECT from_agency, sequence FROM messages WHERE from_agency <> ''
UNION
SELECT trim(code), sequence FROM messages, unnest(string_to_array(to_agencies, ',')) AS code WHERE trim(code) <> '';
CREATE INDEX messages_by_kind ON messages (kind, sequence);
ANALYZE;
