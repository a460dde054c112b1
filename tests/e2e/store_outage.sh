#!/usr/bin/env bash
# The database goes away under running daemons and comes back (issue 14). Before, a
# PostgreSQL restart of 0.3 s ended every daemon (status 1, "the supervisor restarts
# us", and none is shipped), and a daemon started while the database was down exited
# with status 2, as for a wrong configuration. Now, on a private PostgreSQL server:
#   - G22 and H20 run; the server stops: both stay up, G22's /readyz says the store is
#     away (503), and the log says so;
#   - H20, stopped meanwhile, is started while the server is down: it waits;
#   - the server comes back: G22 is ready again by itself, H20 starts, and a plan G22
#     assigns then reaches H20 and comes back acknowledged (01);
#   - both stop cleanly on SIGTERM (status 0).
#
#   store_outage.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4
rm -rf "$work" && mkdir -p "$work"
fixture="$source_dir/tests/support/postgresql-fixture.sh"
pg_dir="$work/pg"
daemons=()
cleanup() {
    for pid in "${daemons[@]}" ${sim_pid:-}; do
        kill "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
    done
    "$fixture" stop "$pg_dir" > /dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
wait_seconds=60  # for `eventually` (common.sh)

"$fixture" start "$pg_dir" > /dev/null
backend=postgresql pg_url_file="$pg_dir/url"
source "$(dirname "$0")/common.sh"

# The axis simulator is its own executable (samples/axis-sim), not part of the connector.
axis_sim=${AXIS_SIM:-$(dirname "$connector")/../../samples/axis-sim/axis-sim}
coproc SIM { exec "$axis_sim" --config "$source_dir/samples/axis-sim/axis-sim.json" \
    --port 0 --database ''; }
sim_pid=$SIM_PID
read -r line <&"${SIM[0]}"
export CONNECTOR_AXIS_BASE_URL=${line##* }

settings="poll.interval_ms = 200
retry.base_ms = 0
retry.cap_ms = 0
units.table = $source_dir/config/units-dong-thap.tsv
http.listen = 127.0.0.1:0"
write_config g22 000.00.00.G22 "Văn phòng Chính phủ" g22.secret g22 <<< "$settings"
write_config h20 000.00.00.H20 "Ủy ban nhân dân tỉnh Đồng Tháp" h20.secret h20 <<< "$settings"

start_daemon() {  # name: runs `connector run`, its log in WORK/name.log
    "$connector" run --config "$work/$1.conf" 2>> "$work/$1.log" &
    daemons+=($!)
    eval "${1}_pid=$!"
}
api_url() { sed -n 's/.*event=HTTP_STARTED url=\([^ ]*\).*/\1/p' "$work/$1.log" | tail -n 1; }
ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$(api_url "$1")/readyz") == 200 ]]; }
not_ready_for_the_store() {
    curl -s "$(api_url "$1")/readyz" > "$work/readyz.json" || return 1
    grep -q '"store: the daemon cannot reach it and retries by itself' "$work/readyz.json" &&
        ! grep -q "127.0.0.1" "$work/readyz.json"  # no host, port or database text
}
logged() { grep -q "event=$2" "$work/$1.log"; }
alive() { kill -0 "$1"; }
tasks() { "$connector" task list --config "$work/$1.conf" | cut -f1,3; }

start_daemon g22
start_daemon h20
eventually "G22 ready" ready g22
eventually "H20 ready" ready h20
kill -TERM "$h20_pid"
status=0
wait "$h20_pid" || status=$?
[[ $status == 0 ]] || fail "H20 did not stop cleanly (exit $status)"

"$fixture" pause "$pg_dir"
eventually "G22 saying the store is away" logged g22 STORE_UNAVAILABLE
eventually "G22's /readyz naming the store" not_ready_for_the_store g22
alive "$g22_pid" || fail "G22 ended when the database stopped: $(tail -3 "$work/g22.log")"

: > "$work/h20.log"
start_daemon h20
eventually "H20 waiting for the store" logged h20 STORE_UNAVAILABLE
alive "$h20_pid" || fail "H20 did not wait for the database: $(tail -3 "$work/h20.log")"
! logged h20 DAEMON_STARTED || fail "H20 started without its store"

"$fixture" resume "$pg_dir"
eventually "G22 using the store again" logged g22 STORE_AVAILABLE
eventually "G22 ready again" ready g22
eventually "H20 started once the store was back" logged h20 DAEMON_STARTED
eventually "H20 ready" ready h20

"$connector" import-plan "$source_dir/samples/plans/ke-hoach-1012-phu-luc.tsv" --number 125 \
    --notation TB-VPCP --config "$work/g22.conf" > "$work/import.out" 2> "$work/import.err" \
    || fail "import: $(cat "$work/import.err")"
all_acknowledged() {
    [[ $(tasks h20 | wc -l) == 13 && $(tasks g22 | cut -f2 | sort -u) == 01 ]]
}
eventually "the plan at H20 and 01 back at G22" all_acknowledged

for name in g22 h20; do
    pid_var="${name}_pid"
    kill -TERM "${!pid_var}"
    status=0
    wait "${!pid_var}" || status=$?
    [[ $status == 0 ]] && logged "$name" DAEMON_STOPPED \
        || fail "$name did not stop cleanly (exit $status): $(tail -3 "$work/$name.log")"
done
! grep -q "event=DAEMON_FAILED" "$work/g22.log" "$work/h20.log" \
    || fail "a daemon failed: $(grep -h daemon.failed "$work"/*.log)"
echo "all checks passed"
