#!/usr/bin/env bash
# `connector doctor` against the axis simulator: a sound configuration is all ✔ (exit 0);
# each broken thing is named with what to do (exit 1) while the other checks still run: a
# secret the axis refuses, an expired signing certificate, a stale CRL, a database at an
# older schema or not there, a webhook target that refuses connections, an axis whose
# clock is off.
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
said "^✔ clock: the axis's clock is within "
said "^✔ signing: key loads and matches the certificate; signing CN=000.00.00.H20.*expires in [0-9]* days"
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

# The same checks from the running daemon, at GET /api/v1/diagnostics: admins only.
admin_token=$("$connector" token create --name ops --role admin --config "$work/expired.conf")
auditor_token=$("$connector" token create --name audit --role auditor --config "$work/expired.conf")
# Through the API tests' contract proxy (tests/api/contract_proxy.go): each answer held
# to docs/openapi.yaml, and recorded for api/contract_coverage with theirs.
records=$work/../api-contract
mkdir -p "$records/examples"
"$(dirname "$connector")/../../tests/contract_proxy" "$source_dir/docs/openapi.yaml" \
    "http://127.0.0.1:$readyz_port" "$records/doctor-$$.jsonl" "$records/examples" \
    > "$work/proxy.out" 2> "$work/proxy.log" &
pids+=("$!")
eventually "the contract proxy" grep -q "^listening http://" "$work/proxy.out"
proxy_url=$(sed -n 's/^listening //p' "$work/proxy.out")
diagnostics() {  # token: the status, the body in $work/diagnostics.json
    curl -s -o "$work/diagnostics.json" -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} \
        "$proxy_url/api/v1/diagnostics${2:-}"
}
[[ $(diagnostics "") == 401 ]] || fail "/api/v1/diagnostics answered without a token"
[[ $(diagnostics "$auditor_token") == 403 ]] || fail "/api/v1/diagnostics answered an auditor"
[[ $(diagnostics "' OR '1'='1") == 401 ]] || fail "/api/v1/diagnostics answered a made-up token"
[[ $(diagnostics "$admin_token" "?verbose=1") == 400 ]] || fail "an unknown query parameter was taken"
[[ $(diagnostics "$admin_token") == 200 ]] || fail "/api/v1/diagnostics: $(cat "$work/diagnostics.json")"
/usr/bin/python3 - "$work/diagnostics.json" "$work/expired.conf" << 'PY' || fail "diagnostics: $(cat "$work/diagnostics.json")"
import json, sys
answer = json.load(open(sys.argv[1]))
checks = {check["name"]: check for check in answer["checks"]}
assert list(checks) == ["configuration", "database", "axis", "clock", "signing", "trust anchors",
                        "CRLs", "webhook", "readiness"], list(checks)
assert answer["outcome"] == "broken", answer["outcome"]
assert answer["checkedAt"].endswith("Z"), answer["checkedAt"]
assert checks["configuration"]["detail"].startswith(sys.argv[2]), checks["configuration"]
assert checks["signing"]["outcome"] == "broken" and "expired" in checks["signing"]["detail"], checks["signing"]
assert checks["signing"]["advice"].startswith("renew it with the CA now"), checks["signing"]
for name in ("database", "axis", "clock", "trust anchors"):
    assert checks[name]["outcome"] == "ok" and checks[name]["advice"] == "", checks[name]
assert checks["readiness"]["outcome"] == "broken", checks["readiness"]
assert "certificate: the signing certificate has expired" in checks["readiness"]["detail"], checks["readiness"]
PY
if grep -q '"violation"' "$records/doctor-$$.jsonl"; then
    fail "the diagnostics broke the contract: $(grep '"violation"' "$records/doctor-$$.jsonl")"
fi

# And on the pages: an admin sees why on every page, and the diagnostics.
printf 'mat-khau-quan-tri-2026\n' > "$work/quan-tri.password"
"$connector" user add --name quan-tri --role admin --password-file "$work/quan-tri.password" \
    --config "$work/expired.conf" > /dev/null
/usr/bin/python3 "$source_dir/tests/ui/readiness_banner.py" "http://127.0.0.1:$readyz_port" \
    quan-tri "$work/quan-tri.password" "$work/diagnostics-broken.png" > "$work/banner.txt" 2>&1 \
    || fail "the pages of a daemon that is not ready: $(cat "$work/banner.txt")"
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

# An axis whose clock is off: a few seconds pass, half a minute is a warning, five minutes
# are broken (the times on packages and deadlines go wrong).
skewed_axis() {  # seconds: the bundled simulator's configuration, its clock that far off
    /usr/bin/env python3 - "$source_dir/samples/axis-sim" "$1" > "$work/axis-skewed.json" << 'PY'
import json, os, sys
folder, offset = sys.argv[1], int(sys.argv[2])
config = json.load(open(os.path.join(folder, "axis-sim.json")))
config["clock_offset_s"] = offset
config["admin_token_file"] = os.path.join(folder, config["admin_token_file"])
for system in config["systems"]:
    system["secret_file"] = os.path.join(folder, system["secret_file"])
json.dump(config, sys.stdout, ensure_ascii=False)
PY
    if [[ -n ${AXIS_PID:-} ]]; then  # stop_pids above may have ended it already
        kill "$AXIS_PID" && wait "$AXIS_PID" 2> /dev/null || true
    fi
    start_axis_sim "$work/axis-skewed.json"
}
skewed_axis -30
[[ $(doctor "$work/h20.conf") == 0 ]] || fail "an axis 30 s behind was called broken: $(cat "$work/doctor.txt")"
said "^! clock: the axis's clock is 3[01] s behind ours"
said "→ check NTP on this host"
skewed_axis 300
[[ $(doctor "$work/h20.conf") == 1 ]] || fail "an axis 5 minutes ahead passed"
said "^✘ clock: the axis's clock is \(299\|300\) s ahead of ours"
said "→ the times on packages, deadlines and certificate checks go wrong"
said "^✔ axis: "  # its HMAC check does not depend on the clock

if "$connector" doctor --config "$work/nowhere.conf" > "$work/doctor.txt" 2>&1; then
    fail "a missing configuration file passed"
fi
said "^✘ configuration: "
echo "doctor: all checks passed"
