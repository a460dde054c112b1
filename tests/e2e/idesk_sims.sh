#!/usr/bin/env bash
# End to end as iDesk drives it: the axis simulator, two `connector run` daemons with
# their HTTP API and webhooks, and an iDesk simulator on each side, nothing else. G22's
# iDesk submits the seed plan's 13 tasks over the API; H20's iDesk learns them by webhook
# and its clerks answer (one rejected, one carried to completion, the rest accepted);
# G22's iDesk learns every change by webhook. G22's iDesk is down for a while: when it
# is back, every event arrives, in sequence order, none applied twice, every signature
# checked.
#
#   idesk_sims.sh CONNECTOR IDESK_SIM SOURCE_DIR WORK_DIR PKI_DIR [sqlite|postgresql PG_URL_FILE]
set -euo pipefail
connector=$1 idesk_sim=$2 source_dir=$3 work=$4 pki=$5 backend=${6:-sqlite} pg_url_file=${7:-}
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "$0")/common.sh"

fail() {
    echo "FAIL: $*"
    for log in "$work"/*.log; do echo "--- $log"; tail -15 "$log"; done
    exit 1
}
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

state() { curl -sf "$1/state"; }  # a simulator's /state

start_axis_sim

# side name agency-code agency-name key scenario [down]: writes the config and the secrets,
# creates the API token, starts the iDesk simulator and then the daemon, which learns
# the simulator's address from the environment (CONNECTOR_WEBHOOK_URL).
start_side() {
    local name=$1 code=$2 agency=$3 key=$4 scenario=$5 down=${6:-} port sim_url
    port=$(free_port)
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/$name-webhook.secret"
    chmod 600 "$work/$name-webhook.secret"
    write_config "$name" "$code" "$agency" "$name.secret" "$key" << CONF
poll.interval_ms = 200
retry.base_ms = 0
retry.cap_ms = 0
http.listen = 127.0.0.1:$port
webhook.secret_file = $work/$name-webhook.secret
webhook.retry_base_ms = 50
webhook.retry_cap_ms = 300
units.table = $source_dir/config/units-dong-thap.tsv
CONF
    "$connector" token create --name "$name-idesk" --role backend --config "$work/$name.conf" \
        > "$work/$name.token" 2> /dev/null
    "$idesk_sim" --connector "http://127.0.0.1:$port" --token-file "$work/$name.token" \
        --webhook-secret-file "$work/$name-webhook.secret" --scenario "$scenario" \
        --name "$name-idesk" --listen 127.0.0.1:0 --submit-timeout 120 \
        > "$work/$name-idesk.out" 2> "$work/$name-idesk.log" &
    pids+=("$!")
    eventually "$name's iDesk listening" grep -q "listening on" "$work/$name-idesk.out"
    sim_url=$(head -1 "$work/$name-idesk.out")
    sim_url=${sim_url##* }
    # "down": this iDesk refuses webhooks (503) from before its connector starts.
    [[ -z $down ]] || curl -sf -X POST -d '{"up": false}' "$sim_url/admin/availability" > /dev/null
    CONNECTOR_WEBHOOK_URL=$sim_url/webhook "$connector" run --config "$work/$name.conf" \
        2> "$work/$name.log" &
    pids+=("$!")
    eval "${name}_sim=$sim_url ${name}_api=http://127.0.0.1:$port"
}

start_side h20 000.00.00.H20 "Ủy ban nhân dân tỉnh Đồng Tháp" h20 \
    "$source_dir/samples/idesk-sim/scenarios/h20-clerks.json"
start_side g22 000.00.00.G22 "Văn phòng Chính phủ" g22 \
    "$source_dir/samples/idesk-sim/scenarios/g22-submit.json" down
# shellcheck disable=SC2154 # set by start_side

# The submission is accepted (202) with the plan's 13 tasks.
submitted() { [[ $(state "$g22_sim" | jq '.submitted[0].status') == 202 ]]; }
eventually "G22's submission" submitted
[[ $(state "$g22_sim" | jq '.submitted[0].body.tasks | length') == 13 ]] \
    || fail "submission: $(state "$g22_sim" | jq -c '.submitted')"

# H20's iDesk learns the 13 tasks by webhook and its clerks answer them.
clerks_done() {
    local s
    s=$(state "$h20_sim")
    [[ $(jq '[.tasks[] | select(.side == "received")] | length' <<< "$s") == 13 &&
        $(jq '.clerkQueue' <<< "$s") == 0 && $(jq '.reportsSent' <<< "$s") == 15 ]]
}
eventually "H20's clerks" clerks_done
[[ $(state "$h20_sim" | jq '.reportErrors | length') == 0 ]] \
    || fail "clerks: $(state "$h20_sim" | jq -c '.reportErrors')"

# G22's connector records every answer: 02 on I.1, 06 on III.3, 03 on the other 11.
statuses() {  # name: "code status progress" per task
    "$connector" task list --config "$work/$1.conf" | awk -F'\t' '{print $1, $3, $4}'
}
answered() {
    local s
    s=$(statuses g22)
    grep -q '#I\.1 02 ' <<< "$s" && grep -q '#III\.3 06 100%' <<< "$s" &&
        [[ $(grep -c ' 03 ' <<< "$s") == 11 ]]
}
eventually "G22's connector recording the answers" answered

# Back up: G22's iDesk receives every event of its connector's feed, in order, once.
[[ $(state "$g22_sim" | jq '.applied') == 0 ]] || fail "G22's iDesk applied events while down"
curl -sf -X POST -d '{"up": true}' "$g22_sim/admin/availability" > /dev/null
token=$(cat "$work/g22.token")
feed() { curl -sf -H "Authorization: Bearer $token" "$g22_api/api/v1/events?limit=1000"; }
caught_up() {
    [[ $(state "$g22_sim" | jq '.highestSeq') == "$(feed | jq '.last')" ]]
}
eventually "G22's iDesk catching up" caught_up
s=$(state "$g22_sim")
[[ $(jq -c '.appliedSeqs' <<< "$s") == "$(feed | jq -c '[.events[].seq]')" ]] \
    || fail "applied $(jq -c '.appliedSeqs' <<< "$s"), feed $(feed | jq -c '[.events[].seq]')"
[[ $(jq '.badSignatures' <<< "$s") == 0 && $(jq '.badSignatures' <<< "$(state "$h20_sim")") == 0 ]] \
    || fail "a webhook signature was refused"
[[ $(jq '.refusedWhileDown' <<< "$s") -gt 0 ]] || fail "no delivery was tried while down"
# What G22's iDesk now holds agrees with its connector.
[[ $(jq -r '.tasks[] | select(.code | endswith("#III.3")) | .status' <<< "$s") == 06 ]] \
    || fail "G22's iDesk does not show III.3 completed"
[[ $(jq -r '.tasks[] | select(.code | endswith("#I.1")) | .status' <<< "$s") == 02 ]] \
    || fail "G22's iDesk does not show I.1 rejected"

# The API refuses what it should, over the real daemon.
[[ $(curl -s -o /dev/null -w '%{http_code}' "$g22_api/api/v1/tasks") == 401 ]] || fail "no token: not 401"
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"tasks": []}' "$g22_api/api/v1/tasks") == 400 ]] \
    || fail "an empty assignment: not 400"
grep -q "event=WEBHOOK_RETRY" "$work/g22.log" || fail "no webhook retry logged at G22"

for name in g22 h20; do
    url=$(grep '^store.url' "$work/$name.conf" | cut -d' ' -f3)
    "$connector" audit verify-chain --store "$url" > "$work/chain-$name.txt" \
        || fail "$name chain: $(cat "$work/chain-$name.txt")"
done
echo "all checks passed ($backend)"
