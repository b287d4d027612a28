#!/usr/bin/env bash
# Fault drill on the netns cluster (../netns-cluster): run a sweep once without faults (the
# baseline), then run the same sweep again while injecting faults, and audit the result
# with SQL. Needs root, iproute2, util-linux, PostgreSQL server binaries and psql.
#
#   infra/chaos/chaos.sh [--jobs N] [--baseline-seconds S] [--factor F] [--slack S]
#                        [--kills K] [--slots N] [--seed N]
#
#   --jobs N              jobs per sweep (default 5000): half command jobs (job.py, which
#                         prints --steps JSON metric lines), half synthetic-curve kernel jobs
#   --baseline-seconds S  skip the fault-free run and take S seconds as its duration
#   --factor F, --slack S the faulty run must finish within F x baseline + S seconds
#                         (default 3 and 60)
#   --kills K             workers killed with SIGKILL (default 5), each restarted with the
#                         same id after --restart-delay seconds (default 3)
#   --slots N             slots per worker (default 2)
#   --seed N              seed of the random choices (default: $RANDOM)
#
# Faults (during the second run, spread over its progress): K worker SIGKILLs + restarts;
# one worker's link cut for lease + 5 s, then restored; the coordinator SIGKILLed and
# restarted twice; PostgreSQL restarted once (pg_ctl restart -m fast).
# Audit: every job terminal and succeeded; at most one succeeded attempt per job, and it is
# the job's final attempt; every job's final attempt holds exactly the printed metric
# points with the known values, and no attempt holds more; expired/released attempts
# counted; duration bound. Exit status 1 when an invariant is violated.
#
# Settings (environment): SWEEP_BINARY (default .build/release/sweep), SWEEP_NETNS_WORKERS
# (default 3), PG_BINDIR, CHAOS_STEPS (metric points per job, default 5), CHAOS_STEP_SECONDS
# (pause per point, default 0.05), CHAOS_LEASE_SECONDS (10), CHAOS_HEARTBEAT_MS (500),
# CHAOS_KEEP_LOGS (a folder: the coordinator, worker, psql and PostgreSQL logs are copied
# there before the teardown deletes them).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cluster="$repo/infra/netns-cluster/netns-cluster.sh"

jobs=5000
baseline_seconds=""
factor=3
slack=60
kills=5
restart_delay=3
slots=2
seed="$RANDOM"
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }
while (( $# > 0 )); do
    [[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
    (( $# >= 2 )) || { echo "chaos: $1 needs a value (try --help)" >&2; exit 2; }
    case "$1" in
        --jobs) jobs="$2" ;;
        --baseline-seconds) baseline_seconds="$2" ;;
        --factor) factor="$2" ;;
        --slack) slack="$2" ;;
        --kills) kills="$2" ;;
        --restart-delay) restart_delay="$2" ;;
        --slots) slots="$2" ;;
        --seed) seed="$2" ;;
        *) echo "chaos: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift 2
done
if ! [[ "$jobs" =~ ^[0-9]+$ ]] || (( jobs < 20 )); then echo "chaos: --jobs must be an integer >= 20" >&2; exit 2; fi
[[ -z "$baseline_seconds" || "$baseline_seconds" =~ ^[0-9]+$ ]] || { echo "chaos: --baseline-seconds must be an integer" >&2; exit 2; }
RANDOM="$seed"

