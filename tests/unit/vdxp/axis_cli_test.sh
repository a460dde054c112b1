#!/usr/bin/env bash
# `connector axis …` (the connector's own client) against the `axis-sim` executable with the
# bundled configuration: a document and a status exchanged between two systems, the
# directory changed, and the exit status of refusals and usage errors.
#
#   axis_cli_test.sh CONNECTOR_EXECUTABLE SOURCE_DIR WORK_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3
samples=$source_dir/samples/packages
rm -rf "$work" && mkdir -p "$work/secrets"
# Secret files must be the owner's alone (a checkout leaves them 0644).
install -m 600 "$source_dir"/samples/axis-sim/secrets/*.secret "$work/secrets/"
secrets=$work/secrets

# The axis simulator is its own executable (samples/axis-sim), not part of the connector.
axis_sim=${AXIS_SIM:-$(dirname "$connector")/../../samples/axis-sim/axis-sim}
coproc SIM { exec "$axis_sim" --config "$source_dir/samples/axis-sim/axis-sim.json" \
    --port 0 --database "$work/axis-sim.db"; }
sim_pid=$SIM_PID
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true' EXIT
read -r line <&"${SIM[0]}"
url=${line##* }
vpcp=(--url "$url" --systemid 000.00.00.G22 --secret-file "$secrets/g22.secret")
province=(--url "$url" --systemid 000.00.00.H20 --secret-file "$secrets/h20.secret")

fail() { echo "FAIL: $*"; exit 1; }

sent_id=$("$connector" axis send "$samples/document-with-attachments.edxml" --from 000.00.00.G22 "${vpcp[@]}")
[[ $sent_id =~ ^[0-9a-f]{24}$ ]] || fail "send printed '$sent_id'"
[[ $("$connector" axis count "${province[@]}") == 1 ]] || fail "count is not 1"
received_id=$("$connector" axis received "${province[@]}" | cut -f1)
[[ -n $received_id && $received_id != "$sent_id" ]] || fail "received '$received_id'"
"$connector" axis get "$received_id" --out "$work/got.edxml" "${province[@]}" > /dev/null
cmp "$work/got.edxml" "$samples/document-with-attachments.edxml" || fail "getEdoc bytes differ"
"$connector" axis download "$received_id" "${province[@]}" | cmp - "$samples/document-with-attachments.edxml" \
    || fail "downloadEdoc bytes differ"
"$connector" axis ack "$received_id" done "${province[@]}" > /dev/null
"$connector" axis sent "$sent_id" "${vpcp[@]}" | grep -q $'^000.00.00.H20\tdone\t' || fail "trace lacks done"
[[ $("$connector" axis count "${province[@]}") == 0 ]] || fail "count is not 0 after done"

"$connector" axis send "$samples/status-03.edxml" --status --from 000.00.00.H20 "${province[@]}" > /dev/null
"$connector" axis received --status --json "${vpcp[@]}" | grep -Eq '"from": *"000.00.00.H20"' \
    || fail "status not received"

"$connector" axis register --code 000.00.07.H20 --name "Sở Giáo dục và Đào tạo" \
    --parent 000.00.00.H20 "${province[@]}" > /dev/null
"$connector" axis agencies "${vpcp[@]}" | grep -q $'^000.00.07.H20\tSở Giáo dục và Đào tạo' \
    || fail "registered agency not listed"
"$connector" axis delete 000.00.07.H20 "${province[@]}" > /dev/null
! "$connector" axis agencies "${vpcp[@]}" | grep -q '^000.00.07.H20' || fail "deleted agency listed"

status=0
"$connector" axis received --url "$url" --systemid 000.00.00.H20 --secret-file "$secrets/g22.secret" \
    2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "authentication (permanent), HTTP 401" "$work/err" \
    || fail "wrong secret: exit $status, $(cat "$work/err")"
status=0
"$connector" axis get "${province[@]}" 2> "$work/err" || status=$?
[[ $status == 2 ]] || fail "missing DOCID: exit $status"
status=0
"$connector" axis received --url "$url" --systemid 000.00.00.H20 2> "$work/err" || status=$?
[[ $status == 2 ]] && grep -q "secret" "$work/err" || fail "missing secret: exit $status"
status=0
"$connector" axis ack "$received_id" finished "${province[@]}" 2> "$work/err" || status=$?
[[ $status == 2 ]] || fail "bad receipt: exit $status"
echo "all checks passed"
