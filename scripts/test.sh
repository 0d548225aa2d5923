#!/usr/bin/env bash
# The one command that runs every paydesk test.
#
#   scripts/test.sh              # everything, in this order:
#     tools     install chromium, postgresql, fonts-noto-cjk with apt when missing
#     lint      cargo fmt --check; cargo clippy -D warnings
#     sqlite    cargo test --workspace (SQLite, the default)
#     postgres  cargo test --workspace against a throwaway PostgreSQL
#     browser   paydesk demo + serve, then node --test browser/tests (Playwright
#               driving /usr/bin/chromium), then browser/screenshots.mjs
#   scripts/test.sh lint sqlite  # only the named steps (for local iteration)
#
# PAYDESK_SCREENSHOTS=1 makes the browser step rewrite docs/screenshots/*.png;
# without it the screenshots go to a temporary directory and the tree stays clean.
# CARGO_TARGET_DIR is respected.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
export DEBIAN_FRONTEND=noninteractive
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

ALL_STEPS=(tools lint sqlite postgres browser)
if (($# > 0)); then
    for s in "$@"; do
        case " ${ALL_STEPS[*]} " in
        *" $s "*) ;;
        *)
            echo "usage: $0 [tools|lint|sqlite|postgres|browser]..." >&2
            exit 2
            ;;
        esac
    done
    STEPS=("$@")
else
    STEPS=("${ALL_STEPS[@]}")
fi
want() { [[ " ${STEPS[*]} " == *" $1 "* ]]; }

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/paydesk-test.XXXXXX")
SERVER_PID=""
CURRENT_STEP="setup"
PASSED=0
FAILED=0
DONE_STEPS=()
START_TIME=$SECONDS

say() { printf '\n==> %s\n' "$*"; }

