#!/usr/bin/env bash
# Several daemons on one PostgreSQL (issue 14): two H20 daemons and one G22 share one
# private PostgreSQL server (a database each for G22 and H20) while 500 tasks go to the
# province, 100 reports come back and 5 assignments (50 tasks) are revoked by G22 while
# the province works on them, the axis simulator's faults are on, one H20
# daemon or the other is killed with SIGKILL 20 times at random moments and restarted,
# and the PostgreSQL server is stopped and started again twice. H20's iDesk (the iDesk
# simulator) receives both H20 daemons' webhooks. At the end:
#   - every task is present once on each side, at the right status;
#   - no knobstick logged twice; no package we sent twice with different bytes; no
#     task event applied twice;
#   - H20's iDesk received every event, each one signed, re-deliveries at most one per
#     kill (the event in hand when its daemon died), never one per daemon;
#   - no daemon ended by itself; both message logs verify.
#
#   ha_test.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4
axis_sim=${AXIS_SIM:-$(dirname "$connector")/../../samples/axis-sim/axis-sim}
idesk_sim=${IDESK_SIM:-$(dirname "$connector")/../../samples/idesk-sim/idesk-sim}
rm -rf "$work" && mkdir -p "$work"
assignments=50 per_assignment=10 reports_total=100 kills_wanted=20 revoked_documents=5
tasks_total=$((assignments * per_assignment))

