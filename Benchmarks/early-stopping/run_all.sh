#!/usr/bin/env bash
# Regenerates the early-stopping benchmark data and the Optuna baseline results.
#   Benchmarks/early-stopping/run_all.sh
# Env: PYTHON (default python3), SKIP_RECORD=1 reuses existing .data/sklearn/pool-*.csv,
#      CONFIGS (per pool, default 80), EPOCHS (default 50), WORKERS (default 4).
# Everything runs under nice -n 10 with single-threaded BLAS.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
NICE="nice -n 10"
WORKERS=${WORKERS:-4}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p .data/results
LOG=.data/results/run_all.log
: > "$LOG"
say() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$LOG"; }

say "python: $($PY -c 'import sys, sklearn, optuna, numpy, pandas; print(sys.version.split()[0], "sklearn", sklearn.__version__, "optuna", optuna.__version__, "numpy", numpy.__version__, "pandas", pandas.__version__)')"

# 1. LCDB: download the sdist (no install) and build sweeps from database-accuracy.csv inside it
if [ ! -f .data/lcdb-0.1.0.tar.gz ]; then
  say "downloading lcdb==0.1.0 sdist"
  $PY -m pip download --no-deps lcdb==0.1.0 -d .data/ >> "$LOG" 2>&1
fi
say "sha256 $(sha256sum .data/lcdb-0.1.0.tar.gz)"
say "extracting LCDB sweeps"
$NICE $PY extract_lcdb.py | tee -a "$LOG"

# 2. scikit-learn: record curves by training, then form sweeps
if [ "${SKIP_RECORD:-0}" != 1 ] || ! ls .data/sklearn/pool-*.csv > /dev/null 2>&1; then
  say "recording scikit-learn curves"
  /usr/bin/time -v $NICE $PY record_sklearn.py --configs "${CONFIGS:-80}" --epochs "${EPOCHS:-50}" \
    2> .data/results/record_sklearn.time | tee -a "$LOG"
  grep -E "Elapsed|User time|System time|Maximum resident" .data/results/record_sklearn.time | tee -a "$LOG" || true
fi
say "forming scikit-learn sweeps"
$NICE $PY make_sklearn_sweeps.py | tee -a "$LOG"

# 3. Optuna pruners on both collections (pruner none is the self-check: exit 1 if it saves anything)
for c in lcdb sklearn; do
  say "optuna replay: $c"
  $NICE $PY optuna_replay.py --dir ".data/$c/sweeps" --pruner none,median,sha,hyperband \
    --workers "$WORKERS" --json ".data/results/optuna-$c.json" | tee ".data/results/optuna-$c.md" | tee -a "$LOG"
done

# 4. last-value predictor baseline
say "last-value baseline"
$NICE $PY last_value_baseline.py | tee .data/results/last_value_baseline.md | tee -a "$LOG"
say "done"
