#!/usr/bin/env bash
# The pages in a real browser (Debian's chromium, headless, driven by python3-selenium and
# chromium-driver): the axis simulator and two `connector run` daemons on SQLite, the
# Government office (G22) and the province (H20). G22's backend assigns tasks over the API
# to two of the province's departments; H20's users (two clerks of different units, a
# leader, an auditor) use H20's pages, and what they send arrives at G22; G22's own clerk
# assigns and revokes on G22's pages, and H20 receives it.
# tests/ui/browser_test.py holds the checks; each saves a screenshot in WORK_DIR/screens.
#
#   ui_test.sh CONNECTOR SOURCE_DIR WORK_DIR PKI_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3 pki=$4 backend=sqlite
rm -rf "$work" && mkdir -p "$work/screens"
source "$source_dir/tests/e2e/common.sh"

fail() {
    echo "FAIL: $*"
    for log in "$work"/*.log; do echo "--- $log"; tail -15 "$log"; done
    exit 1
}
for tool in /usr/bin/chromium /usr/bin/chromedriver; do
    [[ -x $tool ]] || fail "no $tool: run .ci/install-deps.sh --with-postgresql"
done
/usr/bin/python3 -c "import selenium, openpyxl" 2> /dev/null \
    || fail "no python3-selenium: run .ci/install-deps.sh --with-postgresql"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
}
trap cleanup EXIT

start_axis_sim

start_side() {  # name agency-code agency-name key
    local port
    port=$(free_port)
    write_config "$1" "$2" "$3" "$1.secret" "$4" << CONF
poll.interval_ms = 200
retry.base_ms = 0
retry.cap_ms = 0
http.listen = 127.0.0.1:$port
units.table = $source_dir/config/units-dong-thap.tsv
audit.checkpoint_file = $work/$1.checkpoints
CONF
    "$connector" run --config "$work/$1.conf" 2> "$work/$1.log" &
    pids+=("$!")
    eval "${1}_url=http://127.0.0.1:$port"
}
start_side g22 000.00.00.G22 "Văn phòng Chính phủ" g22
start_side h20 000.00.00.H20 "Ủy ban nhân dân tỉnh Đồng Tháp" h20
# shellcheck disable=SC2154 # set by start_side
eventually "G22's API" curl -sf "$g22_url/healthz"
eventually "H20's API" curl -sf "$h20_url/healthz"

"$connector" token create --name g22-idesk --role backend --config "$work/g22.conf" \
    > "$work/g22.token" 2> /dev/null
user() {  # side name role [units…]: a password file beside it
    local side=$1 name=$2 role=$3 args=()
    shift 3
    for unit in "$@"; do args+=(--unit "$unit"); done
    printf 'mat-khau-%s-2026\n' "$name" > "$work/$name.password"
    "$connector" user add --name "$name" --role "$role" "${args[@]}" \
        --password-file "$work/$name.password" --config "$work/$side.conf" > /dev/null
}
user h20 van-thu.skhcn clerk 000.00.14.H20
user h20 van-thu.svhttdl clerk 000.00.22.H20
user h20 lanh-dao leader
user h20 kiem-soat auditor
user h20 kiem-toan auditor  # the auditors' pages (kiem-soat ends locked out)
user h20 quan-tri admin  # the diagnostics
user g22 van-thu.vpcp clerk 000.00.00.G22  # the office's own clerk: assigns and revokes

# G22 assigns four tasks: three to Sở Khoa học và Công nghệ (one whose title is markup,
# one overdue), one to Sở Văn hóa, Thể thao và Du lịch.
cat > "$work/assignment.json" << 'JSON'
{"document": {"number": "15", "notation": "TB-VPCP",
              "subject": "Thông báo kết luận về chuyển đổi số tỉnh Đồng Tháp",
              "signer": {"fullName": "Trần Văn Sơn", "position": "Bộ trưởng, Chủ nhiệm"}},
 "tasks": [
   {"code": "#1", "title": "Xây dựng phân hệ theo dõi nhiệm vụ trên iDesk của tỉnh Đồng Tháp",
    "content": "Kết nối với Hệ thống theo dõi nhiệm vụ của Chính phủ qua Trục liên thông văn bản quốc gia.",
    "lead": {"organId": "000.00.14.H20", "name": "Sở Khoa học và Công nghệ"},
    "coordinating": [{"organId": "000.00.01.H20", "name": "Văn phòng UBND Tỉnh"}],
    "dueDate": "2030-12-31", "dueText": "Quý IV năm 2030"},
   {"code": "#2", "title": "<img src=x onerror=alert(1)>",
    "lead": {"organId": "000.00.14.H20", "name": "Sở Khoa học và Công nghệ"},
    "dueDate": "2030-06-30"},
   {"code": "#3", "title": "Rà soát hồ sơ quá hạn trên hệ thống một cửa",
    "lead": {"organId": "000.00.14.H20", "name": "Sở Khoa học và Công nghệ"},
    "dueDate": "2025-01-15"},
   {"code": "#4", "title": "Tuyên truyền về chuyển đổi số trên báo, đài địa phương",
    "lead": {"organId": "000.00.22.H20", "name": "Sở Văn hóa, Thể thao và Du lịch"},
    "dueText": "Thường xuyên"}
 ]}
JSON
status=$(curl -s -o "$work/assigned.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $(cat "$work/g22.token")" -H 'Content-Type: application/json' \
    --data-binary @"$work/assignment.json" "$g22_url/api/v1/tasks")
[[ $status == 202 ]] || fail "G22's assignment: $status $(cat "$work/assigned.json")"
received() { [[ $("$connector" task list --config "$work/h20.conf" | wc -l) == 4 ]]; }
eventually "H20 receiving the four tasks" received

export UI_H20_URL=$h20_url UI_G22_URL=$g22_url UI_G22_TOKEN=$(cat "$work/g22.token")
export UI_WORK=$work UI_SCREENS=$work/screens UI_CONNECTOR=$connector UI_PKI=$pki
/usr/bin/python3 "$source_dir/tests/ui/browser_test.py" || fail "browser checks"
echo "ui: every check passed; screenshots in $work/screens"
