#!/usr/bin/env bash
# The header scheme implemented independently (samples/xroad/xroad-call.sh: bash, openssl,
# curl) against the axis simulator executable: accepted when right, refused when the
# secret or any signed header differs.
#
#   xroad_call_test.sh AXIS_SIM_EXECUTABLE SOURCE_DIR WORK_DIR
set -euo pipefail
axis_sim=$1 source_dir=$2 work=$3
call=$source_dir/samples/xroad/xroad-call.sh
samples=$source_dir/samples/packages
rm -rf "$work" && mkdir -p "$work"
printf 'secret-of-dong-thap\n' > "$work/h20.secret"
printf 'secret-of-vpcp\n' > "$work/g22.secret"
printf 'admin-token\n' > "$work/admin.token"
cat > "$work/axis-sim.json" <<JSON
{
  "host": "127.0.0.1", "port": 0, "base_path": "/XrdAdapter/adapter",
  "admin_token_file": "admin.token",
  "systems": [
    {"systemid": "000.00.00.H20", "secret_file": "h20.secret",
     "agencies": [{"id": "1", "code": "000.00.00.H20", "name": "Ủy ban nhân dân tỉnh Đồng Tháp"}]},
    {"systemid": "000.00.00.G22", "secret_file": "g22.secret",
     "agencies": [{"id": "2", "code": "000.00.00.G22", "name": "Văn phòng Chính phủ"},
                  {"id": "3", "code": "000.00.00.G14", "name": "Bộ Khoa học và Công nghệ"}]}
  ]
}
JSON

coproc SIM { exec "$axis_sim" --config "$work/axis-sim.json"; }
sim_pid=$SIM_PID
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true' EXIT
read -r line <&"${SIM[0]}"  # blocks until the simulator is listening
base_url=${line##* }
[[ $base_url == http://127.0.0.1:* ]] || { echo "unexpected first line: $line"; exit 1; }

failures=0
expect() {  # description expected-exit command...
    local description=$1 expected=$2
    shift 2
    local status=0
    "$@" > "$work/out" 2> "$work/err" || status=$?
    if [[ $status != "$expected" ]]; then
        echo "FAIL: $description: exit $status, expected $expected"
        cat "$work/out" "$work/err"
        failures=$((failures + 1))
    else
        echo "ok: $description"
    fi
}
h20=(--systemid 000.00.00.H20 --secret-file "$work/h20.secret")
g22=(--systemid 000.00.00.G22 --secret-file "$work/g22.secret")

expect "directory with the right secret" 0 "$call" "${h20[@]}" "$base_url" getAgenciesList
grep -q '000.00.00.G14' "$work/out" || { echo "FAIL: directory lacks G14"; failures=$((failures + 1)); }

expect "sendEdoc with the SDK hash-file" 0 "$call" "${g22[@]}" --body "$samples/document-with-attachments.edxml" \
    --hash-file "$base_url" sendEdoc from=000.00.00.G22 servicetype=eDoc messagetype=edoc
grep -q '"DocId"' "$work/out" || { echo "FAIL: no DocId"; failures=$((failures + 1)); }

expect "received list with the right secret" 0 "$call" "${h20[@]}" "$base_url" getReceivedEdocList \
    servicetype=eDoc messagetype=edoc
doc_id=$(grep -o '"docId" *: *"[^"]*"' "$work/out" | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
[[ -n $doc_id ]] || { echo "FAIL: nothing received"; failures=$((failures + 1)); }

expect "downloadEdoc (GET)" 0 "$call" "${h20[@]}" --get "$base_url" downloadEdoc "docId=$doc_id"
head -c -1 "$work/out" | cmp -s - "$samples/document-with-attachments.edxml" \
    || { echo "FAIL: downloaded bytes differ"; failures=$((failures + 1)); }

printf 'not-the-secret\n' > "$work/wrong.secret"
expect "wrong secret is refused" 1 "$call" --systemid 000.00.00.H20 --secret-file "$work/wrong.secret" \
    "$base_url" getReceivedEdocList servicetype=eDoc messagetype=edoc
grep -q '"FAIL"' "$work/out" || { echo "FAIL: refusal is not a FAIL answer"; failures=$((failures + 1)); }

expect "a signed header changed after signing is refused" 1 "$call" "${h20[@]}" --tamper messagetype=status \
    "$base_url" getReceivedEdocList servicetype=eDoc messagetype=edoc
expect "a changed systemid is refused" 1 "$call" "${h20[@]}" --tamper systemid=000.00.00.G22 \
    "$base_url" getAgenciesList
expect "a changed timestamp is refused" 1 "$call" "${h20[@]}" --tamper timestamp=01012020T000000+0000 \
    "$base_url" getAgenciesList
expect "a signed header left out is refused" 1 "$call" "${h20[@]}" --omit servicetype \
    "$base_url" getReceivedEdocList servicetype=eDoc messagetype=edoc
expect "a wrong hash-file is refused" 1 "$call" "${g22[@]}" --body "$samples/document-with-attachments.edxml" \
    "$base_url" sendEdoc from=000.00.00.G22 servicetype=eDoc messagetype=edoc hash-file=00ff
expect "updateStatus done" 0 "$call" "${h20[@]}" "$base_url" updateStatus "docId=$doc_id" status=done

[[ $failures == 0 ]] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
