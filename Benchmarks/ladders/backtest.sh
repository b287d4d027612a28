#!/usr/bin/env bash
# Backtests of `sweep ladder fit` on the real data in ../shared/data (see docs/ladders.md).
# Usage: Benchmarks/ladders/backtest.sh [SWEEP_BINARY] [DATA_DIR]
# Writes .data/CASE.csv, .data/CASE.truth.json and .data/CASE.fit.json (git-ignored),
# then prints the summary and one markdown table per case.
# LADDER_RESAMPLES (default 200), LADDER_BUDGET (0.05), LADDER_FORM (the default: auto; or
# joint, equal-exponents, ...) and LADDER_OUT (another folder for the files) change the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sweep="${1:-$root/.build/debug/sweep}"
data="${2:-$root/../shared/data}"
out="${LADDER_OUT:-$here/.data}"
mkdir -p "$out"
form=()
if [[ -n "${LADDER_FORM:-}" ]]; then form=(--form "$LADDER_FORM"); fi
budget="${LADDER_BUDGET:-0.05}"
resamples="${LADDER_RESAMPLES:-200}"

python3 "$here/prepare.py" prepare "$data" "$out" --budget "$budget" > "$out/cases.txt"
while read -r case; do
    truth="$out/$case.truth.json"
    target=$(python3 -c "import json; t = json.load(open('$truth')); print('%r:%r' % (t['params'], t['tokens']))")
    if [[ "$case" == gemstone-* ]]; then
        "$sweep" ladder fit --csv "$out/$case.csv" --size-column params --tokens-column tokens --metric-column loss \
            --run-column run --target "$target" --resamples "$resamples" "${form[@]}" --format json --svg "$out/$case.svg" > "$out/$case.fit.json"
    else
        "$sweep" ladder fit --csv "$out/$case.csv" --size-column params --tokens-column tokens --metric-column loss \
            --task-column task --accuracy-column acc --run-column run --target "$target" --resamples "$resamples" "${form[@]}" --format json \
            --svg "$out/$case.svg" > "$out/$case.fit.json"
    fi
done < "$out/cases.txt"
rm -f "$out/cases.txt"
python3 "$here/prepare.py" score "$out"
