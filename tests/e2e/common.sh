# Shared by the e2e scripts (sourced): a fresh store per connector and its config file,
# waiting for a condition, a free port, the assignment files.
# Expects: work, source_dir, pki, backend (sqlite|postgresql), pg_url_file, and `fail`.

store_url() {  # name: a fresh database for that connector
    if [[ $backend == postgresql ]]; then
        local server database=e2e_$1_$$
        server=$(cat "$pg_url_file")
        PGOPTIONS=--client-min-messages=warning psql "$server" -q -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database" >&2
        echo "${server%/*}/$database"
    else
        echo "sqlite3:$work/$1.db"
    fi
}

# name agency-code agency-name secret key, then extra "key = value" lines on stdin: a
# connector that signs with the test PKI's key and requires valid signatures.
write_config() {
    # The daemon refuses secret files that group or others may read.
    install -m 600 "$source_dir/samples/axis-sim/secrets/$4" "$work/$4"
    cat > "$work/$1.conf" <<CONF
agency.code = $2
agency.name = $3
store.url = $(store_url "$1")
axis.base_url = http://127.0.0.1:1/unused
axis.secret_file = $work/$4
signing.key_file = $pki/$5.key
signing.certificate_file = $pki/$5.pem
signing.chain_file = $pki/intermediate.pem
signing.passphrase_file = $pki/passphrase.txt
verify.policy = require
verify.trust = $pki/anchors
CONF
    cat >> "$work/$1.conf"
}

# Waits until the command succeeds, at most `wait_seconds` (default 120), looking every
# 0.1 s; else fails naming what it waited for.
eventually() {
    local what=$1
    shift
    for _ in $(seq $((${wait_seconds:-120} * 10))); do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "timed out waiting for: $what"
}

# A port nobody answers on (a connection to it is refused), for a daemon's http.listen.
free_port() {
    local port
    for _ in $(seq 50); do
        # Below the kernel's ephemeral range (32768-60999 on Debian): a daemon restarted
        # on its port must not find it taken by some outgoing connection meanwhile.
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
            echo "$port"
            return
        fi
    done
    fail "no free port"
}

# number tasks: an assignment of that many tasks to the province's departments (the
# JSON of `connector task assign`), on standard output.
assignment_json() {
    local leads=(000.00.01.H20 000.00.14.H20 000.00.22.H20 000.00.25.H20) t
    printf '{"number": "%d", "notation": "TB-VPCP", "subject": "Giao nhiệm vụ đợt %d", "tasks": [' "$1" "$1"
    for ((t = 1; t <= $2; t++)); do
        ((t > 1)) && printf ','
        printf '{"title": "Nhiệm vụ %d.%d", "lead": {"code": "%s", "name": "Đơn vị %d"}, "due": "Quý IV năm 2026"}' \
            "$1" "$t" "${leads[$((($1 + t) % 4))]}" "$t"
    done
    printf ']}\n'
}

# Starts the axis simulator (its own executable, samples/axis-sim; in memory, any free
# port), adds it to `pids` and exports its URL for the daemons (CONNECTOR_AXIS_BASE_URL).
# Expects: connector, source_dir, pids.
start_axis_sim() {  # [CONFIG]: the bundled samples/axis-sim/axis-sim.json unless named
    local axis_sim=${AXIS_SIM:-$(dirname "$connector")/../../samples/axis-sim/axis-sim} line
    local sim_config=${1:-$source_dir/samples/axis-sim/axis-sim.json}
    coproc AXIS { exec "$axis_sim" --config "$sim_config" --port 0 --database ''; }
    pids+=("$AXIS_PID")
    read -r line <&"${AXIS[0]}"
    export CONNECTOR_AXIS_BASE_URL=${line##* }
}

# For scripts that start daemons: each one's pid goes in `pids`; `stop_pids` (the EXIT
# trap) ends them all; `fail_with_logs` fails showing the end of every log in $work.
pids=()
stop_pids() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
}
fail_with_logs() {
    echo "FAIL: $*"
    for log in "$work"/*.log; do echo "--- $log"; tail -15 "$log"; done
    exit 1
}

# name: `connector run` on $work/NAME.conf, its log in $work/NAME.log, its pid in `pids`.
run_daemon() {
    "$connector" run --config "$work/$1.conf" 2> "$work/$1.log" &
    pids+=("$!")
}

# number tasks: G22 assigns that many tasks to H20's departments (assignment_json), and
# H20 is waited for until its task list holds them.
g22_assigns_to_h20() {
    assignment_json "$1" "$2" > "$work/assignment-$1.json"
    "$connector" task assign "$work/assignment-$1.json" --config "$work/g22.conf" > /dev/null \
        || fail "G22's assignment $1"
    local wanted=$2
    h20_holds_them() { [[ $("$connector" task list --config "$work/h20.conf" | wc -l) -ge $wanted ]]; }
    eventually "H20 receiving the $2 tasks of assignment $1" h20_holds_them
}
