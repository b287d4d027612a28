#!/usr/bin/env python3
"""Form sweeps from the recorded scikit-learn pools.

For every pool ``<pools>/pool-<dataset>-<model>.csv``, writes ``--per-pool`` sweeps: sweep k is
a random subset of the pool's configurations of size n ~ Uniform{min..max} in random order,
drawn with ``numpy.random.default_rng([seed, pool_index, k])`` (pool_index = position of the
pool in the sorted list of pool files): ``n = rng.integers(min, max + 1)``, then
``rng.choice(pool_size, size=n, replace=False)`` gives the curves in submission order.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_common import read_curves, write_curves  # noqa: E402


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pools", default=os.path.join(here, ".data", "sklearn"))
    ap.add_argument("--out", default=None, help="default: <pools>/sweeps")
    ap.add_argument("--per-pool", type=int, default=100)
    ap.add_argument("--min", type=int, default=30)
    ap.add_argument("--max", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20240917)
    args = ap.parse_args()
    out = args.out or os.path.join(args.pools, "sweeps")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(".csv"):
            os.remove(os.path.join(out, name))

    pools = sorted(glob.glob(os.path.join(args.pools, "pool-*.csv")))
    if not pools:
        raise SystemExit(f"no pools in {args.pools}")
    rec_path = os.path.join(args.pools, "recording.json")
    recording = json.load(open(rec_path)) if os.path.exists(rec_path) else None
    sweeps = []
    sizes = []
    pool_info = []
    for pi, path in enumerate(pools):
        tag = os.path.basename(path)[len("pool-"):-len(".csv")]
        curves = read_curves(path)
        pool_info.append({"pool": os.path.basename(path), "index": pi, "configs": len(curves),
                          "epochs": max(len(c) for c in curves)})
        for k in range(args.per_pool):
            rng = np.random.default_rng([args.seed, pi, k])
            n = int(rng.integers(args.min, args.max + 1))
            n = min(n, len(curves))
            idx = rng.choice(len(curves), size=n, replace=False)
            name = f"{tag}-s{k:03d}.csv"
            write_curves(os.path.join(out, name), [curves[i] for i in idx])
            sweeps.append(name)
            sizes.append(n)

    manifest = {
        "collection": "sklearn",
        "source": "curves recorded on this machine by record_sklearn.py (scikit-learn SGDClassifier and "
                  "MLPClassifier trained with partial_fit, one epoch per call) on load_digits, "
                  "load_breast_cancer, load_wine and make_classification(n_samples=6000, n_features=30, "
                  "n_informative=12, n_redundant=6, n_classes=4, n_clusters_per_class=2, flip_y=0.05, "
                  "class_sep=0.8, random_state=0); 70/30 stratified split (random_state=0), StandardScaler",
        "goal": "minimize",
        "metric": "validation log-loss (probabilities clipped to [1e-15, 1]; non-finite predictions "
                  "score the maximum -ln(1e-15) = 34.5388)",
        "step": "epoch (1-based)",
        "cost": "measured wall time in seconds of that epoch's partial_fit call (evaluation excluded)",
        "configuration": "a seeded random draw of hyperparameters (see pool-*.configs.json); curve_id = "
                         "<model>-<index in pool>",
        "sweeps_formed_as": f"{args.per_pool} sweeps per pool; each a random subset of "
                            f"{args.min}..{args.max} configurations of the pool in random order",
        "order": "numpy.random.default_rng([seed, pool_index, sweep_index]): n = rng.integers(min, max+1); "
                 "rng.choice(pool_size, size=n, replace=False) = curves in submission order",
        "seeds": {"sweep_seed": args.seed,
                  "recording_seed": recording["seed"] if recording else None},
        "pools": pool_info,
        "recording": recording,
        "n_sweeps": len(sweeps),
        "curves_per_sweep": {"min": min(sizes), "max": max(sizes), "mean": float(np.mean(sizes)),
                             "total": int(sum(sizes))},
        "sweeps": sweeps,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"sklearn: {len(sweeps)} sweeps from {len(pools)} pools, {sum(sizes)} curves -> {out}")


if __name__ == "__main__":
    main()
