#!/usr/bin/env bash
# Sweep's side of the early-stopping evidence (docs/early-stopping.md): every policy, and
# `predict` at several thresholds, replayed with `sweep replay` over the sweeps that
# run_all.sh made (LCDB: all 369; scikit-learn: every 4th of the 800, 200 sweeps, because
# predict refits on every report), next to the Optuna pruners on the same sweeps; then the
# predictor's accuracy on every LCDB curve and the 640 recorded scikit-learn curves.
# Writes .data/results/{sweep-*.json,compare-*.md,accuracy-*.txt}. About 12 minutes here.
#
# usage: Benchmarks/early-stopping/sweep_replay.sh   (after run_all.sh; SKIP_BUILD=1 to reuse .build-bench)
set -euo pipefail
cd "$(dirname "$0")"
root=../..
if [[ -z "${SKIP_BUILD:-}" ]]; then
    (cd "$root" && swift build -c release --product sweep --scratch-path .build-bench)
fi
sweep="$root/.build-bench/release/sweep"
results=.data/results
mkdir -p "$results"

lcdb=()
for f in .data/lcdb/sweeps/*.csv; do lcdb+=(--csv "$f"); done
ls .data/sklearn/sweeps/*.csv | awk 'NR % 4 == 1' >.data/sklearn-subset.txt
sklearn=()
while read -r f; do sklearn+=(--csv "$f"); done <.data/sklearn-subset.txt

# Steps count reports (1, 2, 3, ...), as the Optuna harness reports them.
"$sweep" replay "${lcdb[@]}" --policy all --steps index --format json >"$results/sweep-lcdb.json"
"$sweep" replay "${sklearn[@]}" --policy all --steps index --format json >"$results/sweep-sklearn.json"
for p in 0.01 0.2 0.4; do
    "$sweep" replay "${lcdb[@]}" --policy predict --probability-threshold $p --steps index --format json >"$results/sweep-lcdb-p$p.json"
done
for p in 0.2 0.4 0.6; do
    "$sweep" replay "${sklearn[@]}" --policy predict --probability-threshold $p --steps index --format json >"$results/sweep-sklearn-p$p.json"
done
# Cost-aware predict: the threshold scaled by each run's remaining compute (the cost column).
for p in 0.001 0.003 0.01 0.03 0.1; do
    "$sweep" replay "${lcdb[@]}" --policy predict --cost-aware --probability-threshold $p --steps index --format json >"$results/sweep-lcdb-cost-p$p.json"
done
for p in 0.05 0.2 0.5 0.9; do
    "$sweep" replay "${sklearn[@]}" --policy predict --cost-aware --probability-threshold $p --steps index --format json >"$results/sweep-sklearn-cost-p$p.json"
done
# ... and with the sweep's completed runs as (part of) the model: the mixed and population forecasters.
for f in mixed population; do
    for p in 0.003 0.01 0.02 0.04; do
        "$sweep" replay "${lcdb[@]}" --policy predict --cost-aware --forecaster $f --probability-threshold $p --steps index --format json >"$results/sweep-lcdb-cost-$f-p$p.json"
    done
    for p in 0.1 0.2 0.3 0.5; do
        "$sweep" replay "${sklearn[@]}" --policy predict --cost-aware --forecaster $f --probability-threshold $p --steps index --format json >"$results/sweep-sklearn-cost-$f-p$p.json"
    done
done
python3 compare.py --optuna "$results/optuna-lcdb.json" --sweep "$results/sweep-lcdb.json" \
    --sweep "$results/sweep-lcdb-p0.01.json" --sweep "$results/sweep-lcdb-p0.2.json" --sweep "$results/sweep-lcdb-p0.4.json" \
    $(for p in 0.001 0.003 0.01 0.03 0.1; do echo --sweep "$results/sweep-lcdb-cost-p$p.json"; done) \
    $(for f in mixed population; do for p in 0.003 0.01 0.02 0.04; do echo --sweep "$results/sweep-lcdb-cost-$f-p$p.json"; done; done) \
    | tee "$results/compare-lcdb.md"
python3 compare.py --optuna "$results/optuna-sklearn.json" --subset .data/sklearn-subset.txt --sweep "$results/sweep-sklearn.json" \
    --sweep "$results/sweep-sklearn-p0.2.json" --sweep "$results/sweep-sklearn-p0.4.json" --sweep "$results/sweep-sklearn-p0.6.json" \
    $(for p in 0.05 0.2 0.5 0.9; do echo --sweep "$results/sweep-sklearn-cost-p$p.json"; done) \
    $(for f in mixed population; do for p in 0.1 0.2 0.3 0.5; do echo --sweep "$results/sweep-sklearn-cost-$f-p$p.json"; done; done) \
    | tee "$results/compare-sklearn.md"

# The predictor's accuracy: every LCDB curve; the 640 recorded scikit-learn curves (the pools,
# whose extra columns are dropped), each once.
mkdir -p .data/sklearn/pools
for f in .data/sklearn/pool-*.csv; do cut -d, -f1-4 "$f" >".data/sklearn/pools/$(basename "$f")"; done
pools=()
for f in .data/sklearn/pools/*.csv; do pools+=(--csv "$f"); done
"$sweep" replay "${lcdb[@]}" --accuracy --steps index | tee "$results/accuracy-lcdb.txt"
"$sweep" replay "${pools[@]}" --accuracy --steps index | tee "$results/accuracy-sklearn.txt"
