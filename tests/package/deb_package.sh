#!/usr/bin/env bash
# The Debian package, built, checked and installed on this machine: cpack makes it;
# lintian finds no error in it; its dependencies are Debian packages; dpkg -i installs the
# binary, the commented config (0640, group connector), the migrations, the connector
# system user and the systemd unit, which `systemd-analyze verify` accepts and whose
# `systemd-analyze security` exposure stays at most kMaxExposure; the installed config is
# refused until agency.code is set, then `check-config` and `doctor` pass from the
# installed files, run as the connector user against the axis simulator; the installed
# daemon tells systemd READY=1 and STOPPING=1 (sd_notify) and logs for journald; purge
# removes the package's files and keeps the database.
#
#   deb_package.sh BUILD_DIR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
build=$1 source_dir=$2 work=$3 pki=$4 backend=sqlite
connector=$build/connector/daemon/connector  # for start_axis_sim (common.sh)
max_exposure=2.5
rm -rf "$work" && mkdir -p "$work"
source "$source_dir/tests/e2e/common.sh"
fail() { fail_with_logs "$@"; }

[[ $(id -u) == 0 ]] || fail "dpkg -i needs root"
for tool in cpack lintian dpkg-deb dpkg-shlibdeps systemd-analyze runuser setpriv; do
    command -v "$tool" > /dev/null || fail "$tool is missing (.ci/install-deps.sh --with-postgresql)"
done
# Whatever an earlier run left, and on the way out what this one installed.
remove_package() {
    dpkg --purge edxml-connector > /dev/null 2>&1 || true
    rm -rf /var/lib/connector /etc/connector
    if getent passwd connector > /dev/null; then deluser --system connector > /dev/null 2>&1 || true; fi
    if getent group connector > /dev/null; then delgroup --system connector > /dev/null 2>&1 || true; fi
}
remove_package
trap 'stop_pids; remove_package' EXIT

# Built from this build folder's install rules.
cpack --config "$build/CPackConfig.cmake" -B "$work/cpack" > "$work/cpack.txt" 2>&1 \
    || fail "cpack: $(tail -20 "$work/cpack.txt")"
deb=$(ls "$work"/cpack/edxml-connector_*.deb)

dpkg-deb -c "$deb" > "$work/contents.txt"
has_file() { grep -Eq "$1" "$work/contents.txt" || fail "the package lacks $2: $(cat "$work/contents.txt")"; }
has_file '^-rwxr-xr-x root/root .* \./usr/bin/connector$' "the binary"
has_file '^-rw-r----- root/root .* \./etc/connector/connector\.conf$' "the config, mode 0640"
has_file ' \./lib/systemd/system/connector\.service$' "the systemd unit"
has_file ' \./usr/share/edxml-connector/migrations/sqlite/0001_initial\.sql$' "the SQLite migrations"
has_file ' \./usr/share/edxml-connector/migrations/postgresql/0015_message_tallies\.sql$' "the PostgreSQL migrations"
has_file ' \./usr/share/doc/edxml-connector/copyright$' "the copyright file"
! grep -Eq 'axis-sim|idesk-sim|/secrets/|/samples/' "$work/contents.txt" \
    || fail "the package holds the simulators or their secrets: $(grep -E 'sim|secrets|samples' "$work/contents.txt")"
dpkg-deb -e "$deb" "$work/control"
[[ $(cat "$work/control/conffiles") == /etc/connector/connector.conf ]] \
    || fail "conffiles: $(cat "$work/control/conffiles")"

# Each dependency is a package of this Debian (dpkg-shlibdeps found it installed).
depends=$(dpkg-deb -f "$deb" Depends)
[[ $depends == *libpoco* && $depends == *libsoci* && $depends == *adduser* ]] \
    || fail "Depends: $depends"
for dependency in $(tr ',' '\n' <<< "$depends" | sed 's/[(|].*//; s/ //g'); do
    apt-cache show "$dependency" > /dev/null 2>&1 || fail "dependency $dependency is not a Debian package"
done

# lintian: no error (its warnings are printed for the record).
lintian --no-tag-display-limit "$deb" > "$work/lintian.txt" 2>&1 || true
if grep -q '^E:' "$work/lintian.txt"; then
    fail "lintian errors: $(grep '^E:' "$work/lintian.txt")"
fi
echo "lintian: $(grep -c '^W:' "$work/lintian.txt" || true) warnings"
grep '^W:' "$work/lintian.txt" || true

dpkg -i "$deb" > "$work/dpkg.txt" 2>&1 || fail "dpkg -i: $(cat "$work/dpkg.txt")"
getent passwd connector > "$work/user.txt" || fail "no connector user after install"
IFS=: read -r _ _ uid _ _ home shell < "$work/user.txt"
((uid < 1000)) || fail "connector is not a system user (uid $uid)"
[[ $home == /var/lib/connector && $shell == /usr/sbin/nologin ]] || fail "user: $(cat "$work/user.txt")"
[[ $(stat -c '%a %U %G' /etc/connector/connector.conf) == "640 root connector" ]] \
    || fail "config: $(stat -c '%a %U %G' /etc/connector/connector.conf)"
[[ $(stat -c '%a %U %G' /var/lib/connector) == "750 connector connector" ]] \
    || fail "state folder: $(stat -c '%a %U %G' /var/lib/connector)"
/usr/bin/connector version | grep -q "^connector [0-9]" || fail "the installed binary does not run"

# The unit: accepted as written, and its exposure recorded (docs/operations.md).
unit=/lib/systemd/system/connector.service
systemd-analyze verify "$unit" > "$work/verify.txt" 2>&1 || fail "systemd-analyze verify: $(cat "$work/verify.txt")"
if grep -v "^$" "$work/verify.txt" | grep -q .; then
    fail "systemd-analyze verify said: $(cat "$work/verify.txt")"
