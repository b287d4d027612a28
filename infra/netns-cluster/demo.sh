#!/usr/bin/env bash
# A sweep across "hosts" made of network namespaces (netns-cluster.sh): PostgreSQL on `db`,
# the coordinator on `coord`, one worker on each of `w1`…`wN`; submit a small sweep, wait
# until every job succeeded, print which host ran how many jobs, tear everything down (also
# on failure or Ctrl-C). Needs root, iproute2, util-linux (unshare, runuser) and the
# PostgreSQL server binaries (apt-get install postgresql).
#
#   infra/netns-cluster/demo.sh [--cut HOST] [--drain HOST]
#
#   --cut HOST   cut HOST's link once a third of the jobs succeeded, keep it cut until its
#                leases expired, then restore it: the jobs it held run again elsewhere, and
#                its late reports are refused as stale.
#   --drain HOST  send SIGTERM to HOST's worker while it runs a job: it must finish that
#                job, then exit 0 (the drain systemd, Slurm and Kubernetes rely on).
#
# Settings (environment):
#   SWEEP_BINARY          the sweep binary (default: .build/release/sweep, from the repo root)
#   SWEEP_NETNS_WORKERS   worker hosts (default: 3); SWEEP_NETNS_PREFIX, SWEEP_NETNS_SUBNET
#                         as in netns-cluster.sh
#   SWEEP_DEMO_JOBS       jobs in the sweep (default: 30)
#   SWEEP_DEMO_JOB_SECONDS  how long each job sleeps (default: 0.3)
#   SWEEP_DEMO_TIMEOUT    seconds to wait for the sweep to finish (default: 180)
#   PG_BINDIR             PostgreSQL server binaries (default: newest /usr/lib/postgresql/N/bin)
#
# PostgreSQL here trusts every connection from the cluster's private subnet (no password):
# acceptable only because that subnet exists solely inside namespaces this script made and
# the server lives for one run. Never copy that pg_hba.conf line to a real server.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cluster="$here/netns-cluster.sh"

