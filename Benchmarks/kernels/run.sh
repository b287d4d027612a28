#!/usr/bin/env bash
# mlp-train against PyTorch on CPU, same models, same thread count, same run (BENCHMARKS.md,
# "Kernels (mlp-train vs PyTorch)"). Usage: Benchmarks/kernels/run.sh [THREADS ...] (default: 1 2)
# Needs libopenblas-dev and torch (pip install torch --index-url https://download.pytorch.org/whl/cpu).
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=.build-kernels-bench
EPOCHS=${EPOCHS:-5}
THREADS=("$@")
((${#THREADS[@]})) || THREADS=(1 2)

swift build -c release --product sweep --scratch-path "$SCRATCH" >&2
SWEEP="$SCRATCH/release/sweep"
OUTPUT=$(mktemp)
trap 'rm -f "$OUTPUT"' EXIT

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 -c 'import torch; print("torch", torch.__version__, torch.__config__.show().splitlines()[1:3])' >&2
dpkg-query -W -f='libopenblas ${Version}\n' libopenblas0-pthread 2>/dev/null >&2 || true

for threads in "${THREADS[@]}"; do
    # Alternate the frameworks model by model so that a change in machine load hits both.
    for model in small large; do
        OPENBLAS_NUM_THREADS=$threads "$SWEEP" bench kernels --json --models "$model" --threads "$threads" --epochs "$EPOCHS" | tee -a "$OUTPUT" >&2
        OMP_NUM_THREADS=$threads python3 Benchmarks/kernels/pytorch_baseline.py --models "$model" --threads "$threads" --epochs "$EPOCHS" | tee -a "$OUTPUT" >&2
    done
done

python3 - "$OUTPUT" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
print("| model | threads | mlp-train s/epoch | PyTorch s/epoch | ratio (mlp-train / PyTorch) |")
print("| --- | --- | --- | --- | --- |")
for row in rows:
    if row["framework"] != "sweep":
        continue
    torch_row = next(r for r in rows if r["framework"] == "pytorch" and r["model"] == row["model"] and r["threads"] == row["threads"])
    print(f"| {row['model']} | {row['threads']} | {row['seconds_per_epoch']:.4f} | {torch_row['seconds_per_epoch']:.4f} | {row['seconds_per_epoch'] / torch_row['seconds_per_epoch']:.2f}x |")
PY