binary="${SWEEP_BINARY:-.build/release/sweep}"
[[ "$binary" = /* ]] || binary="$repo/$binary"
[[ -x "$binary" ]] || { echo "chaos: no sweep binary at $binary (set SWEEP_BINARY)" >&2; exit 1; }
readonly binary jobs factor slack kills restart_delay slots seed
readonly workers="${SWEEP_NETNS_WORKERS:-3}"
readonly steps="${CHAOS_STEPS:-5}"
readonly step_seconds="${CHAOS_STEP_SECONDS:-0.05}"
readonly lease_seconds="${CHAOS_LEASE_SECONDS:-10}"
readonly heartbeat_ms="${CHAOS_HEARTBEAT_MS:-500}"
readonly step_ms=60
readonly pg_port=5432 zmq_port=5555
python="$(python3 -c 'import sys; print(sys.executable)')"
readonly python
(( workers >= 2 )) || { echo "chaos: needs at least 2 workers" >&2; exit 2; }

if [[ -z "${PG_BINDIR:-}" ]]; then
    PG_BINDIR="$(find /usr/lib/postgresql -maxdepth 3 -name initdb -path '*/bin/*' 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname)"
fi
[[ -n "$PG_BINDIR" && -x "$PG_BINDIR/initdb" ]] || { echo "chaos: PostgreSQL server binaries not found (set PG_BINDIR)" >&2; exit 1; }
[[ $EUID -eq 0 ]] || { echo "chaos: run as root (network namespaces need it)" >&2; exit 1; }

export SWEEP_NETNS_WORKERS="$workers"
db_address="$("$cluster" addr db)"
coord_address="$("$cluster" addr coord)"
readonly database_url="postgres://sweep@$db_address:$pg_port/sweep"
readonly endpoint="tcp://$coord_address:$zmq_port"

work="$(mktemp -d /tmp/sweepnc-chaos.XXXXXX)"
chmod 0755 "$work"
readonly work
declare -A worker_pid=()
coordinator_pid=""
coordinator_starts=0

log() { printf '[chaos %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    log "tearing down (exit status $status)"
    local pid
    for pid in "${worker_pid[@]}" "$coordinator_pid"; do
        [[ -n "$pid" ]] || continue
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -d "$work/pg/data" ]]; then
        "$cluster" exec db runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if (( status != 0 )); then
        # What a failed drill needs to be understood (CI keeps only the output): the end of
        # every process's log, longer for the coordinator's.
        for file in "$work"/*.log "$work/pg/server.log"; do
            [[ -f "$file" ]] || continue
            local lines=15
            [[ "$file" == */coordinator* ]] && lines=60
            echo "--- last $lines lines of $file"; tail -n "$lines" "$file"
        done
    fi
    "$cluster" down || true
    if [[ -n "${CHAOS_KEEP_LOGS:-}" ]]; then
        mkdir -p "$CHAOS_KEEP_LOGS"
        cp "$work"/*.log "$work/pg/server.log" "$CHAOS_KEEP_LOGS"/ 2>/dev/null || true
        log "logs kept in $CHAOS_KEEP_LOGS"
    fi
    rm -rf "$work"
    log "namespaces left: $(ip netns list | grep -c -- "^${SWEEP_NETNS_PREFIX:-sweepnc}-" || true)"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_host() { "$cluster" exec "$@"; }
# psql from the coordinator's host; retried, since PostgreSQL restarts during the drill.
sql() {
    local try
    for (( try = 0; try < 60; try++ )); do
        if in_host coord psql "$database_url" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1" 2>>"$work/psql.log"; then return 0; fi
        sleep 0.5
    done
    echo "chaos: psql failed 60 times: $1" >&2
    exit 3
}
pg_ctl() { in_host db runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w "$@" >/dev/null; }

start_coordinator() {
    coordinator_starts=$(( coordinator_starts + 1 ))
    "$cluster" exec coord env DATABASE_URL="$database_url" SWEEP_HOME="$work/coord" \
        "$binary" coordinator --bind "$endpoint" --heartbeat-ms "$heartbeat_ms" --lease-seconds "$lease_seconds" \
        >>"$work/coordinator-$coordinator_starts.log" 2>&1 &
    coordinator_pid=$!
    local pattern waited
    pattern=":$(printf '%04X' "$zmq_port") [0-9A-F]+:0000 0A"
    for (( waited = 0; ; waited++ )); do
        in_host coord grep -Eq "$pattern" /proc/net/tcp /proc/net/tcp6 && break
        kill -0 "$coordinator_pid" 2>/dev/null || { echo "chaos: the coordinator exited at start" >&2; exit 3; }
        (( waited < 600 )) || { echo "chaos: the coordinator did not listen within 60 s" >&2; exit 3; }
        sleep 0.1
    done
}

start_worker() {
    local name="$1"
    "$cluster" exec "$name" env SWEEP_HOME="$work/$name" \
        "$binary" worker --coordinator "$endpoint" --slots "$slots" --id "$name" --project-dir "$here" \
        >>"$work/worker-$name.log" 2>&1 &
    worker_pid[$name]=$!
}

# Two sweeps per run: PREFIX-cmd (command jobs) and PREFIX-kern (kernel jobs).
submit_run() {
    local prefix="$1" command_jobs=$(( jobs / 2 )) kernel_jobs=$(( jobs - jobs / 2 ))
    cat >"$work/$prefix-cmd.yaml" <<YAML
name: $prefix-cmd
program: $here/job.py
command: ["$python", "\${program}", "\${args}"]
method: grid
parameters:
  index: {values: [$(seq -s ', ' 1 "$command_jobs")]}
  steps: {value: $steps}
  step_seconds: {value: $step_seconds}
retries: {max_attempts: 50, backoff: 1s, max_backoff: 2s}
YAML
    cat >"$work/$prefix-kern.yaml" <<YAML
name: $prefix-kern
kernel:
  name: synthetic-curve
  settings: {steps: $steps, step_ms: $step_ms}
method: grid
parameters:
  index: {values: [$(seq -s ', ' 1 "$kernel_jobs")]}
retries: {max_attempts: 50, backoff: 1s, max_backoff: 2s}
YAML
    in_host coord env DATABASE_URL="$database_url" "$binary" submit "$work/$prefix-cmd.yaml" >/dev/null
    in_host coord env DATABASE_URL="$database_url" "$binary" submit "$work/$prefix-kern.yaml" >/dev/null
}

# Jobs of run PREFIX not yet in a terminal state.
open_jobs() {
    sql "SELECT count(*) FROM sweep.jobs j JOIN sweep.sweeps s ON s.id = j.sweep_id
         WHERE s.name IN ('$1-cmd', '$1-kern') AND j.state NOT IN ('succeeded', 'stopped', 'cancelled', 'dead')"
}

# Faults, in the order they fire, each at a fraction (in %) of the chaos run's progress.
faults_injected=0
worker_kills=0
coordinator_kills=0
pg_restarts=0
cuts=0
violations=()
declare -A restart_at=()
cut_host="" cut_until=0
fault_log() { faults_injected=$(( faults_injected + 1 )); log "fault $faults_injected: $*"; }

kill_worker() {
    local candidates=() name
    for name in "${!worker_pid[@]}"; do
        [[ "$name" != "$cut_host" && -z "${restart_at[$name]:-}" ]] && candidates+=("$name")
    done
    (( ${#candidates[@]} > 0 )) || return 0
    name="${candidates[RANDOM % ${#candidates[@]}]}"
    kill -KILL "${worker_pid[$name]}" 2>/dev/null || true
    wait "${worker_pid[$name]}" 2>/dev/null || true
    worker_kills=$(( worker_kills + 1 ))
    restart_at[$name]=$(( SECONDS + restart_delay ))
    fault_log "SIGKILL worker $name (restart in ${restart_delay} s)"
}

kill_coordinator() {
    kill -KILL "$coordinator_pid" 2>/dev/null || true
    wait "$coordinator_pid" 2>/dev/null || true
    coordinator_kills=$(( coordinator_kills + 1 ))
    fault_log "SIGKILL coordinator; restarting it after 2 s"
    sleep 2
    start_coordinator
    log "coordinator back (start $coordinator_starts)"
}

restart_postgres() {
    pg_restarts=$(( pg_restarts + 1 ))
    fault_log "PostgreSQL restart (pg_ctl restart -m fast)"
    pg_ctl -m fast restart
    log "PostgreSQL back"
}

cut_worker() {
    cut_host="w$workers"
    cuts=$(( cuts + 1 ))
    cut_until=$(( SECONDS + lease_seconds + 5 ))
    "$cluster" cut "$cut_host" >/dev/null
    fault_log "link of $cut_host cut for $(( lease_seconds + 5 )) s (lease $lease_seconds s)"
}

# The fault plan: "PERCENT ACTION" lines; kills spread over 5 %…85 %.
plan=()
for (( k = 0; k < kills; k++ )); do plan+=("$(( 5 + k * 80 / (kills > 1 ? kills - 1 : 1) )) kill_worker"); done
plan+=("15 cut_worker" "30 kill_coordinator" "45 restart_postgres" "60 kill_coordinator")
mapfile -t plan < <(printf '%s\n' "${plan[@]}" | sort -n -k1,1)
readonly required_faults=${#plan[@]}

# Waits until run PREFIX has no open job; with faults, works through the plan meanwhile.
# Prints nothing; sets run_seconds.
run_seconds=0
wait_run() {
    local prefix="$1" with_faults="$2" limit="$3" started=$SECONDS next=0 open done_percent name
    while :; do
        open="$(open_jobs "$prefix")"
        (( open == 0 )) && break
        if (( SECONDS - started > limit )); then
            violations+=("run $prefix: $open job(s) still open after $limit s")
            log "giving up on $prefix: $open job(s) open after $limit s"
            break
        fi
        if [[ "$with_faults" == true ]]; then
            done_percent=$(( (jobs - open) * 100 / jobs ))
            while (( next < ${#plan[@]} )) && (( done_percent >= ${plan[next]%% *} )); do
                "${plan[next]#* }"
                next=$(( next + 1 ))
            done
            for name in "${!restart_at[@]}"; do
                if (( SECONDS >= restart_at[$name] )); then
                    start_worker "$name"; unset "restart_at[$name]"; log "worker $name restarted"
                fi
            done
            if [[ -n "$cut_host" ]] && (( SECONDS >= cut_until )); then
                "$cluster" restore "$cut_host" >/dev/null; log "link of $cut_host restored"; cut_host=""
            fi
        fi
        if ! kill -0 "$coordinator_pid" 2>/dev/null; then
            violations+=("the coordinator exited on its own during run $prefix (see coordinator-$coordinator_starts.log)")
            log "the coordinator exited on its own; restarting it"
            tail -n 5 "$work/coordinator-$coordinator_starts.log" || true
            start_coordinator
        fi
        sleep 0.5
    done
    # Finish what the plan left pending.
    for name in "${!restart_at[@]}"; do start_worker "$name"; unset "restart_at[$name]"; done
    if [[ -n "$cut_host" ]]; then "$cluster" restore "$cut_host" >/dev/null; cut_host=""; fi
    if [[ "$with_faults" == true ]] && (( next < ${#plan[@]} )); then
        violations+=("only $next of ${#plan[@]} planned faults fired before the sweep ended (make --jobs larger)")
    fi
    run_seconds=$(( SECONDS - started ))
}

"$cluster" up >/dev/null
log "cluster up: db, coord, w1…w$workers ($slots slots each); $jobs jobs per run; seed $seed"
mkdir -p "$work/pg"
chown postgres: "$work/pg"
in_host db runuser -u postgres -- "$PG_BINDIR/initdb" -D "$work/pg/data" -U sweep -A trust -E UTF8 --no-locale >"$work/initdb.log"
cat >>"$work/pg/data/postgresql.conf" <<EOF
listen_addresses = '$db_address'
port = $pg_port
unix_socket_directories = '$work/pg'
EOF
# Drill only: trust on the private subnet that exists only inside these namespaces.
echo "host all all ${db_address%.*}.0/24 trust" >>"$work/pg/data/pg_hba.conf"
pg_ctl start
in_host db runuser -u postgres -- "$PG_BINDIR/createdb" -h "$work/pg" -p "$pg_port" -U sweep sweep
start_coordinator
for (( index = 1; index <= workers; index++ )); do start_worker "w$index"; done

if [[ -z "$baseline_seconds" ]]; then
    log "baseline: $jobs jobs without faults"
    submit_run baseline
    wait_run baseline false 3600
    baseline_seconds=$run_seconds
    log "baseline finished in $baseline_seconds s"
else
    log "baseline taken as $baseline_seconds s (--baseline-seconds)"
fi
bound=$(( factor * baseline_seconds + slack ))

log "chaos run: $jobs jobs, $required_faults faults planned, bound $bound s"
submit_run chaos
wait_run chaos true $(( bound + 120 ))
chaos_seconds=$run_seconds
log "chaos run ended after $chaos_seconds s"

# ---- Audit ----
sweeps="SELECT id FROM sweep.sweeps WHERE name IN ('chaos-cmd', 'chaos-kern')"
q() { sql "$1"; }
total="$(q "SELECT count(*) FROM sweep.jobs WHERE sweep_id IN ($sweeps)")"
succeeded="$(q "SELECT count(*) FROM sweep.jobs WHERE sweep_id IN ($sweeps) AND state = 'succeeded'")"
not_succeeded="$(q "SELECT string_agg(id || ':' || state || coalesce(' (' || stop_reason || ')', ''), ', ') FROM (SELECT * FROM sweep.jobs WHERE sweep_id IN ($sweeps) AND state <> 'succeeded' ORDER BY id LIMIT 20) x")"
(( total == jobs )) || violations+=("expected $jobs jobs, found $total")
(( succeeded == total )) || violations+=("$(( total - succeeded )) job(s) not succeeded: $not_succeeded")

double="$(q "SELECT count(*) FROM (SELECT job_id FROM sweep.attempts WHERE job_id IN (SELECT id FROM sweep.jobs WHERE sweep_id IN ($sweeps)) AND outcome = 'succeeded' GROUP BY job_id HAVING count(*) > 1) x")"
(( double == 0 )) || violations+=("$double job(s) with two succeeded attempts")
# A succeeded job's one succeeded attempt is its final attempt (the fencing token).
not_final="$(q "SELECT count(*) FROM sweep.jobs j WHERE j.sweep_id IN ($sweeps) AND j.state = 'succeeded' AND NOT EXISTS (SELECT 1 FROM sweep.attempts a WHERE a.job_id = j.id AND a.attempt = j.attempt AND a.outcome = 'succeeded')")"
(( not_final == 0 )) || violations+=("$not_final succeeded job(s) whose final attempt is not the succeeded one")
open_attempts="$(q "SELECT count(*) FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id IN ($sweeps) AND a.outcome IS NULL")"
(( open_attempts == 0 )) || violations+=("$open_attempts attempt(s) left without an outcome")

# Metric points: command jobs report 'loss' = index + 1/(step+1), kernel jobs 'val_loss';
# both exactly $steps points, steps 0..steps-1, in the final attempt.
bad_points="$(q "WITH j AS (SELECT j.id, j.attempt, s.name AS sweep, (j.params->>'index')::float8 AS idx
        FROM sweep.jobs j JOIN sweep.sweeps s ON s.id = j.sweep_id WHERE s.id IN ($sweeps) AND j.state = 'succeeded'),
    m AS (SELECT j.id, count(m.step) AS points, count(DISTINCT m.step) AS steps, min(m.step) AS lo, max(m.step) AS hi,
            count(*) FILTER (WHERE j.sweep = 'chaos-cmd' AND abs(m.value - (j.idx + 1.0 / (m.step + 1))) > 1e-9) AS wrong
        FROM j LEFT JOIN sweep.metrics m ON m.job_id = j.id AND m.attempt = j.attempt
            AND m.name = CASE WHEN j.sweep = 'chaos-cmd' THEN 'loss' ELSE 'val_loss' END
        GROUP BY j.id)
    SELECT count(*) || ' ' || coalesce(sum(wrong), 0) || ' ' || coalesce(string_agg(id || ':' || points, ','), '-')
    FROM m WHERE points <> $steps OR steps <> $steps OR lo IS DISTINCT FROM 0 OR hi IS DISTINCT FROM $(( steps - 1 )) OR wrong > 0")"
read -r bad_jobs wrong_values bad_list <<<"$bad_points"
(( bad_jobs == 0 )) || violations+=("$bad_jobs succeeded job(s) whose final attempt lacks exactly $steps points with the known values ($wrong_values wrong values; job:points ${bad_list:0:200})")
overfull="$(q "SELECT count(*) FROM (SELECT m.job_id, m.attempt, m.name FROM sweep.metrics m WHERE m.job_id IN (SELECT id FROM sweep.jobs WHERE sweep_id IN ($sweeps)) GROUP BY 1, 2, 3 HAVING count(*) > $steps) x")"
(( overfull == 0 )) || violations+=("$overfull attempt(s) with more than $steps points of one metric")
total_points="$(q "SELECT count(*) FROM sweep.metrics WHERE job_id IN (SELECT id FROM sweep.jobs WHERE sweep_id IN ($sweeps))")"

outcomes="$(q "SELECT string_agg(coalesce(outcome, 'open') || ' ' || n, ', ' ORDER BY outcome) FROM (SELECT a.outcome, count(*) AS n FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id IN ($sweeps) GROUP BY a.outcome) x")"
retried="$(q "SELECT count(*) || ' jobs (max attempt ' || coalesce(max(attempt), 0) || ')' FROM sweep.jobs WHERE sweep_id IN ($sweeps) AND attempt > 1")"
attempts_hist="$(q "SELECT string_agg(bucket || ': ' || n, ', ' ORDER BY lo) FROM (SELECT min(attempt) AS lo, CASE WHEN attempt = 0 THEN '0 (never claimed)' WHEN attempt = 1 THEN '1' WHEN attempt <= 3 THEN '2-3' WHEN attempt <= 10 THEN '4-10' ELSE '>10' END AS bucket, count(*) AS n FROM sweep.jobs WHERE sweep_id IN ($sweeps) GROUP BY 2) x")"
errors="$(q "SELECT string_agg(outcome || ' x' || n || ': ' || left(coalesce(error, '(no error text)'), 90), ' | ' ORDER BY n DESC) FROM (SELECT a.outcome, a.error, count(*) AS n FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id IN ($sweeps) AND a.outcome IN ('failed', 'released', 'expired') GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 4) x")"
stale_lines="$(cat "$work"/*.log | grep -ci 'stale' || true)"

(( chaos_seconds <= bound )) || violations+=("chaos run took $chaos_seconds s > $factor x $baseline_seconds + $slack = $bound s")

echo
echo "=== chaos drill report ($jobs jobs: $(( jobs / 2 )) command, $(( jobs - jobs / 2 )) synthetic-curve; $workers workers x $slots slots; seed $seed)"
echo "faults injected:   $faults_injected of $required_faults planned: $worker_kills worker SIGKILL+restart, $cuts link cut > lease ($lease_seconds s), $coordinator_kills coordinator SIGKILL+restart, $pg_restarts PostgreSQL restart"
echo "time:              fault-free $baseline_seconds s, with faults $chaos_seconds s, time lost $(( chaos_seconds - baseline_seconds )) s (bound $bound s = $factor x baseline + $slack)"
echo "jobs:              $succeeded/$total succeeded${not_succeeded:+; others: $not_succeeded}"
echo "retries:           $retried"
echo "attempt outcomes:  $outcomes"
echo "attempts per job:  $attempts_hist"
echo "non-success why:   ${errors:-none}"
echo "stale/superseded:  expired+released attempts above; log lines mentioning 'stale': $stale_lines"
echo "metric points:     $total_points stored; jobs with missing/extra/wrong points in final attempt: $bad_jobs; attempts over $steps points: $overfull"
echo "double successes:  $double; succeeded job whose final attempt is not the success: $not_final"
if (( ${#violations[@]} > 0 )); then
    echo "INVARIANTS VIOLATED:"
    printf '  - %s\n' "${violations[@]}"
    exit 1
fi
echo "all invariants hold"
