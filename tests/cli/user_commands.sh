#!/usr/bin/env bash
# `connector user …` through the real executable on a real SQLite store: users added with
# a password from a file, from standard input, or generated (printed once); listed with
# headers; passwords changed and users disabled; every change in the audit chain; bad
# input refused with status 2 and a message naming what is wrong; nothing but hashes kept.
#
#   user_commands.sh CONNECTOR SOURCE_DIR WORK_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

install -m 600 "$source_dir/samples/axis-sim/secrets/h20.secret" "$work/h20.secret"
cat > "$work/h20.conf" << CONF
agency.code = 000.00.00.H20
axis.secret_file = $work/h20.secret
axis.base_url = http://127.0.0.1:1/XrdAdapter/adapter
verify.policy = off
store.url = sqlite3:$work/h20.db
CONF
user() { "$connector" user "$@" --config "$work/h20.conf"; }

# refused: status 2, the reason named, nothing written
expect_refused() {  # text args...
    local text=$1 status=0
    shift
    user "$@" < /dev/null > "$work/out" 2> "$work/err" || status=$?
    [[ $status == 2 ]] || fail "'user $*' exited $status, not 2: $(cat "$work/err")"
    grep -q -- "$text" "$work/err" || fail "'user $*' did not say '$text': $(cat "$work/err")"
}

# 1. A clerk of Sở Khoa học và Công nghệ, the password from a file.
printf 'mật khẩu của văn thư 2026\n' > "$work/clerk.pw"
user add --name van-thu.skhcn --role clerk --unit 000.00.14.H20 --password-file "$work/clerk.pw" \
    > "$work/out" 2> "$work/err" || fail "clerk not added: $(cat "$work/err")"
grep -q "added van-thu.skhcn" "$work/out" || fail "no confirmation: $(cat "$work/out")"

# 2. A leader, the password typed on standard input.
printf 'lanh dao tinh dong thap\n' | user add --name lanh-dao --role leader > /dev/null 2>&1 \
    || fail "leader not added from standard input"

# 3. An admin, the password generated and printed once (20 characters, plain letters).
generated=$(user add --name quan-tri --role admin --generate 2> "$work/err") \
    || fail "admin not added: $(cat "$work/err")"
[[ $generated =~ ^[a-zA-Z2-9]{20}$ ]] || fail "generated password looks wrong: '$generated'"
grep -q "shown once" "$work/err" || fail "the generated password was not said to be shown once"

# 4. The list: headers, roles, units, states.
user list > "$work/list"
head -1 "$work/list" | grep -q "^NAME *ROLE *STATE *CREATED *UNITS" || fail "no header: $(head -1 "$work/list")"
grep -q "^van-thu.skhcn *clerk *active .*000.00.14.H20$" "$work/list" || fail "clerk row: $(cat "$work/list")"
grep -q "^lanh-dao *leader *active .* -$" "$work/list" || fail "leader row: $(cat "$work/list")"
[[ $(wc -l < "$work/list") == 4 ]] || fail "the list has $(wc -l < "$work/list") lines, not 4"

# 5. Only hashes are kept: no password in the database file, each a PBKDF2 hash.
for secret in "mật khẩu của văn thư 2026" "lanh dao tinh dong thap" "$generated"; do
    if grep -qF "$secret" "$work/h20.db" "$work"/h20.db-wal 2> /dev/null; then
        fail "a password is stored in clear"
    fi
done
[[ $(sqlite3 "$work/h20.db" "SELECT count(*) FROM users WHERE password_hash LIKE 'pbkdf2-sha256\$600000\$%'") == 3 ]] \
    || fail "not every password is a PBKDF2 hash of 600 000 iterations"

