#!/bin/bash
# PostgreSQL's time per statement during 4 s of the no-op phase of `sweep bench queue`
# (pg_stat_statements, reset 1 s into the phase), with the number of jobs recorded meanwhile.
# Needs a release build (.build-bench) and a private server in /tmp/bpg (`sweep db start
# --db-dir /tmp/bpg`) that loads the extension: once,
#   psql "$(sweep db url --db-dir /tmp/bpg)" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
#   sweep db stop --db-dir /tmp/bpg; sweep db start --db-dir /tmp/bpg
#   psql "$(sweep db url --db-dir /tmp/bpg)" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
# usage: Benchmarks/queue/pg-statements.sh [more options of `sweep bench queue`]
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${SWEEP_BIN:-.build-bench/release/sweep}; M=$($B db url --db-dir /tmp/bpg) || exit 1
export DATABASE_URL=$M
$B bench queue --jobs 150000 --metric-jobs 1 --metric-steps 10 "$@" > /tmp/pg-statements-bench.log 2>&1 &
DB=""; for _ in $(seq 120); do
    sleep 0.5; DB=$(psql "$M" -Atc "select datname from pg_database where datname like 'sweep_bench_%' order by oid desc limit 1" 2>/dev/null); [[ -n "$DB" ]] && break
done
[[ -n "$DB" ]] || { echo "the benchmark database never appeared" >&2; wait; exit 1; }
U=${M%/*}/$DB
succeeded() { psql "$U" -Atc "select count(*) from sweep.jobs j join sweep.sweeps s on s.id = j.sweep_id where s.name like 'noop-%' and j.state = 'succeeded'" 2>/dev/null; }
for _ in $(seq 240); do sleep 0.25; (( $(succeeded || echo 0) > 0 )) && break; done
sleep 1
psql "$M" -Atc "select pg_stat_statements_reset()" > /dev/null
n1=$(succeeded); sleep 4; n2=$(succeeded)
psql "$M" -c "select calls, round(total_exec_time::numeric, 1) as ms, round((total_exec_time / calls)::numeric, 3) as ms_per_call, rows,
                     left(regexp_replace(query, '\s+', ' ', 'g'), 100) as query
              from pg_stat_statements order by total_exec_time desc limit 14"
echo "jobs recorded in the 4 s: $((n2 - n1))"
wait
grep "no-op" /tmp/pg-statements-bench.log | awk -F'|' '{print "whole run:", $5}'
