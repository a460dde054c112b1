#!/usr/bin/env bash
# `connector doctor` against the axis simulator: a sound configuration is all ✔ (exit 0);
# each broken thing is named with what to do (exit 1) while the other checks still run: a
# secret the axis refuses, an expired signing certificate, a stale CRL, a database at an
# older schema or not there, a webhook target that refuses connections.
#
#   doctor.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=sqlite
rm -rf "$work" && mkdir -p "$work"
source "$source_dir/tests/e2e/common.sh"
fail() { fail_with_logs "$@"; }
trap stop_pids EXIT

start_axis_sim
write_config h20 000.00.00.H20 "UBND tỉnh Đồng Tháp" h20.secret h20 < /dev/null
"$connector" migrate --store "sqlite3:$work/h20.db" > /dev/null

doctor() {  # config: the report in $work/doctor.txt, the exit status echoed
    local status=0
    "$connector" doctor --config "$1" > "$work/doctor.txt" 2>&1 || status=$?
    echo "$status"
}
said() { grep -q -- "$1" "$work/doctor.txt" || fail "doctor did not say '$1': $(cat "$work/doctor.txt")"; }

[[ $(doctor "$work/h20.conf") == 0 ]] || fail "a sound configuration: $(cat "$work/doctor.txt")"
said "^✔ configuration: $work/h20.conf"
said "^✔ database: sqlite3, schema [0-9]* (current)"
said "^✔ axis: .* answered getAgenciesList (.*): our HMAC is accepted"
said "^✔ signing: key and certificate usable; signing CN=000.00.00.H20.*expires in [0-9]* days"
said "^✔ trust anchors: [1-9] anchor file(s)"
said "^! CRLs: no verify.crl"
said "^✔ webhook: no webhook.url"

variant() {  # name, then sed expressions: a copy of h20.conf changed so
    local name=$1
    shift
    sed "$@" "$work/h20.conf" > "$work/$name.conf"
    echo "$work/$name.conf"
}
install -m 600 "$source_dir/samples/axis-sim/secrets/g22.secret" "$work/other.secret"
[[ $(doctor "$(variant wrong-secret -e "s|^axis.secret_file = .*|axis.secret_file = $work/other.secret|")") == 1 ]] \
    || fail "a refused secret passed"
said "^✘ axis: "
said "→ the axis refused systemid '000.00.00.H20' or its secret"
said "^✔ database: "  # the other checks went on

[[ $(doctor "$(variant expired -e "s|^signing.key_file = .*|signing.key_file = $pki/expired.key|" \
    -e "s|^signing.certificate_file = .*|signing.certificate_file = $pki/expired.pem|")") == 1 ]] \
    || fail "an expired signing certificate passed"
said "^✘ signing: .*expired [0-9]* days ago"
said "→ renew it with the CA now"

# The daemon with that certificate says so in its log and in /readyz (which needs no
# token), and keeps running: what it receives is still verified and applied.
readyz_port=$(free_port)
echo "http.listen = 127.0.0.1:$readyz_port" >> "$work/expired.conf"
"$connector" migrate --store "sqlite3:$work/h20.db" > /dev/null
run_daemon expired
answered() { curl -s -o "$work/readyz.json" "http://127.0.0.1:$readyz_port/readyz"; }
eventually "the expired daemon's /readyz" answered
grep -q '"certificate: the signing certificate has expired (.*): renew it"' "$work/readyz.json" \
    || fail "/readyz: $(cat "$work/readyz.json")"
grep -q 'level=error logger=connector.edxml event=CERTIFICATE_EXPIRED role=signing subject="CN=' "$work/expired.log" \
    || fail "no certificate.expired in the log: $(cat "$work/expired.log")"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$readyz_port/readyz") == 503 ]] \
    || fail "/readyz was not 503 with an expired signing certificate"
stop_pids
pids=()
# Only that one: the chain and the anchor have years left, and are not warned of.
[[ $(grep -c "event=CERTIFICATE_" "$work/expired.log") == 1 ]] \
    || fail "certificate lines: $(grep "event=CERTIFICATE_" "$work/expired.log")"

echo "verify.crl = $pki/crl-intermediate-stale.pem" >> "$(variant stale -e '')"
[[ $(doctor "$work/stale.conf") == 1 ]] || fail "a stale CRL passed"
said "^✘ CRLs: stale: "

cp "$work/h20.db" "$work/older.db"
sqlite3 "$work/older.db" "DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)"
[[ $(doctor "$(variant older -e "s|^store.url = .*|store.url = sqlite3:$work/older.db|")") == 1 ]] \
    || fail "an older schema passed"
said "^✘ database: .*connector migrate"

[[ $(doctor "$(variant no-server -e "s|^store.url = .*|store.url = postgresql://connector@127.0.0.1:1/none|")") == 1 ]] \
    || fail "an unreachable database passed"
said "^✘ database: not reachable"
said "→ start the database server or correct store.url"

port=$(free_port)
echo "webhook.url = http://127.0.0.1:$port/hook" >> "$(variant webhook -e '')"
[[ $(doctor "$work/webhook.conf") == 1 ]] || fail "a refusing webhook target passed"
said "^✘ webhook: http://127.0.0.1:$port/hook does not accept connections"

if "$connector" doctor --config "$work/nowhere.conf" > "$work/doctor.txt" 2>&1; then
    fail "a missing configuration file passed"
fi
said "^✘ configuration: "
echo "doctor: all checks passed"