# 6. Refusals, each naming what is wrong.
status=0
user add --name lanh-dao --role leader --generate > /dev/null 2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "is taken" "$work/err" || fail "a second lanh-dao: $status $(cat "$work/err")"
expect_refused "--role must be" add --name x1 --role superuser --generate
expect_refused "needs at least one --unit" add --name x2 --role clerk --generate
expect_refused "only a clerk has units" add --name x3 --role leader --unit 000.00.14.H20 --generate
expect_refused "is not an agency code" add --name x4 --role clerk --unit "' OR '1'='1" --generate
expect_refused "--name must be" add --name "x'); DROP TABLE users; --" --role admin --generate
expect_refused "--name must be" add --name "Nguyễn" --role admin --generate
expect_refused "at least 12 characters" add --name x5 --role admin
printf 'short\n' > "$work/short.pw"
expect_refused "at least 12 characters" add --name x6 --role admin --password-file "$work/short.pw"
expect_refused "cannot read" add --name x7 --role admin --password-file "$work/missing.pw"
expect_refused "not both" add --name x8 --role admin --generate --password-file "$work/clerk.pw"
expect_refused "unknown option" add --name x9 --role admin --colour red
[[ $(sqlite3 "$work/h20.db" "SELECT count(*) FROM users") == 3 ]] || fail "a refused add wrote a user"

# 7. A new password, then disabled (once).
old_hash=$(sqlite3 "$work/h20.db" "SELECT password_hash FROM users WHERE name = 'lanh-dao'")
user password --name lanh-dao --generate > /dev/null 2>&1 || fail "password not changed"
[[ $(sqlite3 "$work/h20.db" "SELECT password_hash FROM users WHERE name = 'lanh-dao'") != "$old_hash" ]] \
    || fail "the hash did not change"
status=0
user password --name nobody --generate > /dev/null 2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "no user named 'nobody'" "$work/err" || fail "password of nobody: $status"
user disable --name lanh-dao > /dev/null || fail "not disabled"
status=0
user disable --name lanh-dao > /dev/null 2> "$work/err" || status=$?
[[ $status == 1 ]] && grep -q "no active user" "$work/err" || fail "disabled twice: $status"
grep -q "^lanh-dao *leader *disabled" <(user list) || fail "the list does not show lanh-dao disabled"

# 8. Every change is in the audit chain, and the chain verifies.
actions=$(sqlite3 "$work/h20.db" "SELECT action || ' ' || target FROM audit_events ORDER BY sequence")
for expected in "USER_ADDED van-thu.skhcn" "USER_ADDED lanh-dao" "USER_ADDED quan-tri" \
                "USER_PASSWORD_CHANGED lanh-dao" "USER_DISABLED lanh-dao"; do
    grep -qx "$expected" <<< "$actions" || fail "no audit entry '$expected': $actions"
done

# Tokens may expire (issue 18): the time is checked, kept, listed and audited.
token() { "$connector" token "$@" --config "$work/h20.conf"; }
status=0
token create --name old --role backend --expires 2020-01-01T00:00:00Z > /dev/null 2> "$work/err" || status=$?
[[ $status == 2 ]] && grep -q "is not a UTC time in the future" "$work/err" || fail "a past expiry: $status $(cat "$work/err")"
status=0
token create --name bad --role backend --expires "mai'; DROP TABLE api_clients; --" > /dev/null 2> "$work/err" || status=$?
[[ $status == 2 ]] || fail "a made-up expiry was taken"
[[ $(token create --name idesk --role backend --expires 2099-12-31T00:00:00Z 2> /dev/null) =~ ^[0-9a-f]{64}$ ]] \
    || fail "no token printed"
token list | grep -q "^idesk	backend	.*	valid until 2099-12-31T00:00:00.000Z$" || fail "list: $(token list)"
"$connector" audit events --action TOKEN_CREATED --config "$work/h20.conf" | grep -q "expires 2099-12-31T00:00:00.000Z" \
    || fail "the expiry is not in the audit chain"
"$connector" audit verify-chain --config "$work/h20.conf" > /dev/null 2>&1 || fail "the audit chain does not verify"
echo "user commands: ok"
