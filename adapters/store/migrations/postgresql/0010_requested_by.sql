-- 0010: who asked for each package we send (issue 15: the task page's history names
-- the user or API client behind every action). Part of the chained fields when set.
ALTER TABLE messages ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
