-- 0015: how many packages the log holds by direction, kind, business type and verdict,
-- kept by the database with each entry (a trigger), so that GET /metrics reads a few rows
-- instead of counting a log of millions at every scrape, and every daemon of one database
-- reports the same totals. Backfilled from the log.
CREATE TABLE message_tallies (
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    business_type INTEGER NOT NULL,
    signature_verdict TEXT NOT NULL,
    entries BIGINT NOT NULL,
    PRIMARY KEY (direction, kind, business_type, signature_verdict)
);
INSERT INTO message_tallies (direction, kind, business_type, signature_verdict, entries) SELECT direction, kind, business_type, signature_verdict, COUNT(*) FROM messages GROUP BY direction, kind, business_type, signature_verdict;
CREATE FUNCTION message_tallied() RETURNS trigger AS $$ BEGIN INSERT INTO message_tallies (direction, kind, business_type, signature_verdict, entries) VALUES (NEW.direction, NEW.kind, NEW.business_type, NEW.signature_verdict, 1) ON CONFLICT (direction, kind, business_type, signature_verdict) DO UPDATE SET entries = message_tallies.entries + 1; RETURN NULL; END $$ LANGUAGE plpgsql;
CREATE TRIGGER message_tallied AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION message_tallied();