fi
systemd-analyze security --offline=true --no-pager "$unit" > "$work/security.txt" 2>&1 \
    || fail "systemd-analyze security: $(cat "$work/security.txt")"
exposure=$(sed -n 's/.*Overall exposure level for connector.service: \([0-9.]*\).*/\1/p' "$work/security.txt")
[[ -n $exposure ]] || fail "no exposure level: $(tail -5 "$work/security.txt")"
echo "systemd-analyze security: exposure $exposure"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }' \
    || fail "exposure $exposure is above $max_exposure: $(grep '✗' "$work/security.txt")"

as_connector() { runuser -u connector -- "$@"; }
conf=/etc/connector/connector.conf
# As installed, the config says what is missing.
status=0
as_connector /usr/bin/connector check-config --config "$conf" > "$work/fresh.txt" 2>&1 || status=$?
[[ $status != 0 ]] && grep -q "agency.code" "$work/fresh.txt" \
    || fail "the fresh config was not refused for agency.code: $(cat "$work/fresh.txt")"

# What an operator does: the keys in /etc/connector, the values in the config.
start_axis_sim
axis_url=$CONNECTOR_AXIS_BASE_URL
unset CONNECTOR_AXIS_BASE_URL  # the installed config alone says where the axis is
install -m 0600 -o connector -g connector "$source_dir/samples/axis-sim/secrets/h20.secret" /etc/connector/axis.secret
install -m 0600 -o connector -g connector "$pki/h20.key" /etc/connector/signing.key
install -m 0600 -o connector -g connector "$pki/passphrase.txt" /etc/connector/signing.passphrase
install -m 0644 "$pki/h20.pem" /etc/connector/signing.pem
install -m 0644 "$pki/intermediate.pem" /etc/connector/chain.pem
cp -r "$pki/anchors" /etc/connector/anchors
set_key() {  # key value: the key's line (commented or not) set in the installed config
    grep -Eq "^(# )?$1 = " "$conf" || fail "$1 is not in the installed config"
    sed -i -E "s|^(# )?$1 = .*|$1 = $2|" "$conf"
}
set_key agency.code 000.00.00.H20
set_key agency.name "UBND tỉnh Đồng Tháp"
set_key axis.base_url "$axis_url"
set_key axis.secret_file /etc/connector/axis.secret
set_key signing.key_file /etc/connector/signing.key
set_key signing.certificate_file /etc/connector/signing.pem
set_key signing.chain_file /etc/connector/chain.pem
set_key signing.passphrase_file /etc/connector/signing.passphrase
set_key verify.trust /etc/connector/anchors
port=$(free_port)
set_key http.listen "127.0.0.1:$port"

as_connector /usr/bin/connector migrate --store sqlite3:/var/lib/connector/connector.db > /dev/null
as_connector /usr/bin/connector check-config --config "$conf" > "$work/check.txt" 2>&1 \
    || fail "check-config: $(cat "$work/check.txt")"
grep -q "^configuration OK" "$work/check.txt" || fail "check-config: $(cat "$work/check.txt")"
grep -q "^store.url = sqlite3:/var/lib/connector/connector.db " "$work/check.txt" \
    || fail "the packaged store.url: $(grep store.url "$work/check.txt")"
as_connector /usr/bin/connector doctor --config "$conf" > "$work/doctor.txt" 2>&1 \
    || fail "doctor: $(cat "$work/doctor.txt")"
for line in "^✔ configuration: $conf" "^✔ database: sqlite3, schema [0-9]* (current)" \
    "^✔ axis: .* our HMAC is accepted" "^✔ signing: key loads and matches the certificate" \
    "^✔ trust anchors: [1-9] anchor file"; do
    grep -q -- "$line" "$work/doctor.txt" || fail "doctor did not say '$line': $(cat "$work/doctor.txt")"
done

# The installed daemon under a stand-in for systemd's notify socket.
python3 - "$work/notify.sock" > "$work/notify.txt" 2>&1 << 'PY' &
import socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(sys.argv[1])
import os
os.chmod(sys.argv[1], 0o777)
listener.settimeout(120)
while True:
    said = listener.recv(4096).decode()
    print(said.replace("\n", " | "), flush=True)
    if "STOPPING=1" in said:
        break
PY
pids+=("$!")
eventually "the notify socket" test -S "$work/notify.sock"
NOTIFY_SOCKET=$work/notify.sock setpriv --reuid connector --regid connector --init-groups \
    /usr/bin/connector run --config "$conf" 2> "$work/daemon.log" &
daemon=$!
pids+=("$daemon")
eventually "READY=1 from the installed daemon" grep -q "READY=1" "$work/notify.txt"
grep -q "^<6>level=info logger=connector.daemon event=DAEMON_STARTED agency=000.00.00.H20 " \
    "$work/daemon.log" || fail "no journald line for DAEMON_STARTED: $(head -3 "$work/daemon.log")"
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null || fail "the installed daemon's /healthz"
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon's exit status: $?"
eventually "STOPPING=1 from the installed daemon" grep -q "STOPPING=1" "$work/notify.txt"

dpkg --purge edxml-connector > "$work/purge.txt" 2>&1 || fail "dpkg --purge: $(cat "$work/purge.txt")"
[[ ! -e /usr/bin/connector && ! -e "$unit" && ! -e "$conf" ]] || fail "purge left the package's files"
[[ -f /var/lib/connector/connector.db ]] || fail "purge removed the database"
echo "deb package: all checks passed (exposure $exposure)"
