#!/bin/bash
# Jobs per second for `sleep`-kernel jobs of a given length through a real coordinator and 4
# worker processes × 8 slots, with a given report linger: what the linger costs or gains
# for jobs longer than no-ops. The rate runs from the sweep's created_at (the submit) to its
# last finished_at, on a new database of the private server in /tmp/bpg (`sweep db start
# --db-dir /tmp/bpg`), dropped afterwards. Needs a release build in .build-bench.
# usage: Benchmarks/queue/short-jobs.sh LINGER_MICROSECONDS JOB_SECONDS JOBS   (COORDINATOR_ARGS: more options of `sweep coordinator`)
#   e.g. for s in 0.002 0.01 0.05; do for l in 0 1000; do Benchmarks/queue/short-jobs.sh $l $s 6000; done; done
set -u
cd "$(dirname "$0")/../.."
B=${SWEEP_BIN:-$PWD/.build-bench/release/sweep}; L=$1; S=$2; N=$3
BASE=$($B db url --db-dir /tmp/bpg) || exit 1
DBN=short_jobs_$$
psql "$BASE" -qAtc "CREATE DATABASE $DBN" || exit 1
export DATABASE_URL=${BASE%/*}/$DBN
PORT=$((20000 + RANDOM % 20000)); D=$(mktemp -d /tmp/short-jobs-XXXX)
$B coordinator --bind tcp://127.0.0.1:$PORT ${COORDINATOR_ARGS:-} > $D/coordinator.log 2>&1 & C=$!
sleep 1.5
for i in 1 2 3 4; do
    $B worker --coordinator tcp://127.0.0.1:$PORT --slots 8 --id short-$$-$i --report-linger-microseconds $L \
        --work-dir $D/w$i > $D/worker-$i.log 2>&1 &
done
sleep 2
cat > $D/sweep.yaml <<YAML
name: sleep-$S-linger-$L
method: grid
kernel:
  name: sleep
  settings: {seconds: $S}
parameters:
  i: {min: 1, max: $N}
YAML
$B submit $D/sweep.yaml > /dev/null
for _ in $(seq 3000); do
    sleep 0.2
    [ "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM sweep.jobs WHERE state = 'succeeded'")" = "$N" ] && break
done
psql "$DATABASE_URL" -Atc "SELECT 'linger ' || $L || ' us, jobs of ' || $S || ' s: ' || count(*) || ' jobs, '
    || round((count(*) / extract(epoch FROM max(finished_at) - min(created_at)))::numeric) || ' jobs/s (32 slots: at most '
    || round(32 / $S) || ')' FROM sweep.jobs WHERE state = 'succeeded'"
pkill -f "worker --coordinator tcp://127.0.0.1:$PORT"; kill $C; wait 2>/dev/null
psql "$BASE" -qAtc "DROP DATABASE $DBN WITH (FORCE)"
rm -rf "$D"
