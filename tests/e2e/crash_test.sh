#!/usr/bin/env bash
# Crash safety with real processes: two connector daemons exchange 200 tasks through the
# axis simulator while they are killed with SIGKILL again and again (named crash points
# between storing and acknowledging, sending and recording, logging and queueing,
# applying and completing, then at random moments) and restarted. Each named point must
# fire (the daemon logs event=CRASH_POINT_REACHED as it dies), or the test fails. At the end nothing is
# lost (200 tasks on each side, every 01 and every report arrived), nothing is applied
# twice (one assignment event per task, no status or report twice), and both message
# logs verify.
#
#   crash_test.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR [sqlite|postgresql PG_URL_FILE]
#
# With FAULTS=1 the simulator also answers 500, drops connections before and after the
# work, offers duplicates, malforms answers and lists statuses newest first while the
# daemons are being killed; the faults are switched off before the final checks.
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=${5:-sqlite} pg_url_file=${6:-}
rm -rf "$work" && mkdir -p "$work"
tasks_total=200 reports_total=50 kills_wanted=24

fail() {
    echo "FAIL: $*"
    tail -n 5 "$work"/*.log || true
    exit 1
}

query() {  # name sql: one value per line
    local url
    url=$(grep '^store.url' "$work/$1.conf" | cut -d' ' -f3)
    if [[ $backend == postgresql ]]; then
        psql "$url" -At -c "$2"
    else
        sqlite3 -cmd ".timeout 10000" "${url#sqlite3:}" "$2"
    fi
}

source "$(dirname "$0")/common.sh"
settings="poll.interval_ms = 100
retry.base_ms = 50
retry.cap_ms = 500
worker.lease_ms = 1500
worker.pass_lease_ms = 1500"
write_config g22 000.00.00.G22 "Văn phòng Chính phủ" g22.secret g22 <<< "$settings"
write_config h20 000.00.00.H20 "Ủy ban nhân dân tỉnh Đồng Tháp" h20.secret h20 <<< "$settings"

# The axis simulator is its own executable (samples/axis-sim), not part of the connector.
axis_sim=${AXIS_SIM:-$(dirname "$connector")/../../samples/axis-sim/axis-sim}
coproc SIM { exec "$axis_sim" --config "$source_dir/samples/axis-sim/axis-sim.json" \
    --port 0 --database "$work/axis-sim.db"; }
sim_pid=$SIM_PID
declare -A daemon=()
stop_all() {
    for side in "${!daemon[@]}"; do
        kill "${daemon[$side]}" 2>/dev/null || true
        wait "${daemon[$side]}" 2>/dev/null || true
    done
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
}
trap stop_all EXIT
read -r line <&"${SIM[0]}"
export CONNECTOR_AXIS_BASE_URL=${line##* }
set_faults() {  # JSON
    local root=${CONNECTOR_AXIS_BASE_URL%/XrdAdapter/adapter}
    curl --silent --show-error --fail -X PUT \
        -H "Authorization: Bearer $(cat "$source_dir/samples/axis-sim/secrets/admin.token")" \
        --data "$1" "$root/admin/faults" > /dev/null
}
if [[ ${FAULTS:-0} == 1 ]]; then
    set_faults '{"http_500_rate": 0.15, "drop_before_rate": 0.05, "drop_after_rate": 0.1,
                 "duplicate_rate": 0.3, "malformed_json_rate": 0.05,
                 "out_of_order_statuses": true, "seed": 17}'
fi

alive() {  # side
    [[ -n ${daemon[$1]:-} ]] && kill -0 "${daemon[$1]}" 2>/dev/null
}
kill_hard() {  # side
    kill -KILL "${daemon[$1]}" 2>/dev/null || true
    wait "${daemon[$1]}" 2>/dev/null || true
}
start() {  # side [crash point]: a fresh daemon for that side, the previous one stopped
    if alive "$1"; then
        kill_hard "$1"
    fi
    CONNECTOR_CRASH_AT=${2:-} "$connector" run --config "$work/$1.conf" 2>> "$work/$1.log" &
    daemon[$1]=$!
}

# 20 assignments of 10 tasks to the province's departments.
for ((a = 1; a <= tasks_total / 10; a++)); do
    assignment_json "$a" 10 > "$work/assignment-$a.json"
    if ((a == tasks_total / 10)); then
        # The last one dies between logging and queueing, inside its unit of work: it
        # leaves nothing behind (no log entry, no task), and the caller, who had no
        # answer, tries again.
        status=0
        CONNECTOR_CRASH_AT=outbound.logged "$connector" task assign "$work/assignment-$a.json" \
            --config "$work/g22.conf" > /dev/null 2>&1 || status=$?
        [[ $status == 137 ]] || fail "the assignment did not stop at its crash point ($status)"
        left=$(query g22 "SELECT count(*) FROM messages")
        [[ $left == $((a - 1)) ]] || fail "the cut-short assignment left $left log entries, not $((a - 1))"
        left=$(query g22 "SELECT count(*) FROM tasks")
        [[ $left == $(((a - 1) * 10)) ]] || fail "the cut-short assignment left $left tasks"
        "$connector" task assign "$work/assignment-$a.json" --config "$work/g22.conf" > /dev/null \
            || fail "assignment $a not queued on its second try"
    else
        "$connector" task assign "$work/assignment-$a.json" --config "$work/g22.conf" > /dev/null \
            || fail "assignment $a not queued"
    fi
done

kills=1
fired() {  # side point: how often the side's daemons said they died at that point
    grep -c "event=CRASH_POINT_REACHED point=$2\$" "$work/$1.log" || true
}
# First, each named crash point at least once, on the side where the step happens. A point
# must fire (the daemon says so as it dies): up to three tries each, else the test fails.
# (In the order work reaches them: H20 logs its 01s while it applies the assignments.)
for spec in g22:outbound.sent h20:inbound.fetched h20:inbound.stored h20:outbound.logged \
            h20:inbound.applied h20:outbound.sent g22:inbound.stored g22:inbound.applied; do
    side=${spec%%:*} point=${spec#*:}
    other=$([[ $side == g22 ]] && echo h20 || echo g22)
    before=$(fired "$side" "$point")
    for try in 1 2 3; do
        alive "$other" || start "$other"
        start "$side" "$point:$((try == 1 ? RANDOM % 3 + 1 : 1))"
        # The daemon kills itself at the crash point; if no work reaches it, we do.
        for _ in $(seq 100); do
            alive "$side" || break
            sleep 0.1
        done
        kill_hard "$side"
        kills=$((kills + 1))
        (($(fired "$side" "$point") > before)) && break
    done
    (($(fired "$side" "$point") > before)) || fail "crash point $point never fired on $side"
    # The report phase needs received tasks: queue some reports once the province has them.
    if [[ $spec == h20:inbound.applied ]]; then
        start h20
        for _ in $(seq 300); do
            [[ $(query h20 "SELECT count(*) FROM tasks") == "$tasks_total" ]] && break
            sleep 0.2
        done
        kill_hard h20
        for code in $(query h20 "SELECT task_code FROM tasks ORDER BY task_code LIMIT $reports_total"); do
            "$connector" task report "$code" --status 05 --progress 30 --config "$work/h20.conf" \
                > /dev/null 2>> "$work/reports.err" || true
        done
    fi
done
# Then at random moments, either side.
while ((kills < kills_wanted)); do
    for side in g22 h20; do
        alive "$side" || start "$side"
    done
    sleep "0.$((RANDOM % 6 + 1))"
    side=$([[ $((RANDOM % 2)) == 0 ]] && echo g22 || echo h20)
    kill_hard "$side"
    kills=$((kills + 1))
done
for side in g22 h20; do
    alive "$side" || start "$side"
done
if [[ ${FAULTS:-0} == 1 ]]; then
    set_faults '{"http_500_rate": 0, "drop_before_rate": 0, "drop_after_rate": 0,
                 "duplicate_rate": 0, "malformed_json_rate": 0, "out_of_order_statuses": false}'
fi

converged() {
    [[ $(query h20 "SELECT count(*) FROM tasks") == "$tasks_total" &&
       $(query g22 "SELECT count(*) FROM tasks WHERE status_code = '01'") == \
           $((tasks_total - reports_total)) &&
       $(query g22 "SELECT count(*) FROM tasks WHERE status_code = '05' AND progress = 30") == \
           "$reports_total" ]]
}
for _ in $(seq 600); do
    converged && break
    sleep 0.2
done
converged || fail "no convergence: h20 $(query h20 "SELECT count(*) FROM tasks") tasks, g22 \
$(query g22 "SELECT status_code || ':' || count(*) FROM tasks GROUP BY status_code")"

# Nothing lost, nothing twice.
[[ $(query g22 "SELECT count(*) FROM tasks") == "$tasks_total" ]] || fail "g22 task count"
for side in g22 h20; do
    twice=$(query "$side" "SELECT task_code || ' ' || kind FROM task_events WHERE kind IN
        ('assigned', 'status', 'report', 'reported') GROUP BY task_code, kind, detail
        HAVING count(*) > 1 LIMIT 5")
    [[ -z $twice ]] || fail "$side applied twice: $twice"
done
[[ $(query h20 "SELECT count(*) FROM tasks WHERE status_code = '05'") == "$reports_total" ]] \
    || fail "h20 report count"
stop_all
trap - EXIT
if leaked=$(pgrep -f "run --config $work/"); then
    fail "daemons left running: $leaked"
fi
for side in g22 h20; do
    url=$(grep '^store.url' "$work/$side.conf" | cut -d' ' -f3)
    "$connector" audit verify-chain --store "$url" > "$work/chain-$side.txt" \
        || fail "$side chain: $(cat "$work/chain-$side.txt")"
done
echo "crash test passed ($backend${FAULTS:+, faults $FAULTS}): $kills kills, 0 lost, 0 duplicated, chains intact"
