#!/usr/bin/env bash
# GET /metrics of a real daemon, after an exchange with another through the axis
# simulator: only a metrics (or admin) token reads it; what it says passes Prometheus's
# own `promtool check metrics`; and it tells the truth: the packages H20 logged, its
# queues, the passes it ran and the axis calls it made, its chain head, its tasks, and when
# its signing certificate expires. Its log, in JSON lines with the HTTP layer at debug,
# and G22's, in a file of its own, hold only events docs/log-events.md lists.
#
#   metrics.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=sqlite
rm -rf "$work" && mkdir -p "$work"
source "$source_dir/tests/e2e/common.sh"
fail() { fail_with_logs "$@"; }
trap stop_pids EXIT
command -v promtool > /dev/null || fail "promtool is missing (Debian package prometheus)"

start_axis_sim
port=$(free_port)
write_config g22 000.00.00.G22 "Văn phòng Chính phủ" g22.secret g22 << CONF
poll.interval_ms = 200
log.output = file
log.file = g22-own.log
CONF
write_config h20 000.00.00.H20 "UBND tỉnh Đồng Tháp" h20.secret h20 << CONF
poll.interval_ms = 200
http.listen = 127.0.0.1:$port
log.format = json
log.layer_levels = http=debug
CONF
run_daemon g22
run_daemon h20
g22_assigns_to_h20 41 3
metrics_token=$("$connector" token create --name prometheus --role metrics --config "$work/h20.conf")
clerk_token=$("$connector" token create --name idesk --role backend --config "$work/h20.conf")

scrape() {  # token: the status, the body in $work/metrics.txt
    curl -s -o "$work/metrics.txt" -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} \
        "http://127.0.0.1:$port/metrics"
}
[[ $(scrape "") == 401 ]] || fail "/metrics answered without a token"
[[ $(scrape "$clerk_token") == 403 ]] || fail "/metrics answered a backend token"
[[ $(scrape "' OR '1'='1") == 401 ]] || fail "/metrics answered a made-up token"
# The 01 replies H20 sends for what it stored are counted once they are logged.
replied() {
    [[ $(scrape "$metrics_token") == 200 ]] &&
        grep -q '^connector_messages_logged_total{direction="outbound",kind="status",business_type="0",verdict="signed"} [1-9]' "$work/metrics.txt"
}
eventually "H20's replies in its metrics" replied
promtool check metrics < "$work/metrics.txt" > "$work/promtool.txt" 2>&1 \
    || fail "promtool: $(cat "$work/promtool.txt")"

has() { grep -q "$1" "$work/metrics.txt" || fail "no line matching '$1' in: $(cat "$work/metrics.txt")"; }
# The tallies are the log's: what `audit messages` counts of it.
logged=$("$connector" audit messages --direction inbound --kind edoc --verdict valid --json \
    --config "$work/h20.conf" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['total'])")
[[ $logged -ge 1 ]] || fail "H20 logged no valid document"
has "^connector_messages_logged_total{direction=\"inbound\",kind=\"edoc\",business_type=\"0\",verdict=\"valid\"} $logged\$"
has '^connector_queue_depth{queue="outbox"} [0-9]'
has '^connector_queue_oldest_age_seconds{queue="inbox"} [0-9]'
has '^connector_queue_retrying{queue="outbox"} 0$'
has '^connector_chain_head_sequence{chain="messages"} [1-9]'
has '^connector_tasks{timeliness="open_on_time"} 3$'
has '^connector_pass_duration_seconds_count{pass="inbound.poll.edoc"} [1-9]'
has '^connector_pass_duration_seconds_bucket{pass="outbox.send",le="+Inf"} [1-9]'
has '^connector_axis_call_duration_seconds_count{operation="getReceivedEdocList"} [1-9]'
has '^connector_axis_call_duration_seconds_count{operation="sendEdoc"} [1-9]'
has '^connector_axis_circuit_open{endpoint="axis"} 0$'
has '^connector_certificate_expiry_timestamp_seconds{role="trust",subject="[^"]*"} [0-9]'
# Our signing certificate, its notAfter as openssl reads it.
expected=$(date -d "$(openssl x509 -in "$pki/h20.pem" -noout -enddate | cut -d= -f2)" +%s)
has "^connector_certificate_expiry_timestamp_seconds{role=\"signing\",subject=\"[^\"]*\"} $expected\$"

# The logs: H20's JSON lines parse and name the packages; G22 wrote to its file only.
python3 - "$work/h20.log" << 'PY' || fail "H20's JSON log"
import json, sys
events = {}
for line in open(sys.argv[1], encoding="utf-8"):
    entry = json.loads(line)
    assert {"time", "level", "logger", "event"} <= entry.keys(), line
    events.setdefault(entry["event"], []).append(entry)
received = events["PACKAGE_RECEIVED"]
assert all(e["package"] and e["knobstick"] and e["logger"] == "connector.axis" for e in received)
assert any(e["path"] == "/metrics" and e["status"] == 200 for e in events["REQUEST_DONE"])
assert any(e["path"] == "/metrics" and e["status"] == 401 for e in events["REQUEST_DONE"])
PY
grep -q "logger=connector.axis event=PACKAGE_SENT package=" "$work/g22-own.log" \
    || fail "G22's log file has no PACKAGE_SENT: $(head -5 "$work/g22-own.log")"
! grep -q "event=" "$work/g22.log" || fail "G22 logged to stderr too: $(head -3 "$work/g22.log")"
python3 "$source_dir/tests/log/log_events_check.py" "$source_dir" "$work/h20.log" \
    "$work/g22-own.log" > "$work/events-check.txt" || fail "$(cat "$work/events-check.txt")"
echo "metrics: all checks passed"
