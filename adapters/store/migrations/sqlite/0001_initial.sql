-- 0001: the initial schema (SQLite). One statement per ';' at a line end.
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);
-- The head of each hash chain: appends lock it, so entries get gapless sequences.
CREATE TABLE chain_heads (
    chain TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_heads (chain, sequence, hash) VALUES
    ('messages', 0, '0000000000000000000000000000000000000000000000000000000000000000'),
    ('audit_events', 0, '0000000000000000000000000000000000000000000000000000000000000000');
-- The append-only message log: rows are never updated (see message_transport).
CREATE TABLE messages (
    sequence INTEGER PRIMARY KEY,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    business_type INTEGER NOT NULL,
    document_id TEXT NOT NULL,
    knobstick_id TEXT NOT NULL,
    from_agency TEXT NOT NULL,
    to_agencies TEXT NOT NULL,
    status_code TEXT NOT NULL,
    subject TEXT NOT NULL,
    raw_base64 TEXT NOT NULL,
    raw_sha256 TEXT NOT NULL,
    raw_size INTEGER NOT NULL,
    signature_verdict TEXT NOT NULL,
    signer TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE INDEX messages_document_id ON messages (document_id);
CREATE INDEX messages_knobstick_id ON messages (knobstick_id);
CREATE TABLE message_transport (
    sequence INTEGER PRIMARY KEY REFERENCES messages (sequence),
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE audit_events (
    sequence INTEGER PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    created_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX outbox_pending ON outbox (state, id);
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    created_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX inbox_pending ON inbox (state, id);
CREATE TABLE agencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT,
    code_qd20 TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE tasks (
    task_code TEXT PRIMARY KEY,
    source_document_id TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    issuer TEXT NOT NULL,
    due_date TEXT,
    due_text TEXT NOT NULL DEFAULT '',
    priority INTEGER NOT NULL DEFAULT 0,
    progress INTEGER NOT NULL DEFAULT 0,
    status_code TEXT NOT NULL DEFAULT '',
    status_rank INTEGER NOT NULL DEFAULT 0,
    completion_date TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE task_assignees (
    task_code TEXT NOT NULL REFERENCES tasks (task_code),
    organ_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (task_code, organ_id, name)
);
CREATE TABLE task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_code TEXT NOT NULL REFERENCES tasks (task_code),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    message_sequence INTEGER REFERENCES messages (sequence),
    recorded_at TEXT NOT NULL
);
CREATE TABLE backend_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES backend_events (id),
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE api_clients (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
