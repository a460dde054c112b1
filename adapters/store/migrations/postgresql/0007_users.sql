-- 0007: the people who log in to the pages (issue 15). A password is kept only as a
-- PBKDF2 hash (connector/password.hpp); a clerk's units are the agency codes whose tasks
-- they see and act on (lead or coordinating); a leader, an auditor and an admin see the
-- whole agency. A user is disabled, never deleted, so that the audit chain's entries
-- keep naming someone. failed_logins and locked_until serve the login's lockout.
-- 0001 made a users table that nothing ever wrote (no command, no route): replaced.
DROP TABLE users;
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('clerk', 'leader', 'auditor', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    disabled_at TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE user_units (
    user_name TEXT NOT NULL REFERENCES users (name),
    agency_code TEXT NOT NULL,
    PRIMARY KEY (user_name, agency_code)
);
