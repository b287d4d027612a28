#!/usr/bin/env bash
# How much of one fenced report statement is planning: pgbench runs SweepStore.complete's
# statement (stale-complete.sql) for 10 s on one connection, first as PostgresNIO sends it
# (extended protocol, unnamed statement: parsed and planned every time), then prepared once
# per connection. The difference per statement is the planning (and parsing) cost.
#
# usage: Benchmarks/store/planning.sh      (DATABASE_URL, DB_DIR, SKIP_BUILD as for run.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=.build-bench/release/sweep
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)
[[ -x "$PGBENCH" ]] || { echo "no pgbench (apt-get install postgresql-contrib or postgresql)" >&2; exit 1; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    swift build -c release --product sweep --scratch-path .build-bench >/dev/null
fi
REMOVE_DB_DIR=0 STARTED_SERVER=0
if [[ -z "${DB_DIR:-}" ]]; then DB_DIR=$(mktemp -d /tmp/sweep-bench-pg.XXXXXX); REMOVE_DB_DIR=1; fi
DB=sweep_planning_$$
cleanup() {
    if [[ -n "${ADMIN_URL:-}" ]]; then psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
    if (( STARTED_SERVER )); then "$BIN" db stop --db-dir "$DB_DIR" >&2 || true; fi
    if (( REMOVE_DB_DIR )); then rm -rf "$DB_DIR"; fi
}
trap cleanup EXIT
if [[ -z "${DATABASE_URL:-}" ]]; then
    "$BIN" db start --db-dir "$DB_DIR" >&2
    STARTED_SERVER=1
    DATABASE_URL=$("$BIN" db url --db-dir "$DB_DIR")
fi
ADMIN_URL=$DATABASE_URL
psql -q "$ADMIN_URL" -c "CREATE DATABASE $DB"
URL="${ADMIN_URL%/*}/$DB"
# 100,000 queued jobs, the sweep `sweep bench expand` times, and fresh statistics.
DATABASE_URL=$URL "$BIN" submit Benchmarks/expand/grid-100k.yaml --name planning >/dev/null
psql -q "$URL" -c "VACUUM ANALYZE"
for mode in extended prepared; do
    echo "== pgbench -M $mode -T 10 -c 1 -f Benchmarks/store/stale-complete.sql"
    "$PGBENCH" -n -M "$mode" -T 10 -c 1 -f Benchmarks/store/stale-complete.sql "$URL" 2>&1 | grep -E "latency average|^tps"
done
