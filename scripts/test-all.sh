#!/usr/bin/env bash
# Runs every check and test against both stores. Installs and starts PostgreSQL
# from Debian packages when it is missing (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

start_postgres() {
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        echo "== installing PostgreSQL from Debian packages"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    local version
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
        as_root pg_createcluster "$version" main >/dev/null
    fi
    as_root pg_ctlcluster "$version" main start 2>/dev/null || true
    for _ in $(seq 1 30); do
        as_root su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
        sleep 1
    done
    # The tests connect over TCP with a password, as a deployment would.
    as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    # Each test makes a database of its own; drop those of earlier runs.
    as_root su postgres -c "psql -qtAc \"select datname from pg_database where datname like 'trail_test_%'\"" |
        while read -r db; do as_root su postgres -c "dropdb --if-exists '$db'"; done
}

if [ -z "${TRAIL_TEST_POSTGRES_URL:-}" ]; then
    start_postgres
    export TRAIL_TEST_POSTGRES_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres"
fi
# Under CI a missing PostgreSQL fails the suite instead of skipping it.
export CI="${CI:-true}"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests (SQLite and PostgreSQL)"
cargo test --workspace --locked
echo "== JavaScript Logger: Node's test runner, then headless Chromium against a real server"
if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing Chromium from Debian packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
target_dir=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
cargo build --locked -p trail-cli
(cd sdk/js && npm ci --no-audit --no-fund --loglevel=error && TRAIL_BIN="$target_dir/debug/trail" npm test)
echo "== Web app: headless Chromium against a real trail serve --demo"
(cd web && npm ci --no-audit --no-fund --loglevel=error && TRAIL_BIN="$target_dir/debug/trail" npm test)
echo "== benchmark smoke run (asserts nothing about speed)"
cargo build --release --locked -p trail-cli
bin="${CARGO_TARGET_DIR:-target}/release/trail"
"$bin" bench ingest --events 20000 --store sqlite
"$bin" bench search --events 20000 --runs 1 --store sqlite
"$bin" bench usage --events 20000 --runs 1 --rounds 1 --store sqlite
# A database of its own, made afresh each run: the smoke run must not grow with every CI run.
smoke_url="${TRAIL_TEST_POSTGRES_URL%/*}/trail_smoke"
psql "$TRAIL_TEST_POSTGRES_URL" -qc "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS trail_smoke" -c "CREATE DATABASE trail_smoke"
"$bin" bench ingest --events 20000 --store postgres --database "$smoke_url"
"$bin" bench search --events 20000 --runs 1 --store "$smoke_url"
"$bin" bench usage --events 20000 --runs 1 --rounds 1 --store "$smoke_url"
psql "$TRAIL_TEST_POSTGRES_URL" -qc "DROP DATABASE trail_smoke"
echo "== all checks passed"
