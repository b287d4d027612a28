# Sourced by the pgbench scripts of Benchmarks/store: a release build (unless SKIP_BUILD=1),
# pgbench, a server (DATABASE_URL, else a throwaway private one in DB_DIR) and a new database
# named "$DB_PREFIX"_<pid> on it, dropped (and the private server stopped) on exit.
# Sets BIN, PGBENCH, DB and URL (the new database's URL).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=.build-bench/release/sweep
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)
[[ -x "$PGBENCH" ]] || { echo "no pgbench (apt-get install postgresql)" >&2; exit 1; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    swift build -c release --product sweep --scratch-path .build-bench >/dev/null
fi
REMOVE_DB_DIR=0 STARTED_SERVER=0
if [[ -z "${DB_DIR:-}" ]]; then DB_DIR=$(mktemp -d /tmp/sweep-bench-pg.XXXXXX); REMOVE_DB_DIR=1; fi
DB=${DB_PREFIX:?}_$$
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