fixture="$source_dir/tests/support/postgresql-fixture.sh"
pg_dir="$work/pg"
declare -A daemon=()
others=()
stop_processes() {
    for name in "${!daemon[@]}"; do
        kill "${daemon[$name]}" 2> /dev/null || true
        wait "${daemon[$name]}" 2> /dev/null || true
    done
    for pid in "${others[@]}"; do
        kill "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
    done
}
stop_all() {
    stop_processes
    "$fixture" stop "$pg_dir" > /dev/null 2>&1 || true
}
trap stop_all EXIT
fail() {
    echo "FAIL: $*"
    tail -n 3 "$work"/*.log || true
    # What the database was doing (a lock wait, a transaction left open), for the record.
    [[ -f "$pg_dir/url" ]] && psql "$(cat "$pg_dir/url")" -At -c "SELECT pid, state,
        wait_event_type, wait_event, now() - xact_start, left(query, 120) FROM pg_stat_activity
        WHERE datname IS NOT NULL" 2>&1 | head -20 || true
    ps -o pid,stat,etime,args -C connector 2>&1 | head -10 || true
    exit 1
}
wait_seconds=240  # for `eventually` (common.sh)

"$fixture" start "$pg_dir" > /dev/null
backend=postgresql pg_url_file="$pg_dir/url"
source "$(dirname "$0")/common.sh"
query() {  # side sql
    psql "$(grep '^store.url' "$work/$1.conf" | cut -d' ' -f3)" -At -c "$2"
}
h20_task_count() { query h20 "SELECT count(*) FROM tasks" 2> /dev/null || echo 0; }
enough_to_report() { (($(h20_task_count) >= reports_total)); }
all_tasks_here() { (($(h20_task_count) == tasks_total)); }
# Reports on the first tasks the province holds (by code, when it holds enough), each
# through the CLI, another writer of the database; the codes are kept for revoke_some.
report_some() {
    query h20 "SELECT task_code FROM tasks ORDER BY task_code LIMIT $reports_total" \
        > "$work/reported.txt"
    while read -r code; do
        "$connector" task report "$code" --status 05 --progress 40 --config "$work/h20.conf" < /dev/null \
            > /dev/null 2>> "$work/reports.err" || fail "report on $code: $(tail -1 "$work/reports.err")"
    done < "$work/reported.txt"
}
# Revocations go both ways through the axis while daemons die: G22 revokes, H20 withdraws
# its tasks (and its iDesk is told). Taken once the province holds every task, from the
# documents none of whose tasks was reported on. (The reported tasks are the first by
# code of those present then, not of all 500: choosing by "the first 100 codes of all"
# let a document with a reported task be revoked, its 05 then arrived after the
# withdrawal and was rightly kept as history only, and the test waited for ever.)
revoke_some() {
    local docs reported
    reported=$(sed "s/.*/'&'/" "$work/reported.txt" | paste -sd, -)
    docs=$(query h20 "SELECT source_document_id FROM tasks GROUP BY source_document_id
        HAVING bool_and(task_code NOT IN ($reported))
        ORDER BY min(task_code) DESC LIMIT $revoked_documents")
    [[ $(wc -l <<< "$docs") == "$revoked_documents" ]] || fail "no $revoked_documents documents to revoke: $docs"
    while read -r doc; do
        "$connector" task revoke "$doc" --reason "Điều chỉnh kế hoạch" --config "$work/g22.conf" \
            > /dev/null 2>> "$work/reports.err" || fail "revoke $doc: $(tail -1 "$work/reports.err")"
    done <<< "$docs"
}

coproc SIM { exec "$axis_sim" --config "$source_dir/samples/axis-sim/axis-sim.json" \
    --port 0 --database "$work/axis-sim.db"; }
others+=("$SIM_PID")
read -r line <&"${SIM[0]}"
export CONNECTOR_AXIS_BASE_URL=${line##* }
set_faults() {  # JSON
    curl --silent --show-error --fail -X PUT \
        -H "Authorization: Bearer $(cat "$source_dir/samples/axis-sim/secrets/admin.token")" \
        --data "$1" "${CONNECTOR_AXIS_BASE_URL%/XrdAdapter/adapter}/admin/faults" > /dev/null
}

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/h20-webhook.secret"
chmod 600 "$work/h20-webhook.secret"
settings="poll.interval_ms = 100
retry.base_ms = 50
retry.cap_ms = 500
worker.lease_ms = 1500
worker.pass_lease_ms = 1500
webhook.retry_base_ms = 50
webhook.retry_cap_ms = 300
webhook.timeout_ms = 2000"
write_config g22 000.00.00.G22 "Văn phòng Chính phủ" g22.secret g22 <<< "$settings"
write_config h20 000.00.00.H20 "Ủy ban nhân dân tỉnh Đồng Tháp" h20.secret h20 \
    <<< "$settings"$'\n'"webhook.secret_file = $work/h20-webhook.secret"
store_of() { grep '^store.url' "$work/$1.conf" | cut -d' ' -f3; }
"$connector" migrate --store "$(store_of g22)" > /dev/null
"$connector" migrate --store "$(store_of h20)" > /dev/null
"$connector" token create --name h20-idesk --role backend --config "$work/h20.conf" \
    > "$work/h20.token" 2> /dev/null
# The two H20 daemons: H20's configuration, each with its own API port. H20's iDesk reads
# the change feed through the first when it sees a gap (an event id a killed daemon's
# rolled-back transaction used up).
h20a_port=$(free_port)
h20b_port=$(free_port)
for name in h20a h20b; do
    port_var="${name}_port"
    { cat "$work/h20.conf"; echo "http.listen = 127.0.0.1:${!port_var}"; } > "$work/$name.conf"
done
echo '{"clerks": []}' > "$work/scenario.json"
"$idesk_sim" --connector "http://127.0.0.1:$h20a_port" --token-file "$work/h20.token" \
    --webhook-secret-file "$work/h20-webhook.secret" --scenario "$work/scenario.json" \
    --name h20-idesk --listen 127.0.0.1:0 > "$work/idesk.out" 2> "$work/idesk.log" &
others+=("$!")
eventually "H20's iDesk listening" grep -q "listening on" "$work/idesk.out"
idesk_url=$(head -1 "$work/idesk.out")
idesk_url=${idesk_url##* }

# Each daemon logs to WORK/<name>.log; h20a and h20b share H20's database.
start() {  # name
    local webhooks=
    [[ $1 == h20? ]] && webhooks=$idesk_url/webhook
    CONNECTOR_WEBHOOK_URL=$webhooks "$connector" run --config "$work/$1.conf" \
        2>> "$work/$1.log" &
    daemon[$1]=$!
}
alive() { kill -0 "${daemon[$1]}" 2> /dev/null; }
kill_hard() {
    kill -KILL "${daemon[$1]}" 2> /dev/null || true
    wait "${daemon[$1]}" 2> /dev/null || true
}

for ((a = 1; a <= assignments; a++)); do
    assignment_json "$a" "$per_assignment" > "$work/assignment-$a.json"
    "$connector" task assign "$work/assignment-$a.json" --config "$work/g22.conf" > /dev/null \
        || fail "assignment $a not queued"
done
set_faults '{"http_500_rate": 0.1, "drop_before_rate": 0.03, "drop_after_rate": 0.05,
             "duplicate_rate": 0.2, "malformed_json_rate": 0.03, "seed": 23}'
start g22
start h20a
start h20b
eventually "G22 running" grep -q "event=DAEMON_STARTED" "$work/g22.log"
alive g22 || fail "G22 did not start: $(tail -3 "$work/g22.log")"

kills=0 restarts=0 reported=0 revoked=0
while ((kills < kills_wanted)); do
    sleep "0.$((RANDOM % 8 + 2))"
    victim=$([[ $((RANDOM % 2)) == 0 ]] && echo h20a || echo h20b)
    kill_hard "$victim"
    kills=$((kills + 1))
    start "$victim"
    if ((kills == 7 || kills == 14)); then
        # The database goes away for a moment under all three daemons.
        "$fixture" pause "$pg_dir"
        sleep 1
        "$fixture" resume "$pg_dir"
        restarts=$((restarts + 1))
    fi
    # Reports, once the province has tasks to report on (each a CLI writer of the database).
    if ((reported == 0)) && enough_to_report; then
        report_some
        reported=1
    fi
    if ((revoked == 0)) && all_tasks_here; then
        revoke_some
        revoked=1
    fi
done
((reported == 1)) || {
    eventually "the province's first $reports_total tasks" enough_to_report
    report_some
}
((revoked == 1)) || {
    eventually "the province holding all $tasks_total tasks" all_tasks_here
    revoke_some
}
set_faults '{"http_500_rate": 0, "drop_before_rate": 0, "drop_after_rate": 0,
             "duplicate_rate": 0, "malformed_json_rate": 0}'
for name in g22 h20a h20b; do
    alive "$name" || fail "$name ended by itself: $(tail -3 "$work/$name.log")"
done

converged() {
    [[ $(query h20 "SELECT count(*) FROM tasks") == "$tasks_total" &&
       $(query g22 "SELECT count(*) FROM tasks WHERE status_code = '01'") == $((tasks_total - reports_total)) &&
       $(query g22 "SELECT count(*) FROM tasks WHERE status_code = '05' AND progress = 40") == "$reports_total" &&
       $(query g22 "SELECT count(*) FROM tasks WHERE withdrawn = 1") == $((revoked_documents * per_assignment)) &&
       $(query h20 "SELECT count(*) FROM tasks WHERE withdrawn = 1") == $((revoked_documents * per_assignment)) ]]
}
eventually "both sides agreeing on $tasks_total tasks, $reports_total reports and $((revoked_documents * per_assignment)) withdrawn" converged
last_event=$(query h20 "SELECT max(id) FROM backend_events")
idesk_caught_up() {
    [[ $(curl -sf "$idesk_url/state" | jq '.highestSeq') == "$last_event" ]]
}
eventually "H20's iDesk holding every event up to $last_event" idesk_caught_up

# Nothing twice.
[[ $(query g22 "SELECT count(*) FROM tasks") == "$tasks_total" ]] || fail "g22 task count"
for side in g22 h20; do
    twice=$(query "$side" "SELECT knobstick_id FROM messages WHERE direction = 'inbound'
        AND knobstick_id <> '' GROUP BY knobstick_id HAVING count(*) > 1 LIMIT 5")
    [[ -z $twice ]] || fail "$side logged a knobstick twice: $twice"
    differ=$(query "$side" "SELECT document_id || ' ' || kind || ' ' || status_code FROM messages
        WHERE direction = 'outbound' AND business_type = 0
        GROUP BY document_id, kind, status_code HAVING count(DISTINCT raw_sha256) > 1 LIMIT 5")
    [[ -z $differ ]] || fail "$side sent a package twice with different bytes: $differ"
    applied_twice=$(query "$side" "SELECT task_code || ' ' || kind FROM task_events WHERE kind IN
        ('assigned', 'status', 'report', 'reported', 'revoked') GROUP BY task_code, kind, detail
        HAVING count(*) > 1 LIMIT 5")
    [[ -z $applied_twice ]] || fail "$side applied twice: $applied_twice"
done
state=$(curl -sf "$idesk_url/state")
[[ $(jq '.badSignatures' <<< "$state") == 0 ]] || fail "webhooks with bad signatures"
redelivered=$(jq '.duplicates' <<< "$state")
((redelivered <= kills)) || fail "$redelivered webhook events arrived twice ($kills kills)"
for name in g22 h20a h20b; do
    ! grep -q "event=DAEMON_FAILED" "$work/$name.log" || fail "$name failed: $(grep DAEMON_FAILED "$work/$name.log")"
done
stop_processes
for side in g22 h20; do
    "$connector" audit verify-chain --config "$work/$side.conf" > "$work/chain-$side.txt" 2>&1 \
        || fail "$side chain: $(cat "$work/chain-$side.txt")"
done
echo "HA test passed: $tasks_total tasks, $reports_total reports, $((revoked_documents * per_assignment)) withdrawn, $kills kills, $restarts database restarts, $redelivered webhook re-deliveries"
