#!/usr/bin/env bash
# End to end with real processes: the axis simulator and two connectors (G22 assigns,
# H20 carries out), each `connector run --once` pass a separate process, real HTTP,
# real signatures required on both sides. The seed plan's 13 tasks go to the province,
# 01 comes back for all, each task's report (05 with its own progress) comes back, then
# a progress-only report and the completion (06) of one task, and a clean SIGTERM stop.
#
#   two_connectors.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR [sqlite|postgresql PG_URL_FILE]
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=${5:-sqlite} pg_url_file=${6:-}
rm -rf "$work" && mkdir -p "$work"

source "$(dirname "$0")/common.sh"
settings="retry.base_ms = 0
retry.cap_ms = 0
units.table = $source_dir/config/units-dong-thap.tsv
verify.crl = $pki/crls
audit.checkpoint_every_entries = 5"
write_config g22 000.00.00.G22 "Văn phòng Chính phủ" g22.secret g22 \
    <<< "$settings"$'\n'"audit.checkpoint_file = $work/g22-checkpoints.log"
write_config h20 000.00.00.H20 "Ủy ban nhân dân tỉnh Đồng Tháp" h20.secret h20 \
    <<< "$settings"$'\n'"audit.checkpoint_file = $work/h20-checkpoints.log"

# The axis simulator is its own executable (samples/axis-sim), not part of the connector.
axis_sim=${AXIS_SIM:-$(dirname "$connector")/../../samples/axis-sim/axis-sim}
coproc SIM { exec "$axis_sim" --config "$source_dir/samples/axis-sim/axis-sim.json" \
    --port 0 --database ''; }
