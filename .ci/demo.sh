#!/usr/bin/env bash
# The run command: installs what is missing, builds a release binary and runs the main
# job. Until the daemon lands (issue 6) the main job is an inspection of the bundled
# sample packages: full validation of every sample, a readable summary of the task
# assignment, a task report, a status, and a package repaired from another producer;
# then signing and verifying with a throwaway PKI, a fresh store, and a document and a
# status exchanged between two systems through the axis simulator.
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

# The axis: the simulator with the bundled configuration (two systems: the province and
# the Government office), and the connector's own client exchanging a document and a
# status through it.
echo
echo "== connector axis-sim (samples/axis-sim/axis-sim.json, state in $build_dir/demo-axis.db)"
rm -f "$build_dir/demo-axis.db"
coproc AXIS_SIM { exec "$connector" axis-sim --config samples/axis-sim/axis-sim.json --port 0 \
    --database "$build_dir/demo-axis.db"; }
axis_sim_pid=$AXIS_SIM_PID
trap 'kill "$axis_sim_pid" 2>/dev/null || true' EXIT
read -r listening <&"${AXIS_SIM[0]}"
echo "$listening"
axis_url=${listening##* }
vpcp=(--url "$axis_url" --systemid 000.00.00.G22 --secret-file samples/axis-sim/secrets/g22.secret)
province=(--url "$axis_url" --systemid 000.00.00.H20 --secret-file samples/axis-sim/secrets/h20.secret)
echo
echo "== Văn phòng Chính phủ sends Công văn 3021/VPCP-KSTT (connector axis send)"
sent_id=$("$connector" axis send samples/packages/document-with-attachments.edxml \
    --from 000.00.00.G22 "${vpcp[@]}")
echo "DocId $sent_id"
echo
echo "== UBND tỉnh Đồng Tháp lists, fetches and acknowledges it (received, get, ack)"
"$connector" axis received "${province[@]}"
received_id=$("$connector" axis received "${province[@]}" | cut -f1)
"$connector" axis get "$received_id" --out "$build_dir/demo-received.edxml" "${province[@]}"
"$connector" axis ack "$received_id" done "${province[@]}"
echo
echo "== the delivery trace seen by the sender (connector axis sent)"
"$connector" axis sent "$sent_id" "${vpcp[@]}"
echo
echo "== the province answers with status 03 Đã tiếp nhận; the Government office receives it"
"$connector" axis send samples/packages/status-03.edxml --status --from 000.00.00.H20 "${province[@]}"
"$connector" axis received --status "${vpcp[@]}"
echo
echo "== a client with the wrong secret is refused"
"$connector" axis received --url "$axis_url" --systemid 000.00.00.H20 \
    --secret-file samples/axis-sim/secrets/g22.secret || true
kill "$axis_sim_pid"
wait "$axis_sim_pid" || true
