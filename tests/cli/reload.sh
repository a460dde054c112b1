#!/usr/bin/env bash
# SIGHUP on a running daemon: the configuration is read again and what can change without
# a restart is applied (log levels, the unit table, the trust anchors and CRLs), a key
# that needs a restart is named, and a bad file (unknown key, a unit table or CRL that
# cannot be read, no anchor) is refused with everything kept as it was. Each reload, and
# each refusal, is in the log and in the audit chain; the daemon keeps serving throughout.
#
#   reload.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=sqlite
rm -rf "$work" && mkdir -p "$work"
source "$source_dir/tests/e2e/common.sh"
fail() { fail_with_logs "$@"; }
trap stop_pids EXIT

start_axis_sim
port=$(free_port)
cp "$source_dir/config/units-dong-thap.tsv" "$work/units.tsv"
write_config h20 000.00.00.H20 "UBND tỉnh Đồng Tháp" h20.secret h20 << CONF
poll.interval_ms = 200
http.listen = 127.0.0.1:$port
units.table = $work/units.tsv
CONF
cp "$work/h20.conf" "$work/h20.conf.first"
run_daemon h20
daemon_pid=${pids[-1]}
eventually "H20's API" curl -sf "http://127.0.0.1:$port/healthz"
token=$("$connector" token create --name ops --role admin --config "$work/h20.conf")
units() {  # how many units GET /api/v1/agencies lists
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/agencies" |
        /usr/bin/python3 -c "import json,sys; print(len(json.load(sys.stdin)['agencies']))"
}
first_units=$(units)
[[ $first_units -ge 5 ]] || fail "the unit table: $first_units units"

hangup() {  # event: SIGHUP, then wait for the next log line with that event
    local before
    before=$(grep -c "event=$1" "$work/h20.log" || true)
    kill -HUP "$daemon_pid"
    eventually "$1 after SIGHUP" bash -c "[[ \$(grep -c 'event=$1' '$work/h20.log') -gt $before ]]"
    grep "event=$1" "$work/h20.log" | tail -1 > "$work/last.txt"
}
said() { grep -q -- "$1" "$work/last.txt" || fail "the reload did not say '$1': $(cat "$work/last.txt")"; }

# 1. A new unit, debug logging for the HTTP layer, CRLs where there were none.
printf 'Sở Thử nghiệm Tải lại\t000.00.98.H20\n' >> "$work/units.tsv"
cat >> "$work/h20.conf" << CONF
log.layer_levels = http=debug
verify.crl = $pki/crls
CONF
hangup CONFIG_RELOADED
said 'applied="[1-9] trust anchor(s), 2 CRL(s), [0-9]* unit(s), log.level info (http=debug)"'
grep -q 'restart_needed=' "$work/last.txt" && fail "a restart asked for: $(cat "$work/last.txt")"
[[ $(units) == $((first_units + 1)) ]] || fail "the new unit is not listed: $(units)"
units > /dev/null  # a request, logged at debug now
eventually "a debug line of the HTTP layer" grep -q "level=debug logger=connector.http event=REQUEST_DONE" "$work/h20.log"
# The daemon's own verifier has the CRLs now: GET /metrics shows their age.
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"
[[ $(grep -c '^connector_crl_age_seconds{issuer="' "$work/metrics.txt") == 2 ]] \
    || fail "CRL ages after the reload: $(grep crl "$work/metrics.txt")"

# 2. Refused: an unknown key, a unit table that is not there, a CRL that is not one, a
# trust folder without an anchor. Each time nothing changes.
good=$work/h20.conf.good
cp "$work/h20.conf" "$good"
with() {  # key value: the good file with that key set so (in place of its own line)
    { grep -v "^$1 = " "$good"; echo "$1 = $2"; } > "$work/h20.conf"
}
refused() {  # what the refusal names, then key and value
    local expected=$1
    with "$2" "$3"
    hangup CONFIG_RELOAD_REFUSED
    said "$expected"
    said 'kept=previous'
    [[ $(units) == $((first_units + 1)) ]] || fail "a refused reload changed the units"
}
refused "unknown setting 'bogus.key'" bogus.key 1
refused "units.table: cannot read $work/missing.tsv" units.table "$work/missing.tsv"
printf 'not a CRL\n' > "$work/bad-crl.pem"
refused "verify.trust/verify.crl: " verify.crl "$work/bad-crl.pem"
mkdir -p "$work/empty-anchors"
refused "no trust anchor" verify.trust "$work/empty-anchors"
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null || fail "the daemon stopped serving"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"
[[ $(grep -c '^connector_crl_age_seconds{issuer="' "$work/metrics.txt") == 2 ]] \
    || fail "a refused reload changed the CRLs: $(grep crl "$work/metrics.txt")"

# 3. A key only a restart applies is named, and the rest still reloads.
other_port=$(free_port)
with http.listen "127.0.0.1:$other_port"
hangup CONFIG_RELOADED
said 'restart_needed=http.listen$'
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null || fail "the API moved without a restart"

# 4. The audit chain has each of them, and verifies.
"$connector" audit events --action CONFIG_RELOADED --config "$work/h20.conf.first" > "$work/reloaded.txt"
[[ $(grep -c "CONFIG_RELOADED" "$work/reloaded.txt") == 2 ]] || fail "audit: $(cat "$work/reloaded.txt")"
grep -q "a restart applies: http.listen" "$work/reloaded.txt" || fail "audit: $(cat "$work/reloaded.txt")"
"$connector" audit events --action CONFIG_RELOAD_REFUSED --config "$work/h20.conf.first" > "$work/refused.txt"
[[ $(grep -c "CONFIG_RELOAD_REFUSED" "$work/refused.txt") == 4 ]] || fail "audit: $(cat "$work/refused.txt")"
grep -q "bogus.key" "$work/refused.txt" || fail "audit: $(cat "$work/refused.txt")"
"$connector" audit verify-chain --config "$work/h20.conf.first" > "$work/verify.txt" 2>&1 \
    || fail "the chains after the reloads: $(cat "$work/verify.txt")"
echo "reload: all checks passed"
