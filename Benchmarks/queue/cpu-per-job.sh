#!/bin/bash
# CPU and context switches per job of the coordinator, the workers and PostgreSQL during the
# no-op phase of `sweep bench queue`: reads /proc over 4 s, starting 1 s into the end-to-end phase of a 100,000-job run.
# Needs a release build (.build-bench) and a private server in /tmp/bpg (`sweep db start --db-dir /tmp/bpg`).
# usage: Benchmarks/queue/cpu-per-job.sh LABEL   (JOBS=100000; SWEEP_BIN=path of another build, for A/B runs;
#        BENCH_ARGS=more options of `sweep bench queue`, e.g. "--report-linger-microseconds 300")
# The 4 s window must fall inside the end-to-end phase: with fewer jobs on a fast machine the
# run can end first, and the script then says so instead of printing figures.
cd "$(dirname "$0")/../.." || exit 1; B=${SWEEP_BIN:-.build-bench/release/sweep}; DATABASE_URL=$($B db url --db-dir /tmp/bpg) || exit 1; export DATABASE_URL
$B bench queue --jobs ${JOBS:-100000} --metric-jobs 1 --metric-steps 10 ${BENCH_ARGS:-} > /tmp/q-$1.log 2>&1 &
DB=""; for _ in $(seq 120); do
    sleep 0.5; DB=$(psql "$DATABASE_URL" -Atc "select datname from pg_database where datname like 'sweep_bench_%' order by oid desc limit 1" 2>/dev/null); [[ -n "$DB" ]] && break
done
[[ -n "$DB" ]] || { echo "$1: the benchmark database never appeared" >&2; wait; exit 1; }
export DATABASE_URL=${DATABASE_URL%/*}/$DB
q() { psql "$DATABASE_URL" -Atc "select count(*) from sweep.jobs j join sweep.sweeps s on s.id=j.sweep_id where s.name like 'noop-%' and j.state='succeeded'" 2>/dev/null; }
for _ in $(seq 240); do sleep 0.25; (( $(q || echo 0) > 0 )) && break; done  # the end-to-end phase has begun
sleep 1
R=$(readlink -f "$B"); C=$(pgrep -f "$R coordinator"); WS=$(pgrep -f "$R worker" | tr '\n' ' ')
cpu() { local s=0; for p in "$@"; do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $s; }
ctx() { local s=0; for p in "$@"; do for t in /proc/$p/task/*; do s=$((s + $(awk '/ctxt_switches/{x+=$2}END{print x}' $t/status))); done; done; echo $s; }
PG=$(pgrep -P "$(head -1 /tmp/bpg/data/postmaster.pid)" -f "postgres: sweep" | tr '\n' ' ')  # backends of this server only
read -ra s1 < /proc/stat; j1=$(q); c1=$(cpu $C); w1=$(cpu $WS); p1=$(cpu $PG); x1=$(ctx $C); y1=$(ctx $WS)
sleep 4
read -ra s2 < /proc/stat; j2=$(q); c2=$(cpu $C); w2=$(cpu $WS); p2=$(cpu $PG); x2=$(ctx $C); y2=$(ctx $WS)
wait
n=$((${j2:-0}-${j1:-0}))
# The share of the machine's CPU time the hypervisor took in the window (/proc/stat: steal).
stolen() { local t=0 i; for i in 1 2 3 4 5 6 7 8; do t=$((t + ${s2[$i]} - ${s1[$i]})); done; echo $(( t > 0 ? 100 * (s2[8] - s1[8]) / t : 0 )); }
if (( ${j1:-0} <= 0 || n <= 0 )); then echo "$1: the end-to-end phase was not running through the whole window (jobs counted: ${j1:-none} then ${j2:-none}); raise JOBS" >&2; wait; exit 1; fi
echo "$1: jobs=$n coord_us/job=$(( (c2-c1)*10000000/n/1000 )) workers_us/job=$(( (w2-w1)*10000000/n/1000 )) pg_us/job=$(( (p2-p1)*10000000/n/1000 )) coord_ctx/job=$(echo "scale=2;($x2-$x1)/$n" | bc) worker_ctx/job=$(echo "scale=2;($y2-$y1)/$n" | bc) stolen=$(stolen)%"
grep "no-op" /tmp/q-$1.log | awk -F'|' '{print $5, $6}'
