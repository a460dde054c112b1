#!/usr/bin/env bash
# The run command: installs what is missing, builds a release binary and runs the main
# job. First a look at the bundled sample packages (validation of every sample, readable
# summaries of an assignment, a report, a status and a package repaired from another
# producer) and signing with a throwaway PKI; then the main job: the axis simulator, two
# connector daemons and an iDesk simulator on each side exchanging the seed plan's tasks
# over the backend API and webhooks (below).
# `--exit` ends after the demo instead of leaving the daemons running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCONNECTOR_BUILD_TESTS=OFF \
    -DCONNECTOR_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j2 --target connector idesk-sim axis-sim

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

# The main job: the axis simulator, two connector daemons on SQLite (the Government
# office, G22, and the province, H20; both signing and requiring valid signatures) and
# an iDesk simulator on each side, driving its connector over the backend API and
# learning every change by webhook. G22's iDesk assigns the seed plan's 13 tasks; H20's
# iDesk learns them and its clerks answer: I.1 rejected (02), III.3 accepted, in
# progress and completed (03, 05, 06), the others accepted (03). G22 sees it all.
demo_dir=var/demo
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
# The daemons refuse secret files that group or others may read; git checks them out 0644.
chmod 600 samples/axis-sim/secrets/*.secret
idesk_sim="$build_dir/samples/idesk-sim/idesk-sim"
echo
echo "== axis-sim (samples/axis-sim/axis-sim.json, any free port)"
coproc AXIS_SIM { exec "$build_dir/samples/axis-sim/axis-sim" --config samples/axis-sim/axis-sim.json --port 0 \
    --database "$demo_dir/axis-sim.db"; }
pids=("$AXIS_SIM_PID")
stop_all() {  # the daemons and iDesks first, so that they do not log the axis's absence
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
# Signed checkpoints of both logs' heads, outside the databases (connector audit
# verify-chain --checkpoints).
export CONNECTOR_AUDIT_CHECKPOINT_EVERY_ENTRIES=10
as_connector() {  # g22|h20 command…: the connector with that side's config and key
    local side=$1
    shift
    CONNECTOR_SIGNING_KEY_FILE="$PWD/$pki/$side.key" \
        CONNECTOR_SIGNING_CERTIFICATE_FILE="$PWD/$pki/$side.pem" \
        "$connector" "$@" --config "config/demo/$side.conf"
}
wait_for() {  # description command…: retries the check until it holds, up to 60 s
    local description=$1
    shift
    for _ in $(seq 120); do
        if "$@" > /dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    echo "the demo did not see: $description (see $demo_dir/*.log)" >&2
    exit 1
}
free_port() {  # the configured port when nothing answers on it, else another one
    local port=$1
    while (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do
        port=$((20000 + RANDOM % 40000))
    done
    echo "$port"
}

# side port scenario: a token and a webhook secret for the side's iDesk, the iDesk
# simulator, then the daemon (its API on the port, its webhooks to that iDesk).
start_side() {
    local side=$1 port scenario=$3 sim_url
    port=$(free_port "$2")
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$demo_dir/$side-webhook.secret"
    chmod 600 "$demo_dir/$side-webhook.secret"
    as_connector "$side" token create --name idesk --role backend > "$demo_dir/$side.token" \
        2> /dev/null
    "$idesk_sim" --connector "http://127.0.0.1:$port" --token-file "$demo_dir/$side.token" \
        --webhook-secret-file "$demo_dir/$side-webhook.secret" --scenario "$scenario" \
        --name "$side-idesk" --listen 127.0.0.1:0 > "$demo_dir/$side-idesk.out" \
        2> "$demo_dir/$side-idesk.log" &
    pids+=($!)
    wait_for "the $side iDesk simulator listening" grep -q "listening on" "$demo_dir/$side-idesk.out"
    sim_url=$(head -1 "$demo_dir/$side-idesk.out")
    sim_url=${sim_url##* }
    # A simple command, so that $! is the daemon itself and stop_all reaches it.
    CONNECTOR_SIGNING_KEY_FILE="$PWD/$pki/$side.key" \
        CONNECTOR_SIGNING_CERTIFICATE_FILE="$PWD/$pki/$side.pem" \
        CONNECTOR_HTTP_LISTEN="127.0.0.1:$port" CONNECTOR_WEBHOOK_URL="$sim_url/webhook" \
        CONNECTOR_AUDIT_CHECKPOINT_FILE="$PWD/$demo_dir/$side-checkpoints.log" \
        "$connector" run --config "config/demo/$side.conf" 2> "$demo_dir/$side.log" &
    pids+=($!)
    echo "$side: connector API http://127.0.0.1:$port (log $demo_dir/$side.log), iDesk" \
        "simulator $sim_url (log $demo_dir/$side-idesk.log)"
    eval "${side}_api=http://127.0.0.1:$port ${side}_idesk=$sim_url"
}
# The people who use the pages: the agency's own clerk (giao nhiệm vụ, thu hồi) and
# department clerks, a leader, an auditor and an admin,
# each password generated, printed once below and kept in var/demo/users.txt (0600).
demo_user() {  # side name role [unit]
    local password
    password=$(as_connector "$1" user add --name "$2" --role "$3" ${4:+--unit "$4"} --generate \
        2> /dev/null)
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$password" >> "$demo_dir/users.txt"
}
install -m 600 /dev/null "$demo_dir/users.txt"
demo_user h20 vanthu.ubnd clerk 000.00.00.H20  # the province's own văn thư: assigns, revokes
demo_user h20 vanthu.skhcn clerk 000.00.14.H20
demo_user h20 vanthu.vpubnd clerk 000.00.01.H20
demo_user h20 lanhdao leader
demo_user h20 kiemsoat auditor
demo_user h20 quantri admin
demo_user g22 vanthu.vpcp clerk 000.00.00.G22  # the office's own văn thư: assigns, revokes
demo_user g22 lanhdao.vpcp leader
demo_user g22 quantri admin

echo
echo "== the province (H20) and the Government office (G22): connector daemons and iDesk simulators"
start_side h20 8381 samples/idesk-sim/scenarios/h20-clerks.json
start_side g22 8380 samples/idesk-sim/scenarios/g22-submit.json

answered() {  # G22's connector has every answer: 02 on I.1, 06 on III.3, 03 on the rest
    local listed
    listed=$(as_connector g22 task list | cut -f1,3)
    grep -q $'#I\\.1\t02' <<< "$listed" && grep -q $'#III\\.3\t06' <<< "$listed" &&
        [[ $(grep -c $'\t03$' <<< "$listed") == 11 ]]
}
echo
echo "== G22's iDesk assigns the plan's 13 tasks (POST /api/v1/tasks); H20's clerks answer"
wait_for "every answer back at the office" answered
# shellcheck disable=SC2154 # set by start_side
wait_for "G22's iDesk told of every change" bash -c "[[ \$(curl -sf '$g22_idesk/state' | jq .highestSeq) == \
\$(curl -sf -H 'Authorization: Bearer $(cat "$demo_dir/g22.token")' '$g22_api/api/v1/events?limit=1000' | jq .last) ]]"
echo
echo "== UBND tỉnh Đồng Tháp's iDesk (webhooks received, reports its clerks sent)"
curl -sf "$h20_idesk/state" | jq -r '"events applied: \(.applied), bad signatures: \(.badSignatures), reports sent: \(.reportsSent)",
    (.tasks[] | select(.side == "received") | "  \(.code | sub("^[^#]*"; ""))\t\(.status)\t\(.progress)%\t\(.title[0:60])")'
echo
echo "== Văn phòng Chính phủ's iDesk (webhooks received)"
curl -sf "$g22_idesk/state" | jq -r '"events applied: \(.applied), bad signatures: \(.badSignatures), duplicates dropped: \(.duplicates)",
    (.tasks[] | "  \(.code | sub("^[^#]*"; ""))\t\(.status)\t\(.progress)%\t\(.timeliness)")'
code=$(as_connector g22 task list | cut -f1 | grep '#III.3$')
echo
echo "== what Văn phòng Chính phủ sees (connector task show, G22)"
as_connector g22 task show "$code"
echo
echo "== the API: completed tasks at G22 (GET /api/v1/tasks?status=06)"
curl -sf -H "Authorization: Bearer $(cat "$demo_dir/g22.token")" "$g22_api/api/v1/tasks?status=06" |
    jq -r '.tasks[] | "\(.code)\t\(.status)\t\(.completionDate)\t\(.title)"'
echo
echo "== the message logs are intact (connector audit verify-chain, against the signed checkpoints)"
for side in g22 h20; do
    "$connector" audit verify-chain --store "sqlite3:$demo_dir/$side.db" \
        --checkpoints "$demo_dir/$side-checkpoints.log" --cert "$pki/$side.pem" | head -2
done
echo
echo "== the pages (log in with these; the passwords are shown once, kept in $demo_dir/users.txt)"
echo "  UBND tỉnh Đồng Tháp (H20): $h20_api/"
echo "  Văn phòng Chính phủ (G22): $g22_api/"
while IFS=$'\t' read -r side name role password; do
    printf '  %-4s %-15s %-8s %s\n' "$side" "$name" "$role" "$password"
done < "$demo_dir/users.txt"
echo "  (vanthu.ubnd and vanthu.vpcp are their agency's own clerks: they assign and revoke;"
echo "  vanthu.skhcn is a clerk of Sở Khoa học và Công nghệ, 000.00.14.H20; vanthu.vpubnd of"
echo "  Văn phòng UBND Tỉnh, 000.00.01.H20, which leads most of the plan's tasks)"
echo
echo "== what a clerk's login sees (POST /api/v1/session, then GET /api/v1/tasks, H20)"
jar=$(mktemp)
for clerk in vanthu.vpubnd vanthu.skhcn; do
    password=$(awk -F'\t' -v name="$clerk" '$1 == "h20" && $2 == name { print $4 }' "$demo_dir/users.txt")
    curl -sf -c "$jar" -H 'Content-Type: application/json' \
        -d "{\"name\": \"$clerk\", \"password\": \"$password\"}" "$h20_api/api/v1/session" > /dev/null
    curl -sf -b "$jar" "$h20_api/api/v1/tasks?limit=1000" |
        jq -r --arg clerk "$clerk" '"  \($clerk): \(.tasks | length) of the plan'"'"'s 13 tasks are their unit'"'"'s"'
done
rm -f "$jar"
echo
echo "Data: $demo_dir/g22.db, $demo_dir/h20.db (SQLite), logs $demo_dir/*.log, API tokens" \
    "$demo_dir/*.token."
if [[ "${1:-}" == "--exit" ]]; then
    exit 0
fi
echo "The daemons and iDesk simulators keep running. Try:"
echo "  curl -H \"Authorization: Bearer \$(cat $demo_dir/g22.token)\" '$g22_api/api/v1/tasks?side=issued'"
echo "  $connector task list --config config/demo/g22.conf"
echo "Ctrl-C stops them."
wait
