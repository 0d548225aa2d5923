#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server.
#
#   scripts/pg-throwaway.sh cargo test --workspace
#   scripts/pg-throwaway.sh            # no command: start, print the URL, wait for Ctrl-C
#
# The server lives in a fresh temporary directory (initdb --locale=C -E UTF8
# -U postgres --auth=trust), listens on 127.0.0.1 only, on a free port
# (PAYDESK_PG_PORT, default: the first free one from 55432), with its unix
# socket in the same directory. The command runs with
#   PAYDESK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres
# and the server is stopped and its directory deleted when this script exits,
# whether the command passed, failed or was interrupted.
#
# As root, initdb refuses to run, so the server runs as the `postgres` system
# user (created by Debian's postgresql package). Fsync is off: nothing here is
# meant to survive a crash.
set -euo pipefail

log() { printf 'pg-throwaway: %s\n' "$*" >&2; }

pg_bindir() {
    local dir
    if [[ -n "${PG_BINDIR:-}" ]]; then
        printf '%s\n' "$PG_BINDIR"
        return 0
    fi
    # Highest installed major version wins.
    dir=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -n 1)
    if [[ -n "$dir" ]]; then
        dirname "$dir"
        return 0
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

port_in_use() {
    # A successful connect means someone is listening.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port=$1 last=$(($1 + 200))
    while ((port <= last)); do
        if ! port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
        port=$((port + 1))
    done
    return 1
}

BINDIR=$(pg_bindir) || {
    log "no initdb found (install Debian's postgresql package)"
    exit 1
}

# Run a PostgreSQL program as the server's owner.
if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        log "running as root but there is no 'postgres' user to own the server"
        exit 1
    fi
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi

# As root the directory must be reachable by the postgres user: a TMPDIR under
# /root would not be, so root always uses /tmp.
if [[ $(id -u) -eq 0 ]]; then tmp_base=/tmp; else tmp_base=${TMPDIR:-/tmp}; fi
PGTMP=$(mktemp -d "$tmp_base/paydesk-pg.XXXXXX")
PGDATA_DIR="$PGTMP/data"
PGLOG="$PGTMP/postgres.log"
STARTED=0

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ((STARTED)); then
        as_owner "$BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w >/dev/null 2>&1 ||
            as_owner "$BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m immediate -w >/dev/null 2>&1 ||
            true
    fi
    rm -rf "$PGTMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chmod 700 "$PGTMP"
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$PGTMP"
fi

if ! as_owner "$BINDIR/initdb" -D "$PGDATA_DIR" --locale=C -E UTF8 -U postgres \
    --auth=trust --no-instructions >"$PGTMP/initdb.log" 2>&1; then
    log "initdb failed:"
    cat "$PGTMP/initdb.log" >&2
    exit 1
fi

# Tests need no durability; benchmarks do (PAYDESK_PG_DURABLE=1 keeps fsync and
# synchronous_commit on, as a production server has them).
if [[ "${PAYDESK_PG_DURABLE:-0}" == 1 ]]; then
    DURABILITY="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
else
    DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

# Try a few ports in case another process grabs the one we picked.
start_port=${PAYDESK_PG_PORT:-55432}
for _attempt in 1 2 3 4 5; do
    PORT=$(free_port "$start_port") || {
        log "no free port from $start_port"
        exit 1
    }
    if as_owner "$BINDIR/pg_ctl" start -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$PGTMP \
         $DURABILITY \
         -c max_connections=200" >/dev/null 2>&1; then
        STARTED=1
        break
    fi
    log "could not start on port $PORT, retrying on another"
    start_port=$((PORT + 1))
done
if ((!STARTED)); then
    log "PostgreSQL did not start; its log:"
    cat "$PGLOG" >&2 || true
    exit 1
fi

export PAYDESK_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT ($PGTMP)"

if (($# == 0)); then
    log "PAYDESK_TEST_DATABASE_URL=$PAYDESK_TEST_DATABASE_URL"
    log "press Ctrl-C to stop and delete it"
    while :; do sleep 3600; done
fi

# Not exec: the EXIT trap has to run after the command to stop the server.
"$@"
