-- 0004: trust (issue 12). The agency a message's signing certificate maps to (part of
-- the chained fields), a version per task so that a read-modify-write that lost a race
-- is refused instead of overwriting, and the signed checkpoints of each chain head.
ALTER TABLE messages ADD COLUMN signer_agency TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE chain_checkpoints (
    id BIGSERIAL PRIMARY KEY,
    chain TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    hash TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    signer TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX chain_checkpoints_by_chain ON chain_checkpoints (chain, sequence);
