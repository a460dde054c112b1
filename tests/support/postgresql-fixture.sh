#!/usr/bin/env bash
# A private PostgreSQL server for the tests: CTest fixture `postgresql`.
#   postgresql-fixture.sh start DIR   initdb in DIR/data, start on a free loopback port,
#                                     write the connection URL to DIR/url
#   postgresql-fixture.sh stop DIR
#   postgresql-fixture.sh pause DIR    stop the server, keeping its data (an outage)
#   postgresql-fixture.sh resume DIR   start it again, on the same port
# As root (CI), the server runs as the `postgres` user, which PostgreSQL requires.
set -euo pipefail

action=${1:?usage: postgresql-fixture.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: postgresql-fixture.sh start|stop DIR}")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$bin" ]]; then
    echo "postgresql-fixture: no PostgreSQL server installed (apt-get install postgresql)" >&2
    exit 1
fi

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$action" in
start)
    if [[ -f "$dir/url" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" status > /dev/null 2>&1; then
        exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U connector -E UTF8 --locale=C.UTF-8 --no-sync > "$dir/initdb.log"
    # Durability off for the tests, which check behaviour, not power-loss safety;
    # PG_FIXTURE_DURABLE=1 keeps PostgreSQL's defaults (for bench/store).
    durability=""
    if [[ "${PG_FIXTURE_DURABLE:-0}" != 1 ]]; then
        durability=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    port=""
    # Below the kernel's ephemeral range (32768-60999 on Debian), so that no outgoing
    # connection takes the port while the server is paused (resume starts it on the same).
    # Two fixtures starting at once may both see a port free: the one that loses the bind
    # goes on to the next port.
    for candidate in $(seq 29432 29632); do
        if (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2> /dev/null; then
            continue
        fi
        settings="-p $candidate -k $dir -c listen_addresses=127.0.0.1 -c max_connections=50$durability"
        : > "$dir/server.log"
        [[ $(id -u) -eq 0 ]] && chown postgres "$dir/server.log"
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$settings" \
            start > /dev/null; then
            port=$candidate
            break
        fi
        grep -q "Address already in use" "$dir/server.log" || {
            echo "postgresql-fixture: the server did not start ($dir/server.log):" >&2
            tail -n 5 "$dir/server.log" >&2
            exit 1
        }
    done
    [[ -n "$port" ]] || { echo "postgresql-fixture: no free port" >&2; exit 1; }
    echo "$settings" > "$dir/settings"
    echo "postgresql://connector@127.0.0.1:$port/postgres" > "$dir/url"
    echo "postgresql-fixture: server on port $port ($dir)"
    ;;
pause)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null
    ;;
resume)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/settings")" \
        start > /dev/null
    ;;
stop)
    if [[ -d "$dir/data" ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null || true
    fi
    ;;
*)
    echo "usage: postgresql-fixture.sh start|stop|pause|resume DIR" >&2
    exit 2
    ;;
esac
