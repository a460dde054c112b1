#!/usr/bin/env bash
# The auditors' CLI against two real daemons on SQLite and the axis simulator: G22 assigns
# tasks to H20; at H20 an auditor lists the log, shows a message, takes its bytes (the
# very bytes G22 logged as sent), exports an evidence bundle and checks it offline; one
# changed byte in the package, the report or the chain proof, or the wrong trust anchors,
# and the bundle is refused; the xmlsec1 tool verifies the bundled package.
#
#   audit_commands.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=sqlite
rm -rf "$work" && mkdir -p "$work"
source "$source_dir/tests/e2e/common.sh"

fail() { fail_with_logs "$@"; }
trap stop_pids EXIT

start_axis_sim
start_side() {  # name agency-code agency-name key
    write_config "$1" "$2" "$3" "$1.secret" "$4" << CONF
poll.interval_ms = 200
retry.base_ms = 0
retry.cap_ms = 0
audit.checkpoint_file = $work/$1.checkpoints
audit.checkpoint_every_entries = 1000
CONF
    "$connector" run --config "$work/$1.conf" 2> "$work/$1.log" &
    pids+=("$!")
}
start_side g22 000.00.00.G22 "Văn phòng Chính phủ" g22
start_side h20 000.00.00.H20 "Ủy ban nhân dân tỉnh Đồng Tháp" h20
cat > "$work/assignment.json" << 'JSON'
{"number": "21", "notation": "TB-VPCP", "subject": "Thông báo kết luận về chuyển đổi số",
 "tasks": [{"code": "#1", "title": "Xây dựng phân hệ theo dõi nhiệm vụ",
            "lead": {"code": "000.00.14.H20", "name": "Sở Khoa học và Công nghệ"}}]}
JSON
"$connector" task assign "$work/assignment.json" --config "$work/g22.conf" > /dev/null \
    || fail "G22's assignment"
received() { [[ $("$connector" task list --config "$work/h20.conf" | wc -l) == 1 ]]; }
eventually "H20 receiving the task" received
"$connector" user add --name kiem-soat --role auditor --generate --config "$work/h20.conf" \
    > /dev/null

h20() { "$connector" audit "$@" --config "$work/h20.conf"; }
json_field() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The log as a table, with headers and Vietnamese labels; as JSON, filtered.
h20 messages > "$work/messages.txt"
grep -q '^Số  *Thời điểm (giờ VN)  *Chiều' "$work/messages.txt" || fail "no table headers"
grep -q 'nhận  *văn bản  *000.00.00.G22' "$work/messages.txt" || fail "no inbound document"
inbound=$(h20 messages --direction inbound --kind edoc --json \
    | json_field "d['messages'][0]['sequence']")
document=$(h20 messages --direction inbound --kind edoc --json \
    | json_field "d['messages'][0]['documentId']")
[[ $(h20 messages --document-id "$document" --direction inbound --json | json_field "d['total']") == 1 ]] \
    || fail "the search by DocumentId"
[[ $(h20 messages --verdict invalid --json | json_field "d['total']") == 0 ]] \
    || fail "the search by verdict"
if h20 messages --verdict "valid' OR '1'='1" > /dev/null 2> "$work/bad.txt"; then
    fail "a hostile verdict was accepted"
fi
grep -q "is not a signature verdict" "$work/bad.txt" || fail "the hostile verdict's error"
if h20 messages --since 2026-13-01 > /dev/null 2> "$work/bad.txt"; then
    fail "a wrong date was accepted"
fi

# One message, and its bytes: those G22 logged as sent.
h20 show "$inbound" > "$work/show.txt"
grep -q "^Chữ ký: *valid" "$work/show.txt" || fail "show: the verdict ($(cat "$work/show.txt"))"
grep -q "^Nhiệm vụ liên quan:" "$work/show.txt" || fail "show: the tasks"
grep -q "000.00.00.G22,.*#1\|assigned" "$work/show.txt" || fail "show: no task touched"
h20 show "$inbound" --raw > "$work/received.xml"
sent=$("$connector" audit messages --config "$work/g22.conf" --document-id "$document" \
    --direction outbound --kind edoc --json | json_field "d['messages'][0]['sequence']")
"$connector" audit show "$sent" --raw --config "$work/g22.conf" > "$work/sent.xml"
cmp -s "$work/received.xml" "$work/sent.xml" || fail "the bytes received are not those sent"

# The admin actions chain.
h20 events --action USER_ADDED > "$work/events.txt"
grep -q "kiem-soat" "$work/events.txt" || fail "audit events: the user added"

# An evidence bundle, intact; then one byte changed in each part.
h20 export "$inbound" --out "$work/bundle.zip" > /dev/null || fail "export"
"$connector" audit verify-bundle "$work/bundle.zip" --trust "$pki/anchors" > "$work/verify.txt" \
    || fail "the intact bundle: $(cat "$work/verify.txt")"
grep -q "bundle intact" "$work/verify.txt" || fail "no verdict"
grep -q "signature valid (as logged: valid)" "$work/verify.txt" || fail "the package's verdict"
mkdir "$work/unzipped"
(cd "$work/unzipped" && /usr/bin/python3 -m zipfile -e "$work/bundle.zip" .)
cmp -s "$work/unzipped/packages/message-$inbound.xml" "$work/received.xml" \
    || fail "the bundled package is not the logged one"
grep -q "xmlsec1 --verify" "$work/unzipped/report.txt" || fail "the report shows no xmlsec1 command"
xmlsec1 --verify --trusted-pem "$pki/root.pem" "$work/unzipped/packages/message-$inbound.xml" \
    > "$work/xmlsec1.txt" 2>&1 || fail "xmlsec1 refused the bundled package: $(cat "$work/xmlsec1.txt")"

changed_copy() {  # member: a copy of the bundle with one byte of it changed
    /usr/bin/python3 - "$work/bundle.zip" "$work/changed.zip" "$1" << 'PY'
import sys, zipfile
source, target, member = sys.argv[1:]
with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == member:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]
        zout.writestr(item.filename, data)
PY
}
for member in "packages/message-$inbound.xml" report.txt report.json chain-proof.json \
    manifest.json; do
    changed_copy "$member"
    if "$connector" audit verify-bundle "$work/changed.zip" --trust "$pki/anchors" \
        > "$work/refused.txt"; then
        fail "a bundle with a changed byte in $member was accepted"
    fi
    grep -q "REFUSED" "$work/refused.txt" || fail "no refusal for $member"
done
mkdir "$work/other-anchors" && cp "$pki/untrusted-root.pem" "$work/other-anchors/"
if "$connector" audit verify-bundle "$work/bundle.zip" --trust "$work/other-anchors" \
    > "$work/refused.txt"; then
    fail "a bundle signed outside the trust anchors was accepted"
fi
grep -q "does not chain to the trust anchors" "$work/refused.txt" || fail "the wrong anchors' error"
echo "audit commands: every check passed"
