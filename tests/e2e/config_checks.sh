#!/usr/bin/env bash
# The settings issue 12 made strict, through the real executable: verifying without
# trust anchors is a config error naming the key; secret files open to others are
# refused unless the operator relaxes it (then warned about); passwords and keys in URLs
# never reach check-config's output or the daemon's log; SHA-1 is refused unless
# verify.allow_sha1 says otherwise.
#
#   config_checks.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR PG_URL_FILE
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 pg_url_file=$5
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

install -m 600 "$source_dir/samples/axis-sim/secrets/h20.secret" "$work/h20.secret"
base="agency.code = 000.00.00.H20
axis.secret_file = $work/h20.secret
axis.base_url = http://operator:axis-pass-123@127.0.0.1:1/XrdAdapter/adapter
webhook.url = http://127.0.0.1:1/hooks?token=hook-token-456
webhook.secret_file = $work/h20.secret"

# 1. The default policy (verify) without verify.trust: refused, naming the key.
printf '%s\nstore.url = sqlite3:%s\n' "$base" "$work/a.db" > "$work/no-trust.conf"
status=0
"$connector" check-config --config "$work/no-trust.conf" > "$work/out" 2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "verify.policy = verify needs verify.trust" "$work/err" \
    || fail "verify without anchors: exit $status, $(cat "$work/err")"

# 2. Credentials in URLs are redacted by check-config (a PostgreSQL password, the axis
#    URL's user info and token) and by the daemon's start log.
pg_url=$(cat "$pg_url_file")  # postgresql://connector@127.0.0.1:PORT/postgres (trust auth)
psql -q "$pg_url" -c "DROP DATABASE IF EXISTS config_checks" -c "CREATE DATABASE config_checks"
pg_with_password=${pg_url/connector@/connector:pg-pass-789@}
pg_with_password=${pg_with_password%/*}/config_checks
printf '%s\nstore.url = %s\nverify.policy = off\n' "$base" "$pg_with_password" > "$work/pg.conf"
"$connector" migrate --store "$pg_with_password" > /dev/null
"$connector" check-config --config "$work/pg.conf" > "$work/out" 2> "$work/err" \
    || fail "check-config with a PostgreSQL password: $(cat "$work/err")"
grep -q "^store.url = postgresql://connector:\*\*\*@" "$work/out" || fail "no redacted store.url: $(cat "$work/out")"
grep -q "^axis.base_url = http://operator:\*\*\*@127.0.0.1:1/XrdAdapter/adapter " "$work/out" \
    || fail "the axis URL is not redacted: $(cat "$work/out")"
grep -q "^webhook.url = http://127.0.0.1:1/hooks?token=\*\*\* " "$work/out" \
    || fail "the webhook URL is not redacted: $(cat "$work/out")"
! grep -q -e "pg-pass-789" -e "axis-pass-123" -e "hook-token-456" "$work/out" "$work/err" \
    || fail "a credential was printed: $(cat "$work/out" "$work/err")"
"$connector" run --once --config "$work/pg.conf" > /dev/null 2> "$work/run.log" || true
grep -q "event=DAEMON_STARTED" "$work/run.log" || fail "the daemon did not start: $(cat "$work/run.log")"
! grep -q -e "pg-pass-789" -e "axis-pass-123" -e "hook-token-456" "$work/run.log" \
    || fail "a credential reached the log: $(grep -e pass -e token "$work/run.log")"

# 3. A secret file that group or others may read: refused; accepted with a warning when
#    secrets.allow_loose_permissions = true.
chmod 644 "$work/h20.secret"
printf '%s\nstore.url = sqlite3:%s\nverify.policy = off\n' "$base" "$work/b.db" > "$work/loose.conf"
"$connector" migrate --store "sqlite3:$work/b.db" > /dev/null
status=0
"$connector" check-config --config "$work/loose.conf" > "$work/out" 2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "axis.secret_file.*has mode 0644.*chmod 600" "$work/err" \
    || fail "a 0644 secret was accepted: exit $status, $(cat "$work/err")"
echo "secrets.allow_loose_permissions = true" >> "$work/loose.conf"
"$connector" check-config --config "$work/loose.conf" > "$work/out" 2> "$work/err" \
    || fail "relaxed permissions refused: $(cat "$work/err")"
grep -q "^warning: axis.secret_file.*0644" "$work/err" || fail "no warning: $(cat "$work/err")"
chmod 600 "$work/h20.secret"

# 4. verify.allow_sha1 reaches the daemon's verifier: check-config shows it off by
#    default, and a bad value is refused naming the key.
printf '%s\nstore.url = sqlite3:%s\nverify.trust = %s\n' "$base" "$work/b.db" "$pki/anchors" \
    > "$work/sha1.conf"
"$connector" check-config --config "$work/sha1.conf" > "$work/out" 2> "$work/err" \
    || fail "check-config with anchors: $(cat "$work/err")"
grep -q "^verify.allow_sha1 = false    # default" "$work/out" || fail "SHA-1 not off by default"
echo "verify.allow_sha1 = yes" >> "$work/sha1.conf"
status=0
"$connector" check-config --config "$work/sha1.conf" > "$work/out" 2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "verify.allow_sha1: 'yes' is not one of true|false" "$work/err" \
    || fail "a bad allow_sha1: exit $status, $(cat "$work/err")"

# 6. The file `config defaults` writes has its required keys empty: refused, each named.
"$connector" config defaults > "$work/defaults.conf"
status=0
"$connector" check-config --config "$work/defaults.conf" > "$work/out" 2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "'agency.code' is required (.*), and is empty" "$work/err" \
    && grep -q "'axis.base_url' is required (.*), and is empty" "$work/err" \
    || fail "empty required keys: exit $status, $(cat "$work/err")"

# 7. The log settings are checked by every command, each bad value named.
for bad in "log.layer_levels = htp=debug|log.layer_levels: 'htp' is not a layer" \
    "log.layer_levels = http=loud|log.layer_levels: 'loud' is not a level" \
    "log.output = printer|log.output: 'printer' is not one of" \
    "log.output = file|log.file: needed with log.output = file" \
    "log.keep = -1|log.keep: '-1' is not a whole number"; do
    printf '%s\nstore.url = sqlite3:%s\nverify.policy = off\n%s\n' "$base" "$work/log.db" \
        "${bad%%|*}" > "$work/log.conf"
    status=0
    "$connector" check-config --config "$work/log.conf" > "$work/out" 2> "$work/err" || status=$?
    [[ $status == 1 ]] && grep -qF "${bad#*|}" "$work/err" \
        || fail "${bad%%|*}: exit $status, $(cat "$work/err")"
done

echo "all checks passed"