cut_host=""
drain_host=""
while (( $# > 0 )); do
    case "$1" in
        --cut) [[ $# -ge 2 ]] || { echo "demo: --cut needs a host (w1…)" >&2; exit 2; }; cut_host="$2"; shift 2 ;;
        --drain) [[ $# -ge 2 ]] || { echo "demo: --drain needs a host (w1…)" >&2; exit 2; }; drain_host="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

binary="${SWEEP_BINARY:-.build/release/sweep}"
[[ "$binary" = /* ]] || binary="$repo/$binary"
[[ -x "$binary" ]] || { echo "demo: no sweep binary at $binary (build it with 'make release' or set SWEEP_BINARY)" >&2; exit 1; }
readonly binary
readonly workers="${SWEEP_NETNS_WORKERS:-3}"
readonly jobs="${SWEEP_DEMO_JOBS:-30}"
readonly job_seconds="${SWEEP_DEMO_JOB_SECONDS:-0.3}"
readonly timeout_seconds="${SWEEP_DEMO_TIMEOUT:-180}"
# Short leases and heartbeats so that a cut worker is noticed within seconds.
readonly heartbeat_ms=500
readonly lease_seconds=5
readonly sweep_name="netns-demo"
readonly pg_port=5432
readonly zmq_port=5555

if [[ -z "${PG_BINDIR:-}" ]]; then
    PG_BINDIR="$(find /usr/lib/postgresql -maxdepth 3 -name initdb -path '*/bin/*' 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname)"
fi
[[ -n "$PG_BINDIR" && -x "$PG_BINDIR/initdb" ]] || { echo "demo: PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BINDIR)" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "demo: the OS user 'postgres' is missing (apt-get install postgresql)" >&2; exit 1; }
[[ $EUID -eq 0 ]] || { echo "demo: run as root (network namespaces need it)" >&2; exit 1; }

export SWEEP_NETNS_WORKERS="$workers"
db_address="$("$cluster" addr db)"
coord_address="$("$cluster" addr coord)"
readonly db_address coord_address
readonly database_url="postgres://sweep@$db_address:$pg_port/sweep"
readonly coordinator_endpoint="tcp://$coord_address:$zmq_port"

# /tmp, not the repo: the postgres user must reach the folder.
work="$(mktemp -d /tmp/sweepnc-demo.XXXXXX)"
chmod 0755 "$work"
readonly work
worker_pids=()
coordinator_pid=""

log() { printf '[demo %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    log "tearing down (exit status $status)"
    # Workers first: SIGTERM drains them; then the coordinator; then PostgreSQL.
    if (( ${#worker_pids[@]} > 0 )); then
        kill -TERM "${worker_pids[@]}" 2>/dev/null || true
        for pid in "${worker_pids[@]}"; do timeout 20 tail --pid="$pid" -f /dev/null || true; done
    fi
    if [[ -n "$coordinator_pid" ]]; then
        kill -TERM "$coordinator_pid" 2>/dev/null || true
        timeout 20 tail --pid="$coordinator_pid" -f /dev/null || true
    fi
    if [[ -d "$work/pg/data" ]]; then
        "$cluster" exec db runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if (( status != 0 )); then
        for file in "$work"/*.log "$work/pg/server.log"; do
            [[ -f "$file" ]] || continue
            echo "--- last lines of $file"; tail -n 20 "$file"
        done
    fi
    "$cluster" down
    rm -rf "$work"
    left="$(ip netns list | grep -c -- "^${SWEEP_NETNS_PREFIX:-sweepnc}-" || true)"
    log "namespaces left: $left"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_host() { "$cluster" exec "$@"; }
# psql from the coordinator's host, over the cluster network.
sql() { in_host coord psql "$database_url" -X -A -t -q -c "$1"; }

"$cluster" up

log "PostgreSQL on db ($db_address:$pg_port), $PG_BINDIR"
mkdir -p "$work/pg"
chown postgres: "$work/pg"
in_host db runuser -u postgres -- "$PG_BINDIR/initdb" -D "$work/pg/data" -U sweep -A trust -E UTF8 --no-locale >"$work/initdb.log"
cat >>"$work/pg/data/postgresql.conf" <<EOF
listen_addresses = '$db_address'
port = $pg_port
unix_socket_directories = '$work/pg'
EOF
# Demo only: trust on the private subnet (see the header).
echo "host all all ${db_address%.*}.0/24 trust" >>"$work/pg/data/pg_hba.conf"
in_host db runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w start >/dev/null
in_host db runuser -u postgres -- "$PG_BINDIR/createdb" -h "$work/pg" -p "$pg_port" -U sweep sweep

log "coordinator on coord, $coordinator_endpoint, DATABASE_URL=$database_url"
# Started through the script itself, not the in_host function: a backgrounded function
# would run in a subshell, and $! would be that subshell rather than sweep (each exec in
# the chain replaces the process, so $! is sweep here).
"$cluster" exec coord env DATABASE_URL="$database_url" SWEEP_HOME="$work/coord" \
    "$binary" coordinator --bind "$coordinator_endpoint" --heartbeat-ms "$heartbeat_ms" --lease-seconds "$lease_seconds" \
    >"$work/coordinator.log" 2>&1 &
coordinator_pid=$!

# Ready when its socket listens: the same check the Kubernetes probe makes (no HTTP endpoint).
listen_pattern=":$(printf '%04X' "$zmq_port") [0-9A-F]+:0000 0A"
for (( waited = 0; ; waited++ )); do
    if in_host coord grep -Eq "$listen_pattern" /proc/net/tcp /proc/net/tcp6; then break; fi
    kill -0 "$coordinator_pid" 2>/dev/null || { echo "demo: the coordinator exited" >&2; exit 1; }
    (( waited < 600 )) || { echo "demo: the coordinator did not listen on $zmq_port within 60 s" >&2; exit 1; }
    sleep 0.1
done
log "coordinator listening (migrations applied by the binary)"

for (( index = 1; index <= workers; index++ )); do
    "$cluster" exec "w$index" env SWEEP_HOME="$work/w$index" \
        "$binary" worker --coordinator "$coordinator_endpoint" --slots 1 --id "w$index" \
        >"$work/worker-w$index.log" 2>&1 &
    worker_pids+=("$!")
done
log "workers started on w1…w$workers (1 slot each)"

values="$(seq -s ', ' 1 "$jobs")"
cat >"$work/sweep.yaml" <<EOF
# Written by infra/netns-cluster/demo.sh: $jobs jobs of the built-in 'sleep' kernel.
name: $sweep_name
kernel:
  name: sleep
  settings:
    seconds: $job_seconds
method: grid
parameters:
  index:
    values: [$values]
retries:
  max_attempts: 5
  backoff: 1s
  max_backoff: 2s
EOF
in_host coord env DATABASE_URL="$database_url" "$binary" submit "$work/sweep.yaml"

cut_done=false
drain_done=false
started=$SECONDS
while :; do
    succeeded="$(sql "SELECT succeeded FROM public.sweep_progress WHERE sweep = '$sweep_name'")"
    if (( succeeded >= jobs )); then break; fi
    if (( SECONDS - started > timeout_seconds )); then
        echo "demo: only $succeeded of $jobs jobs succeeded after $timeout_seconds s" >&2
        in_host coord env DATABASE_URL="$database_url" "$binary" status >&2 || true
        exit 1
    fi
    if [[ -n "$cut_host" && "$cut_done" == false ]] && (( succeeded * 3 >= jobs )); then
        cut_done=true
        log "$succeeded/$jobs succeeded: cutting $cut_host"
        "$cluster" cut "$cut_host"
        held="$(sql "SELECT count(*) FROM sweep.jobs WHERE lease_owner = '$cut_host'")"
        log "$cut_host held $held lease(s); waiting until they are reclaimed"
        for (( waited = 0; waited < 60; waited++ )); do
            [[ "$(sql "SELECT count(*) FROM sweep.jobs WHERE lease_owner = '$cut_host'")" == 0 ]] && break
            sleep 1
        done
        if [[ "$(sql "SELECT count(*) FROM sweep.jobs WHERE lease_owner = '$cut_host'")" != 0 ]]; then
            echo "demo: $cut_host's leases were not reclaimed within 60 s of the cut" >&2
            exit 1
        fi
        log "after ${waited} s: $(sql "SELECT count(*) FROM sweep.attempts WHERE worker = '$cut_host' AND outcome = 'expired'") expired attempt(s) of $cut_host; restoring its link"
        "$cluster" restore "$cut_host"
    fi
    if [[ -n "$drain_host" && "$drain_done" == false ]]; then
        running_job="$(sql "SELECT id FROM sweep.jobs WHERE lease_owner = '$drain_host' AND state = 'running' LIMIT 1")"
        if [[ -n "$running_job" ]]; then
            drain_done=true
            drain_pid="${worker_pids[$(( ${drain_host#w} - 1 ))]}"
            log "SIGTERM to $drain_host's worker while it runs job $running_job"
            drain_started=$SECONDS
            kill -TERM "$drain_pid"
            drain_status=0
            wait "$drain_pid" || drain_status=$?
            log "$drain_host's worker exited with status $drain_status after $(( SECONDS - drain_started )) s; job $running_job: $(sql "SELECT state || ', attempt ' || attempt FROM sweep.jobs WHERE id = $running_job"); its attempts by $drain_host: $(sql "SELECT string_agg(attempt || ' ' || coalesce(outcome, 'open'), ', ') FROM sweep.attempts WHERE job_id = $running_job AND worker = '$drain_host'")"
            (( drain_status == 0 )) || { echo "demo: the drained worker exited with status $drain_status" >&2; exit 1; }
        fi
    fi
    sleep 0.5
done
log "all $jobs jobs succeeded in $(( SECONDS - started )) s"
# Every worker host must have run some of them: the sweep spread over the hosts.
hosts_used="$(sql "SELECT count(DISTINCT w.host) FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id
    JOIN sweep.sweeps s ON s.id = j.sweep_id JOIN public.workers w ON w.worker = a.worker
    WHERE s.name = '$sweep_name' AND a.outcome = 'succeeded'")"
if (( hosts_used != ${SWEEP_NETNS_WORKERS:-3} )); then
    echo "demo: the jobs ran on $hosts_used host(s), not on all ${SWEEP_NETNS_WORKERS:-3}" >&2
    exit 1
fi
log "the jobs ran on all $hosts_used worker hosts"

echo
in_host coord env DATABASE_URL="$database_url" "$binary" status
echo
# The host comes from the workers view: sweep.attempts.host holds the claiming
# coordinator's id on the batched claim path, not the worker's host.
echo "Jobs per host (psql: sweep.attempts of this sweep, joined to the workers view):"
in_host coord psql "$database_url" -X -q -P footer=off -c "
    SELECT w.host, a.worker,
           count(*) FILTER (WHERE a.outcome = 'succeeded') AS succeeded,
           count(*) FILTER (WHERE a.outcome IS DISTINCT FROM 'succeeded') AS other_attempts,
           coalesce(string_agg(DISTINCT a.outcome, ', ') FILTER (WHERE a.outcome IS DISTINCT FROM 'succeeded'), '') AS other_outcomes
    FROM sweep.attempts a
    JOIN sweep.jobs j ON j.id = a.job_id
    JOIN sweep.sweeps s ON s.id = j.sweep_id
    LEFT JOIN public.workers w ON w.worker = a.worker
    WHERE s.name = '$sweep_name'
    GROUP BY w.host, a.worker ORDER BY w.host"
echo "Workers (sweep query on the workers view):"
in_host coord env DATABASE_URL="$database_url" "$binary" query "SELECT worker, host, slots, state FROM workers ORDER BY host"
echo
