#!/usr/bin/env bash
# Migration 0006 (issue 14) takes the free transport strings of before apart: a SQLite
# database at version 5 holding every old form is migrated by `connector migrate`, and
# each row comes out as a state name with its reason and knobstick in their own columns.
#
#   migration_0006.sh CONNECTOR SOURCE_DIR WORK_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
db=$work/v5.db
for n in 0001_initial 0002_task_state 0003_backend_api 0004_trust 0005_engine; do
    sqlite3 "$db" < "$source_dir/adapters/store/migrations/sqlite/$n.sql" || fail "applying $n"
    sqlite3 "$db" "INSERT INTO schema_version (version, applied_at) VALUES (${n:3:1}, 'then')"
done
# The states as versions 1-5 wrote them (foreign keys are not checked by the sqlite3 CLI:
# the rows stand alone).
sqlite3 "$db" "INSERT INTO message_transport (sequence, state, updated_at) VALUES
    (1, 'queued', 't'), (2, 'sent abc123', 't'), (3, 'delivered abc124', 't'),
    (4, 'failed: not sent: the axis refused it: unknown agency', 't'),
    (5, 'refused: signature invalid', 't'), (6, 'delivery_failed: 000.00.00.H20 (abc125)', 't'),
    (7, 'undelivered: not delivered: no acknowledgement within 259200 s (abc126)', 't'),
    (8, 'applied', 't'), (9, 'duplicate', 't'), (10, 'retry_wait', 't')"
"$connector" migrate --store "sqlite3:$db" > "$work/migrate.out" 2>&1 || fail "migrate: $(cat "$work/migrate.out")"
got=$(sqlite3 -separator '|' "$db" "SELECT sequence, state, reason, knobstick FROM message_transport ORDER BY sequence")
expected="1|queued||
2|sent||abc123
3|delivered||abc124
4|failed|not sent: the axis refused it: unknown agency|
5|refused|signature invalid|
6|delivery_failed|not delivered to 000.00.00.H20 (abc125)|
7|undelivered|not delivered: no acknowledgement within 259200 s (abc126)|
8|applied||
9|duplicate||
10|retry_wait||"
[[ "$got" == "$expected" ]] || fail "migrated rows differ:
$got
expected:
$expected"
(($(sqlite3 "$db" "SELECT max(version) FROM schema_version") >= 6)) || fail "not at version 6 or later"
echo "migration 0006 passed: 10 transport rows taken apart"
