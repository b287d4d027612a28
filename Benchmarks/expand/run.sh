#!/usr/bin/env bash
# Sweep expansion benchmark: Sweep (release build, in process and CLI end to end) against
# raw Python, W&B's `sweeps` 0.2.0 and Optuna, all measured in this one run; prints a table.
#
# usage: Benchmarks/expand/run.sh
#   VENV=/tmp/sweep-bench-venv  Python venv for the baselines (created, with `pip install
#                               sweeps==0.2.0 optuna`, when missing; needs the network once)
#   SKIP_BUILD=1                use .build-bench/release/sweep as it is
#   RESULTS=DIR                 where raw outputs go (default: a new /tmp/sweep-bench.* folder)
#   BUDGET_S=570                wall-clock budget for the measurements (the build is outside it)
#
# The release build uses its own scratch folder (.build-bench) so it never blocks a debug
# build in .build. A clean release build takes several minutes on 2 cores; an up-to-date
# one a few seconds.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE=Benchmarks/expand
BIN=.build-bench/release/sweep
VENV=${VENV:-/tmp/sweep-bench-venv}
RESULTS=${RESULTS:-$(mktemp -d /tmp/sweep-bench.XXXXXX)}
BUDGET_S=${BUDGET_S:-570}
mkdir -p "$RESULTS"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "building $BIN (release, scratch path .build-bench)..." >&2
    swift build -c release --product sweep --scratch-path .build-bench >"$RESULTS/build.log" 2>&1 \
        || { tail -30 "$RESULTS/build.log" >&2; exit 1; }
fi
[[ -x "$BIN" ]] || { echo "no $BIN; build it or unset SKIP_BUILD" >&2; exit 1; }

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV with sweeps==0.2.0 and optuna..." >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q sweeps==0.2.0 optuna >&2
fi
PY="$VENV/bin/python"

# --- the machine -------------------------------------------------------------------------
busy() {  # percent of all CPUs busy over one second (other people's builds skew timings)

    read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat; sleep 1
    read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat
    local total=$(( (b1+b2+b3+b4+b5+b6+b7) - (a1+a2+a3+a4+a5+a6+a7) )) idle=$(( (b4+b5) - (a4+a5) ))
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (Sources modified)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "swift: $(swift --version 2>/dev/null | head -1)"
    echo "python: $("$PY" -c 'import sys; print(sys.version.split()[0])')"
    echo "packages: $("$PY" -m pip list 2>/dev/null | awk 'tolower($1) ~ /^(sweeps|optuna|numpy|scipy|pyyaml)$/ {printf "%s %s, ", $1, $2}' | sed 's/, $//')"
    echo "CPU busy before measuring: $(busy)% (load average $(cut -d' ' -f1-3 /proc/loadavg))"
} >"$RESULTS/machine.txt"

# --- measurements, each bounded by what is left of the budget ----------------------------
DEADLINE=$(( $(date +%s) + BUDGET_S ))
step() {  # step LIMIT_S LABEL COMMAND... ; stdout appended to $RESULTS/LABEL, or discarded for LABEL null:NAME
    local limit=$1 label=$2; shift 2
    local left=$(( DEADLINE - $(date +%s) ))
    (( left < limit )) && limit=$left
    if (( limit <= 0 )); then echo "  skipped $label $*: budget spent" >&2; return 0; fi
    echo "  $label (limit ${limit}s)" >&2
    local out="$RESULTS/$label"
    [[ $label == null:* ]] && { label=${label#null:}; out=/dev/null; }
    if ! timeout "$limit" "$@" >>"$out" 2>>"$RESULTS/$label.err"; then
        echo "  $label $*: failed or timed out after ${limit}s (see $RESULTS/$label.err)" >&2
    fi
}

echo "measuring (raw outputs in $RESULTS)..." >&2
# Sweep in process: best/median of 5 expansions each, peak RSS of the whole process.
step 120 sweep-bench.txt /usr/bin/time -v -o "$RESULTS/sweep-bench.time" "$BIN" bench expand
# Sweep CLI end to end (parse, validate, expand, hash, print JSON), 3 runs per file.
for name in grid random sobol; do
    for i in 1 2 3; do
        step 60 "null:cli-$name-$i" /usr/bin/time -v -o "$RESULTS/cli-$name-$i.time" "$BIN" expand "$HERE/$name-100k.yaml" --format json
    done
done
# Baselines; each scenario in its own process so its peak RSS is its own.
cd "$HERE"
step 60 baselines.jsonl "$PY" baseline_python.py grid --repetitions 5
step 60 baselines.jsonl "$PY" baseline_python.py random --repetitions 5
step 60 baselines.jsonl "$PY" baseline_wandb_sweeps.py grid --n 100000 --repetitions 3
step 90 baselines.jsonl "$PY" baseline_wandb_sweeps.py random --n 100000 --repetitions 1
step 30 baselines.jsonl "$PY" baseline_wandb_sweeps.py grid-incremental --n 100 --repetitions 1
step 90 baselines.jsonl "$PY" baseline_optuna.py random --n 100000 --repetitions 1
step 30 baselines.jsonl "$PY" baseline_optuna.py sobol --n 500 --repetitions 1
step 45 baselines.jsonl "$PY" baseline_optuna.py sobol --n 2000 --repetitions 1
cd "$ROOT"
echo "CPU busy after measuring: $(busy)% (load average $(cut -d' ' -f1-3 /proc/loadavg))" >>"$RESULTS/machine.txt"

"$PY" "$HERE/report.py" "$RESULTS"
