#!/usr/bin/env bash
# Runs one `sweep bench NAME` (store, queue, dispatch) from a release build on a throwaway
# private PostgreSQL (or DATABASE_URL), records the machine and how much CPU other processes
# took meanwhile, and keeps the raw output. Benchmarks/*/run.sh call it.
#
# usage: Benchmarks/run-bench.sh NAME [sweep bench NAME options...]
#   DATABASE_URL=...       use that server (the role must be allowed to CREATE DATABASE);
#                          unset: a private server is started in DB_DIR and stopped afterwards
#   DB_DIR=DIR             folder of that private server (default: a new /tmp/sweep-bench-pg.*
#                          folder, removed afterwards; initdb takes about a second)
#   SKIP_BUILD=1           use .build-bench/release/sweep as it is
#   RESULTS=DIR            where raw outputs go (default: a new /tmp/sweep-bench-NAME.* folder)
#   LIMIT_S=900            wall-clock limit of the measurements (the build is outside it)
#
# The release build uses its own scratch folder (.build-bench) so it never blocks a debug
# build in .build. Each benchmark creates a database sweep_bench_<pid> on the server and
# drops it at the end; nothing else on the server is touched. CPU figures of "the benchmark
# process" include the processes it starts and waits for (coordinator, workers, Optuna).
set -euo pipefail
BENCH=${1:?usage: Benchmarks/run-bench.sh NAME [options...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=.build-bench/release/sweep
REMOVE_DB_DIR=0
if [[ -z "${DB_DIR:-}" ]]; then DB_DIR=$(mktemp -d /tmp/sweep-bench-pg.XXXXXX); REMOVE_DB_DIR=1; fi
RESULTS=${RESULTS:-$(mktemp -d "/tmp/sweep-bench-$BENCH.XXXXXX")}
LIMIT_S=${LIMIT_S:-900}
mkdir -p "$RESULTS"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "building $BIN (release, scratch path .build-bench)..." >&2
    swift build -c release --product sweep --scratch-path .build-bench >"$RESULTS/build.log" 2>&1 \
        || { tail -30 "$RESULTS/build.log" >&2; exit 1; }
fi
[[ -x "$BIN" ]] || { echo "no $BIN; build it or unset SKIP_BUILD" >&2; exit 1; }

STARTED_SERVER=0
cleanup() {
    if (( STARTED_SERVER )); then "$BIN" db stop --db-dir "$DB_DIR" >&2 || true; fi
    if (( REMOVE_DB_DIR )); then rm -rf "$DB_DIR"; fi
}
trap cleanup EXIT
if [[ -z "${DATABASE_URL:-}" ]]; then
    "$BIN" db start --db-dir "$DB_DIR" >&2
    STARTED_SERVER=1
    DATABASE_URL=$("$BIN" db url --db-dir "$DB_DIR")
    export DATABASE_URL
fi

busy() {  # percent of all CPUs busy over one second (other people's builds skew timings)
    read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat; sleep 1
    read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat
    local total=$(( (b1+b2+b3+b4+b5+b6+b7) - (a1+a2+a3+a4+a5+a6+a7) )) idle=$(( (b4+b5) - (a4+a5) ))
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- Sources Package.swift migrations 2>/dev/null || echo ' (Sources or migrations modified)')"
    echo "uncommitted: $(git diff HEAD -- Sources Package.swift migrations 2>/dev/null | sha256sum | cut -c1-12) (sha256 of the uncommitted diff of Sources, Package.swift and migrations; e3b0c44298fc = none)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "swift: $(swift --version 2>/dev/null | head -1)"
    echo "postgresql: $(psql "$DATABASE_URL" -Atc 'SELECT version()' 2>/dev/null || echo '? (no psql)')"
    echo "settings: $(psql "$DATABASE_URL" -Atc "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_sync_method', 'max_wal_size', 'work_mem')" 2>/dev/null || echo '?')"
    echo "data directory on: $(df -h --output=source,fstype "$DB_DIR" 2>/dev/null | tail -1 || echo '?')"
    echo "CPU busy before measuring: $(busy)% (load average $(cut -d' ' -f1-3 /proc/loadavg))"
} >"$RESULTS/machine.txt"

# CPU time accounting, to tell a quiet run from one that shared the CPUs with other work:
# all CPUs busy (from /proc/stat), the benchmark process (from time -v) and the private
# server (its postmaster, the children it reaped, and the children still alive).
TICK=$(getconf CLK_TCK)
machine_busy_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8}' /proc/stat; }
# The server's postmaster: the private one's from its pid file; for a server given by
# DATABASE_URL, the process listening on its port here, when the connection goes to this
# machine (loopback or a Unix socket); none otherwise (its CPU then counts as other processes').
postmaster_pid() {
    if [[ -f "$DB_DIR/data/postmaster.pid" ]]; then head -1 "$DB_DIR/data/postmaster.pid"; return; fi
    local where; where=$(psql "$DATABASE_URL" -Atc "SELECT coalesce(host(inet_server_addr()), 'socket') || ' ' || current_setting('port')" 2>/dev/null) || return 0
    case ${where% *} in
        127.*|::1|socket) ss -Hltnp "sport = :${where#* }" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 ;;
    esac
}
PG_PID=$(postmaster_pid)
server_ticks() {
    local pid=$PG_PID; [[ -n "$pid" ]] || { echo 0; return; }
    local total; total=$(awk '{print $14+$15+$16+$17}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
        total=$(( total + $(awk '{print $14+$15}' "/proc/$child/stat" 2>/dev/null || echo 0) ))
    done
    echo "$total"
}
BUSY0=$(machine_busy_ticks); SERVER0=$(server_ticks)

echo "measuring (raw output in $RESULTS)..." >&2
status=0
/usr/bin/time -v -o "$RESULTS/time.txt" timeout "$LIMIT_S" "$BIN" bench "$BENCH" "$@" 2>"$RESULTS/stderr.txt" | tee "$RESULTS/bench.txt" || status=$?
BUSY1=$(machine_busy_ticks); SERVER1=$(server_ticks)
echo "CPU busy after measuring: $(busy)% (load average $(cut -d' ' -f1-3 /proc/loadavg))" >>"$RESULTS/machine.txt"
client_s=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$RESULTS/time.txt")
wall_s=$(awk -F': ' '/Elapsed/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s}' "$RESULTS/time.txt")
awk -v b=$(( BUSY1 - BUSY0 )) -v s=$(( SERVER1 - SERVER0 )) -v t="$TICK" -v c="$client_s" -v w="$wall_s" -v n="$(nproc)" 'BEGIN {
    busy = b / t; server = s / t; other = busy - server - c; if (other < 0) other = 0
    printf "CPU during the run: %.1f s wall x %d CPUs; busy %.1f CPU-s = benchmark process %.1f + PostgreSQL server %.1f + other processes %.1f (%.0f%% of the machine)\n", w, n, busy, c, server, other, (w > 0 ? 100 * other / (w * n) : 0)
}' >>"$RESULTS/machine.txt"
[[ -n "$PG_PID" ]] || echo "(the PostgreSQL server's process was not found on this machine: its CPU, if it runs here, is in 'other processes')" >>"$RESULTS/machine.txt"
echo
cat "$RESULTS/machine.txt"
grep -E "Elapsed|Maximum resident|User time|System time" "$RESULTS/time.txt" || true
if (( status != 0 )); then
    echo "sweep bench $BENCH failed (status $status); see $RESULTS/stderr.txt" >&2
    cat "$RESULTS/stderr.txt" >&2
fi
exit "$status"
