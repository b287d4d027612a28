#!/usr/bin/env bash
# Early stopping online: the demo sweep (sweeps/mlp-digits.yaml, 24 draws of the built-in
# mlp-train kernel) run to the end by `sweep up` under each policy, on the same draws (seed 7),
# with a private PostgreSQL in $DB_DIR. Prints, per policy, the compute saved against running
# everything (policy none) in training examples processed and in the attempts' wall time, the
# jobs stopped, and the best final val_loss of a job that finished, with its regret.
#
# usage: Benchmarks/early-stopping/online.sh   (SWEEP_BIN=path, default .build-bench/release/sweep;
#        DB_DIR, default /tmp/sweep-online-pg; WORKERS, default 2; EPOCHS per job, default 200:
#        the demo's 30 take a fraction of a second, too little to stop anything worth stopping)
set -euo pipefail
cd "$(dirname "$0")/../.."
sweep=${SWEEP_BIN:-.build-bench/release/sweep}
db=${DB_DIR:-/tmp/sweep-online-pg}
workers=${WORKERS:-2}
epochs=${EPOCHS:-200}
horizon=$((epochs * 45))  # optimizer steps of the longest runs (batch 32: 45 steps an epoch)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stamp=$(date -u +%H%M%S)

variant() {  # name, early-stopping block
    sed -e '/^early_terminate:/,/^  min_iter:/d' -e "s/^    epochs: 30$/    epochs: $epochs/" sweeps/mlp-digits.yaml >"$work/$1.yaml"
    printf '%s\n' "$2" >>"$work/$1.yaml"
    "$sweep" up "$work/$1.yaml" --name "online-$1-$stamp" --workers "$workers" --slots 1 --db-dir "$db" >"$work/$1.log" 2>&1
}
variant none "early_stop: {policy: none}"
variant hyperband $'early_terminate:\n  type: hyperband\n  min_iter: 3'
variant predict "early_stop: {policy: predict, metric: val_loss, horizon: $horizon}"
variant predict-cost-mixed "early_stop: {policy: predict, metric: val_loss, horizon: $horizon, cost_aware: true, forecaster: mixed}"
variant predict-cost-mixed-p0.2 "early_stop: {policy: predict, metric: val_loss, horizon: $horizon, cost_aware: true, forecaster: mixed, threshold: 0.2}"

url=$("$sweep" db url --db-dir "$db")
# Compute: training examples processed (the kernel's samples_seen at each job's last report),
# which does not depend on how busy the machine was; wall time beside it.
psql "$url" -X -q -P pager=off <<SQL
WITH jobs AS (
    SELECT s.name, j.id, j.state,
           (SELECT max(value) FROM sweep.metrics m WHERE m.job_id = j.id AND m.name = 'samples_seen') AS samples,
           (SELECT sum(extract(epoch FROM a.ended_at - a.started_at)) FROM sweep.attempts a WHERE a.job_id = j.id) AS seconds,
           (SELECT value FROM sweep.metrics m WHERE m.job_id = j.id AND m.name = 'val_loss' ORDER BY attempt DESC, step DESC LIMIT 1) AS final_loss
    FROM sweep.sweeps s JOIN sweep.jobs j ON j.sweep_id = s.id
    WHERE s.name LIKE 'online-%-$stamp'
), per_sweep AS (
    SELECT name, count(*) AS jobs, count(*) FILTER (WHERE state = 'stopped') AS stopped,
           sum(samples) AS samples, sum(seconds) AS seconds,
           min(final_loss) FILTER (WHERE state = 'succeeded') AS best
    FROM jobs GROUP BY name
), everything AS (SELECT * FROM per_sweep WHERE name = 'online-none-$stamp')
SELECT p.name AS sweep, p.jobs, p.stopped,
       round(((1 - p.samples / e.samples) * 100)::numeric, 1) AS saved_pct,
       round(((1 - p.seconds / e.seconds) * 100)::numeric, 1) AS wall_saved_pct,
       round(p.best::numeric, 4) AS best_val_loss, round((p.best - e.best)::numeric, 4) AS regret
FROM per_sweep p, everything e ORDER BY p.name;
SQL
