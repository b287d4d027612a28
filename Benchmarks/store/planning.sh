#!/usr/bin/env bash
# How much of one fenced report statement is planning: pgbench runs SweepStore.complete's
# statement (stale-complete.sql) for 10 s on one connection, first as PostgresNIO sends it
# (extended protocol, unnamed statement: parsed and planned every time), then prepared once
# per connection. The difference per statement is the planning (and parsing) cost.
#
# usage: Benchmarks/store/planning.sh      (DATABASE_URL, DB_DIR, SKIP_BUILD as for run.sh)
set -euo pipefail
DB_PREFIX=sweep_planning
source "$(dirname "$0")/scratch-db.sh"
# 100,000 queued jobs, the sweep `sweep bench expand` times, and fresh statistics.
DATABASE_URL=$URL "$BIN" submit Benchmarks/expand/grid-100k.yaml --name planning >/dev/null
psql -q "$URL" -c "VACUUM ANALYZE"
for mode in extended prepared; do
    echo "== pgbench -M $mode -T 10 -c 1 -f Benchmarks/store/stale-complete.sql"
    "$PGBENCH" -n -M "$mode" -T 10 -c 1 -f Benchmarks/store/stale-complete.sql "$URL" 2>&1 | grep -E "latency average|^tps"
done
