#!/usr/bin/env bash
# Backups and restores of an SQLite store, against two real daemons and the axis
# simulator: H20's store is copied while its daemon runs (SQLite's online backup API);
# the copy restores into a fresh path with both chains intact and the heads the backup
# printed; a restore over a store that holds a log needs --replace; a file that is not a
# database, a backup of a newer schema and a PostgreSQL store are refused with words; an
# older database is refused by `run` until `run --migrate` or `connector migrate`.
#
#   backup_restore.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=sqlite
rm -rf "$work" && mkdir -p "$work"
source "$source_dir/tests/e2e/common.sh"

fail() { fail_with_logs "$@"; }
trap stop_pids EXIT

start_axis_sim
for side in "g22 000.00.00.G22 Văn_phòng_Chính_phủ g22" "h20 000.00.00.H20 UBND_tỉnh_Đồng_Tháp h20"; do
    read -r name code agency key <<< "$side"
    write_config "$name" "$code" "${agency//_/ }" "$name.secret" "$key" << CONF
poll.interval_ms = 200
retry.base_ms = 0
retry.cap_ms = 0
CONF
    run_daemon "$name"
done
g22_assigns_to_h20 31 2

# Online: the daemon keeps running (and writing) while its store is copied.
"$connector" backup --config "$work/h20.conf" --out "$work/h20-backup.db" > "$work/backup.txt" \
    || fail "backup: $(cat "$work/backup.txt")"
grep -q "^backed up sqlite3:$work/h20.db to $work/h20-backup.db" "$work/backup.txt" \
    || fail "backup said: $(cat "$work/backup.txt")"
head_line=$(grep "^messages head " "$work/backup.txt") || fail "no head in: $(cat "$work/backup.txt")"
head=${head_line#messages head }
[[ ${head%%:*} -ge 1 ]] || fail "the backup holds no message: $head_line"
[[ ! -e "$work/h20-backup.db.partial" ]] || fail "the partial copy was left behind"

# Restored into a fresh path: both chains intact, ending where the backup said.
"$connector" restore --from "$work/h20-backup.db" --store "sqlite3:$work/restored/h20.db" \
    > "$work/restore.txt" || fail "restore: $(cat "$work/restore.txt")"
grep -q "^messages: OK, " "$work/restore.txt" || fail "restore: $(cat "$work/restore.txt")"
grep -q "^audit_events: OK, " "$work/restore.txt" || fail "restore: $(cat "$work/restore.txt")"
"$connector" audit verify-chain --store "sqlite3:$work/restored/h20.db" --expect-head "$head" \
    > "$work/verify.txt" || fail "the restored chain does not end at $head: $(cat "$work/verify.txt")"

# Over a store that holds a log: refused without --replace, and the store is untouched.
if "$connector" restore --from "$work/h20-backup.db" --config "$work/g22.conf" \
    > /dev/null 2> "$work/refused.txt"; then
    fail "a restore over G22's live store was accepted"
fi
grep -q "holds a log already.*--replace" "$work/refused.txt" || fail "refusal: $(cat "$work/refused.txt")"
"$connector" audit verify-chain --config "$work/g22.conf" > /dev/null || fail "G22's store was touched"

# What is not a backup.
echo "không phải cơ sở dữ liệu" > "$work/not-a-database.db"
if "$connector" restore --from "$work/not-a-database.db" --store "sqlite3:$work/x.db" \
    > /dev/null 2> "$work/refused.txt"; then
    fail "a text file was restored"
fi
grep -q "is not an SQLite database" "$work/refused.txt" || fail "refusal: $(cat "$work/refused.txt")"
[[ ! -e "$work/x.db" ]] || fail "a refused restore created the target"
cp "$work/h20-backup.db" "$work/newer.db"
sqlite3 "$work/newer.db" "INSERT INTO schema_version (version, applied_at) VALUES (999, 'later')"
if "$connector" restore --from "$work/newer.db" --store "sqlite3:$work/y.db" \
    > /dev/null 2> "$work/refused.txt"; then
    fail "a newer schema was restored"
fi
grep -q "schema version 999, newer than this connector" "$work/refused.txt" \
    || fail "refusal: $(cat "$work/refused.txt")"
if "$connector" backup --store "postgresql://connector@127.0.0.1:1/none" --out "$work/pg.db" \
    > /dev/null 2> "$work/refused.txt"; then
    fail "a PostgreSQL backup was attempted"
fi
grep -q "pg_dump" "$work/refused.txt" || fail "refusal: $(cat "$work/refused.txt")"
if "$connector" backup --config "$work/h20.conf" > /dev/null 2> "$work/refused.txt"; then
    fail "a backup without --out"
fi
grep -q "\-\-out FILE is missing" "$work/refused.txt" || fail "refusal: $(cat "$work/refused.txt")"

# An older database: `run` refuses it, naming the way; `run --migrate` upgrades it.
"$connector" restore --from "$work/h20-backup.db" --store "sqlite3:$work/older/h20.db" > /dev/null
# As the release before migrations 0014-0016 left it (0014 and 0015 are derived data;
# 0016's columns are empty here).
sqlite3 "$work/older/h20.db" "DROP TABLE message_agencies; DROP INDEX messages_by_kind;
    DROP TRIGGER message_tallied; DROP TABLE message_tallies; DROP INDEX tasks_by_update;
    ALTER TABLE tasks DROP COLUMN expected_result; ALTER TABLE api_clients DROP COLUMN expires_at;
    DELETE FROM schema_version WHERE version >= 14"
sed "s|^store.url = .*|store.url = sqlite3:$work/older/h20.db|" \
    "$work/h20.conf" > "$work/older.conf"
if "$connector" run --config "$work/older.conf" --once > /dev/null 2> "$work/refused.txt"; then
    fail "run started on an older schema without --migrate"
fi
grep -q "connector backup.*connector migrate.*run --migrate" "$work/refused.txt" \
    || fail "refusal: $(cat "$work/refused.txt")"
"$connector" migrate --store "sqlite3:$work/older/h20.db" > "$work/migrate.txt"
grep -q "^schema migrated from version 13 to " "$work/migrate.txt" \
    || fail "migrate: $(cat "$work/migrate.txt")"
# The agencies were split from the log again: what G22 sent is found by its sender.
from_g22=$("$connector" audit messages --agency 000.00.00.G22 --direction inbound --json \
    --config "$work/older.conf" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['total'])")
[[ $from_g22 -ge 1 ]] || fail "after the upgrade no message from G22 is found ($from_g22)"
"$connector" audit verify-chain --store "sqlite3:$work/older/h20.db" --expect-head "$head" \
    > /dev/null || fail "the upgraded copy's chain"
echo "backup_restore: all checks passed"
