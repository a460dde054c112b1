#!/usr/bin/env bash
# The run command: installs what is missing, builds a release binary and runs the main
# job. Until the daemon lands (issue 6) the main job is an inspection of the bundled
# sample packages: full validation of every sample, a readable summary of the task
# assignment, a task report, a status, and a package repaired from another producer;
# then signing and verifying with a throwaway PKI; then the main job: the axis
# simulator and two connector daemons exchanging the seed plan's tasks (below).
# `--exit` ends after the demo instead of leaving the daemons running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCONNECTOR_BUILD_TESTS=OFF \
    -DCONNECTOR_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j2 --target connector

connector="$build_dir/connector/daemon/connector"
echo
echo "== connector edxml validate samples/packages/*"
"$connector" edxml validate samples/packages/*
for sample in task-assignment task-report status-03 variant-undeclared-prefix; do
    echo
    echo "== connector edxml inspect samples/packages/$sample.edxml"
    "$connector" edxml inspect "samples/packages/$sample.edxml"
done

# Signing: a throwaway PKI, the task assignment signed as UBND tỉnh Đồng Tháp, verified,
# then a copy with one character changed.
pki="$build_dir/demo-pki"
signed="$build_dir/demo-task-assignment.signed.edxml"
tampered="$build_dir/demo-task-assignment.tampered.edxml"
bash samples/pki/make-test-pki.sh "$pki"
echo
echo "== connector edxml sign (UBND tỉnh Đồng Tháp, 000.00.00.H20)"
"$connector" edxml sign --key "$pki/h20.key" --cert "$pki/h20.pem" --chain "$pki/intermediate.pem" \
    samples/packages/task-assignment.edxml "$signed"
echo
echo "== connector edxml verify --trust $pki/anchors (signed, then tampered, then unsigned)"
sed 's/Kế hoạch triển khai/Kế hoạch triển khaj/' "$signed" > "$tampered"
"$connector" edxml verify --trust "$pki/anchors" "$signed" "$tampered" \
    samples/packages/task-assignment.edxml || true

# The store: a fresh SQLite database, migrated, and its (empty) chains verified.
echo
echo "== connector migrate / audit verify-chain (SQLite, $build_dir/demo.db)"
rm -f "$build_dir/demo.db" "$build_dir/demo.db-wal" "$build_dir/demo.db-shm"
"$connector" migrate --store "sqlite3:$build_dir/demo.db"
"$connector" audit verify-chain --store "sqlite3:$build_dir/demo.db"

# The main job: the axis simulator and two connector daemons on SQLite, the Government
# office (G22) and the province (H20), both signing and requiring valid signatures. G22
# assigns the seed plan's tasks; H20 receives them and answers 01 by itself, then reports
# progress and completion on one task; G22 sees it all.
demo_dir=var/demo
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
echo
echo "== connector axis-sim (samples/axis-sim/axis-sim.json, any free port)"
coproc AXIS_SIM { exec "$connector" axis-sim --config samples/axis-sim/axis-sim.json --port 0 \
    --database "$demo_dir/axis-sim.db"; }
pids=("$AXIS_SIM_PID")
stop_all() {  # the daemons first, so that they do not log the simulator's absence
    kill "${pids[@]:1}" 2>/dev/null || true
    wait "${pids[@]:1}" 2>/dev/null || true
    kill "${pids[0]}" 2>/dev/null || true
    wait "${pids[0]}" 2>/dev/null || true
}
trap stop_all EXIT
read -r listening <&"${AXIS_SIM[0]}"
echo "$listening"
export CONNECTOR_AXIS_BASE_URL=${listening##* }
export CONNECTOR_VERIFY_POLICY=require CONNECTOR_VERIFY_TRUST="$PWD/$pki/anchors"
export CONNECTOR_SIGNING_CHAIN_FILE="$PWD/$pki/intermediate.pem"
export CONNECTOR_SIGNING_PASSPHRASE_FILE="$PWD/$pki/passphrase.txt"
as_connector() {  # g22|h20 command…: the connector with that side's config and key
    local side=$1
    shift
    CONNECTOR_SIGNING_KEY_FILE="$PWD/$pki/$side.key" \
        CONNECTOR_SIGNING_CERTIFICATE_FILE="$PWD/$pki/$side.pem" \
        "$connector" "$@" --config "config/demo/$side.conf"
}
for side in g22 h20; do
    # A simple command, so that $! is the daemon itself and stop_all reaches it.
    CONNECTOR_SIGNING_KEY_FILE="$PWD/$pki/$side.key" \
        CONNECTOR_SIGNING_CERTIFICATE_FILE="$PWD/$pki/$side.pem" \
        "$connector" run --config "config/demo/$side.conf" 2> "$demo_dir/$side.log" &
    pids+=($!)
done
echo "daemons: G22 (log $demo_dir/g22.log), H20 (log $demo_dir/h20.log)"

wait_for() {  # description command…: retries the check until it holds, up to 60 s
    local description=$1
    shift
    for _ in $(seq 120); do
        if "$@"; then
            return 0
        fi
        sleep 0.5
    done
    echo "the demo did not see: $description (see $demo_dir/*.log)" >&2
    exit 1
}
all_at() {  # side status: every task of the side is at that status code
    local listed
    listed=$(as_connector "$1" task list | cut -f3 | sort -u)
    [[ $(as_connector "$1" task list | wc -l) == 13 && $listed == "$2" ]]
}

echo
echo "== Văn phòng Chính phủ imports the plan appendix and assigns its 13 tasks"
as_connector g22 import-plan samples/plans/ke-hoach-1012-phu-luc.tsv --number 125 \
    --notation TB-VPCP --subject "Giao nhiệm vụ triển khai Quyết định 1012/QĐ-TTg" 2> /dev/null
wait_for "13 tasks at the province, 01 back at the office" all_at g22 01
echo
echo "== UBND tỉnh Đồng Tháp has them (connector task list, H20)"
as_connector h20 task list | cut -f1,3,4,5 | sed 's/^[^#]*#/#/'
code=$(as_connector h20 task list | cut -f1 | grep '#III.3$')
echo
echo "== Sở KH&CN reports on III.3: 05 Đang xử lý, 40 %, then 06 Hoàn thành"
as_connector h20 task report "$code" --status 05 --progress 40 --note "Đã kết nối thử nghiệm với Trục"
wait_for "the report at the office" bash -c "'$connector' task show '$code' --config config/demo/g22.conf | grep -q '40%'"
as_connector h20 task report "$code" --status 06 --note "Đã kết nối chính thức"
wait_for "the completion at the office" bash -c "'$connector' task show '$code' --config config/demo/g22.conf | grep -q '06 Hoàn thành'"
echo
echo "== what Văn phòng Chính phủ sees (connector task show, G22)"
as_connector g22 task show "$code"
echo
echo "== the message logs are intact (connector audit verify-chain)"
for side in g22 h20; do
    "$connector" audit verify-chain --store "sqlite3:$demo_dir/$side.db" | head -1
done
echo
echo "Data: $demo_dir/g22.db, $demo_dir/h20.db (SQLite), logs $demo_dir/*.log."
if [[ "${1:-}" == "--exit" ]]; then
    exit 0
fi
echo "The daemons keep running (try: $connector task list --config config/demo/g22.conf)."
echo "Ctrl-C stops them."
wait
