-- 0008: the pages' login sessions and the task search (issue 15). The cookie holds a
-- random id of which only the SHA-256 is kept, as for API tokens; the CSRF token is sent
-- back on every write. A session ends at logout, when its user is disabled or given a
-- new password, or when the server finds it idle or old (its settings, against
-- last_seen_at and created_at). Ended and stale rows are deleted as new sessions begin.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX sessions_of_user ON sessions (user_name);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);
-- The task search ignores case and diacritics ("qua han" finds "quá hạn") the same way on
-- both stores: the store writes each task's folded text (connector/search_text.hpp) here,
-- and fills it for the tasks already stored as this migration is applied.
ALTER TABLE tasks ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