# Add up the tests a log reports: cargo's "test result: ... N passed; M failed"
# lines and node's test runner "# pass N" / "# fail N" (TAP) or "ℹ pass N" (spec).
count_tests() {
    local log=$1 p f
    p=$(sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1/p' "$log" |
        awk '{s+=$1} END {print s+0}')
    f=$(sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\2/p' "$log" |
        awk '{s+=$1} END {print s+0}')
    p=$((p + $(sed -nE 's/^(# |ℹ )pass ([0-9]+)$/\2/p' "$log" | awk '{s+=$1} END {print s+0}')))
    f=$((f + $(sed -nE 's/^(# |ℹ )fail ([0-9]+)$/\2/p' "$log" | awk '{s+=$1} END {print s+0}')))
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$LOGDIR"
    local elapsed=$((SECONDS - START_TIME))
    echo
    if ((rc == 0)); then
        echo "test.sh: OK in ${elapsed}s — steps: ${DONE_STEPS[*]:-none}"
    else
        echo "test.sh: FAILED in step '$CURRENT_STEP' after ${elapsed}s (exit $rc) — steps passed: ${DONE_STEPS[*]:-none}"
        ((FAILED > 0)) || FAILED=1
    fi
    echo "summary: $PASSED passed, $FAILED failed"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run a command with its output shown and kept in a log, count the tests it
# reports, and return its exit status.
run_counted() {
    local log=$1 rc=0
    shift
    "$@" 2>&1 | tee "$log" || rc=$?
    count_tests "$log"
    return "$rc"
}

# --------------------------------------------------------------------- tools
step_tools() {
    local pkgs=()
    [[ -x /usr/bin/chromium ]] || pkgs+=(chromium)
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || pkgs+=(postgresql)
    dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed' ||
        pkgs+=(fonts-noto-cjk)
    command -v curl >/dev/null 2>&1 || pkgs+=(curl)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
    if ((${#pkgs[@]} == 0)); then
        echo "all tools present (chromium, postgresql, fonts-noto-cjk, curl, node)"
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        echo "missing packages: ${pkgs[*]}; run as root or: sudo apt-get install -y ${pkgs[*]}" >&2
        return 1
    fi
    echo "installing: ${pkgs[*]}"
    apt-get update -q </dev/null
    apt-get install -y -q "${pkgs[@]}" </dev/null
}

# ---------------------------------------------------------------------- lint
step_lint() {
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
}

# -------------------------------------------------------------------- sqlite
step_sqlite() {
    run_counted "$LOGDIR/sqlite.log" env -u PAYDESK_TEST_DATABASE_URL cargo test --workspace
}

# ------------------------------------------------------------------ postgres
step_postgres() {
    # Build first so that compile time doesn't run while the server is up.
    cargo test --workspace --no-run
    run_counted "$LOGDIR/postgres.log" scripts/pg-throwaway.sh cargo test --workspace
}

# ------------------------------------------------------------------- browser
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local port=$1
    while port_in_use "$port"; do
        port=$((port + 1))
        ((port < $1 + 500)) || return 1
    done
    printf '%s\n' "$port"
}

step_browser() {
    cargo build -p paydesk
    local bin="$TARGET_DIR/debug/paydesk"
    [[ -x "$bin" ]] || {
        echo "no binary at $bin after cargo build -p paydesk" >&2
        return 1
    }

    if [[ ! -f browser/node_modules/playwright-core/package.json ]]; then
        if [[ -f browser/package-lock.json ]]; then
            (cd browser && npm ci --no-audit --no-fund)
        else
            (cd browser && npm install --no-audit --no-fund)
        fi
    fi

    local tmp="$LOGDIR/browser"
    mkdir -p "$tmp"
    local db="sqlite://$tmp/demo.db"

    # Card linking on demo data: the demo's public fingerprint key (the one `paydesk demo`
    # seeds with) and the built-in development issuer, whose code the cards page shows.
    export PAYDESK__CARDS__FINGERPRINT_KEY=paydesk-demo-fingerprint-key-not-for-production
    export PAYDESK__CARDS__DEV_ISSUER=true

    echo "seeding demo data ($db)"
    if ! DATABASE_URL="$db" "$bin" demo >"$tmp/demo.log" 2>&1; then
        echo "paydesk demo failed:" >&2
        tail -n 50 "$tmp/demo.log" >&2
        return 1
    fi
    tail -n 20 "$tmp/demo.log"

    # The server's Messenger channel is on and points at the fake Graph API that
    # browser/tests/staff_tickets.test.mjs runs on this port; the test signs its webhook
    # with the same secret and checks the Send API calls the outbox makes.
    export PAYDESK_FAKE_GRAPH_PORT=${PAYDESK_FAKE_GRAPH_PORT:-18765}
    export PAYDESK__CHANNELS__MESSENGER__APP_SECRET=browser-test-secret
    export PAYDESK__CHANNELS__MESSENGER__VERIFY_TOKEN=browser-test-verify
    export PAYDESK__CHANNELS__MESSENGER__PAGE_ACCESS_TOKEN=browser-test-page-token
    export PAYDESK__CHANNELS__MESSENGER__API_BASE="http://127.0.0.1:$PAYDESK_FAKE_GRAPH_PORT"
    # Reset links and other notices are readable on /dev/mailbox for the browser tests.
    export PAYDESK__SECURITY__DEV_MAILBOX=true
    # The demo data is encrypted with the public development key (no keys configured).
    export PAYDESK__ENCRYPTION__DEVELOPMENT_KEY=true

    local port
    port=$(free_port "${PAYDESK_TEST_PORT:-18080}")
    local url="http://127.0.0.1:$port"
    DATABASE_URL="$db" "$bin" serve --bind "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
    SERVER_PID=$!
    echo "server pid $SERVER_PID on $url; waiting for /readyz"
    local deadline=$((SECONDS + 60)) code
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/readyz" || true)
        [[ "$code" == 200 ]] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "paydesk serve exited before it was ready; its log:" >&2
            tail -n 50 "$tmp/server.log" >&2
            SERVER_PID=""
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "$url/readyz did not answer 200 within 60s (last: ${code:-none}); server log:" >&2
            tail -n 50 "$tmp/server.log" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "ready"

    local rc=0
    run_counted "$tmp/node.log" env PAYDESK_URL="$url" node --test browser/tests/*.test.mjs || rc=$?
    if ((rc != 0)); then
        echo "browser tests failed; last server log lines:" >&2
        tail -n 40 "$tmp/server.log" >&2
        return "$rc"
    fi

    # Screenshots are documentation, not a test: a failure here only warns.
    # Without PAYDESK_SCREENSHOTS=1 they go to the temp dir, so the tree stays clean.
    local shots_dir=""
    [[ "${PAYDESK_SCREENSHOTS:-}" == 1 ]] || shots_dir="$tmp/screenshots"
    if ! PAYDESK_URL="$url" PAYDESK_SCREENSHOT_DIR="$shots_dir" node browser/screenshots.mjs; then
        echo "warning: browser/screenshots.mjs failed (non-fatal)" >&2
    fi
}

for step in "${ALL_STEPS[@]}"; do
    want "$step" || continue
    CURRENT_STEP=$step
    say "$step"
    "step_$step"
    DONE_STEPS+=("$step")
done
CURRENT_STEP="done"