sim_pid=$SIM_PID
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true' EXIT
read -r line <&"${SIM[0]}"
export CONNECTOR_AXIS_BASE_URL=${line##* }

fail() { echo "FAIL: $*"; exit 1; }
passes() {  # count: both connectors, one `run --once` each
    for ((i = 0; i < $1; i++)); do
        "$connector" run --once --config "$work/g22.conf" 2>> "$work/g22.log"
        "$connector" run --once --config "$work/h20.conf" 2>> "$work/h20.log"
    done
}
tasks() {  # name: code<TAB>status<TAB>progress for each task
    "$connector" task list --config "$work/$1.conf" | cut -f1,3,4
}

"$connector" import-plan "$source_dir/samples/plans/ke-hoach-1012-phu-luc.tsv" --number 125 \
    --notation TB-VPCP --config "$work/g22.conf" > "$work/import.out" 2> "$work/import.err"
grep -q "^13 task(s) read, 0 row(s) refused" "$work/import.out" || fail "import: $(cat "$work/import.out")"
passes 3
[[ $(tasks h20 | wc -l) == 13 ]] || fail "the province has $(tasks h20 | wc -l) tasks"
[[ $(tasks g22 | cut -f2 | sort -u) == 01 ]] || fail "the office's tasks are not all at 01: $(tasks g22)"
[[ $(tasks h20 | cut -f2 | sort -u) == 01 ]] || fail "the province's tasks are not all at 01"
! grep -q "refused" "$work/g22.log" "$work/h20.log" || fail "a package was refused: $(grep refused "$work"/*.log)"

# Every task's status and progress comes back: each one reported at 05 with its own
# progress, in one batch, then carried by the daemons.
n=0
for each in $(tasks h20 | cut -f1); do
    n=$((n + 1))
    "$connector" task report "$each" --status 05 --progress $((n * 5)) --config "$work/h20.conf" \
        > /dev/null || fail "report on $each not queued"
done
passes 2
n=0
for each in $(tasks h20 | cut -f1); do
    n=$((n + 1))
    [[ $(tasks g22 | grep -F "$each" | cut -f2,3) == "05"$'\t'"$((n * 5))%" ]] \
        || fail "$each at the office: $(tasks g22 | grep -F "$each")"
done

code=$(tasks h20 | cut -f1 | grep '#III.3$')
"$connector" task report "$code" --progress 60 --note "Đã kết nối thử nghiệm" \
    --config "$work/h20.conf" > /dev/null
passes 2
"$connector" task show "$code" --config "$work/g22.conf" > "$work/show.txt"
grep -q "Trạng thái:  05 Đang xử lý" "$work/show.txt" || fail "no 05 at the office: $(cat "$work/show.txt")"
grep -q "Tiến độ:     60%: Đã kết nối thử nghiệm" "$work/show.txt" || fail "no progress at the office"

"$connector" task report "$code" --status 06 --config "$work/h20.conf" > /dev/null
passes 2
[[ $(tasks g22 | grep "#III.3" | cut -f2,3) == $'06\t100%' ]] || fail "not completed at the office"

# A report that would move the task backwards is refused locally, naming why.
status=0
"$connector" task report "$code" --status 05 --config "$work/h20.conf" 2> "$work/err" || status=$?
[[ $status == 2 ]] && grep -q "the task is closed" "$work/err" || fail "05 after 06: exit $status"

# Điều chỉnh: the office moves a deadline (business type 2); the province's task takes it
# and keeps its status. The province cannot amend a task it was given, nor a bad date pass.
first=$(tasks g22 | cut -f1 | grep '#I.1$')
"$connector" task amend "$first" --due 2026-03-31 --due-text "Quý I năm 2026" \
    --reason "Đẩy nhanh tiến độ" --config "$work/g22.conf" > "$work/amend.out" \
    || fail "amend: $(cat "$work/amend.out")"
grep -q "^amendment queued as message" "$work/amend.out" || fail "amend: $(cat "$work/amend.out")"
passes 2
"$connector" task show "$first" --config "$work/h20.conf" > "$work/show-amended.txt"
grep -q "Hạn:         2026/03/31 (Quý I năm 2026)" "$work/show-amended.txt" \
    || fail "not amended at the province: $(cat "$work/show-amended.txt")"
grep -q "Trạng thái:  05" "$work/show-amended.txt" || fail "the amendment moved the status"
for attempt in "h20 --due 2026-04-30" "g22 --due 31/04/2026"; do
    set -- $attempt
    status=0
    "$connector" task amend "$first" "${@:2}" --config "$work/$1.conf" 2> "$work/err" || status=$?
    [[ $status == 2 ]] || fail "amend $attempt: exit $status"
done
grep -q "'31/04/2026' is not a date" "$work/err" || fail "bad date: $(cat "$work/err")"

# Both logs hold against the signed checkpoints each pass wrote outside the database
# (--config: the store, the checkpoint file and the signing certificate of that side).
for name in g22 h20; do
    "$connector" audit verify-chain --config "$work/$name.conf" > "$work/chain-$name.txt" \
        || fail "$name chain: $(cat "$work/chain-$name.txt")"
    grep -q "^checkpoints: [1-9][0-9]* signed by" "$work/chain-$name.txt" \
        || fail "$name: no signed checkpoints: $(cat "$work/chain-$name.txt")"
done
if [[ $backend == sqlite ]]; then
    # The tail of H20's log cut off and the head moved back: the chain alone still holds,
    # the checkpoints do not.
    cp "$work/h20.db" "$work/h20-cut.db"
    sqlite3 "$work/h20-cut.db" "DELETE FROM message_transport WHERE sequence > 3;
        DELETE FROM task_events WHERE message_sequence > 3;
        DELETE FROM messages WHERE sequence > 3;
        UPDATE chain_heads SET sequence = 3,
            hash = (SELECT entry_hash FROM messages WHERE sequence = 3) WHERE chain = 'messages';"
    "$connector" audit verify-chain --store "sqlite3:$work/h20-cut.db" > "$work/cut.txt" \
        || fail "the cut chain alone should hold: $(cat "$work/cut.txt")"
    status=0
    "$connector" audit verify-chain --store "sqlite3:$work/h20-cut.db" \
        --checkpoints "$work/h20-checkpoints.log" --cert "$pki/h20.pem" > "$work/cut.txt" || status=$?
    [[ $status == 1 ]] && grep -q "(truncated)" "$work/cut.txt" \
        || fail "truncation not detected (exit $status): $(cat "$work/cut.txt")"
    # Checkpoints signed by another key are refused.
    status=0
    "$connector" audit verify-chain --store "sqlite3:$work/h20.db" \
        --checkpoints "$work/h20-checkpoints.log" --cert "$pki/g22.pem" > "$work/wrong.txt" || status=$?
    [[ $status == 1 ]] && grep -q "is not signed by" "$work/wrong.txt" \
        || fail "a foreign checkpoint signer was accepted (exit $status): $(cat "$work/wrong.txt")"
fi
# A running daemon stops cleanly on SIGTERM, within its grace time.
"$connector" run --config "$work/g22.conf" 2> "$work/daemon.log" &
daemon=$!
for _ in $(seq 100); do
    grep -q "event=DAEMON_STARTED" "$work/daemon.log" && break
    sleep 0.1
done
# SIGHUP reads the configuration, the anchors and CRLs again and does not stop the daemon
# (tests/cli/reload.sh tests what it reloads and refuses).
kill -HUP "$daemon"
for _ in $(seq 100); do
    grep -q "event=CONFIG_RELOADED" "$work/daemon.log" && break
    sleep 0.1
done
grep -q 'event=CONFIG_RELOADED .*applied="[1-9] trust anchor(s), [0-9]* CRL(s)' "$work/daemon.log" \
    || fail "SIGHUP did not reload the anchors and CRLs: $(tail -3 "$work/daemon.log")"
kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
[[ $status == 0 ]] && grep -q "event=DAEMON_STOPPED" "$work/daemon.log" \
    || fail "the daemon did not stop cleanly (exit $status): $(tail -3 "$work/daemon.log")"

echo "all checks passed ($backend)"
