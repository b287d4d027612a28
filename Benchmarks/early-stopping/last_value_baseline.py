#!/usr/bin/env python3
"""Predictor-accuracy baseline: predict a curve's final value by its last observed value.

For every curve, observe its first k = max(1, floor(f * n)) points (n = the curve's number of
points, f in 0.1, 0.2, 0.4) and predict the final value (value at point n) as the value at
point k. Reports mean absolute error (and median) per fraction per collection.

Curves: LCDB = every curve of the sweep CSVs (each curve occurs in one sweep only);
scikit-learn = every curve of the pools (pool-*.csv), since sweeps reuse pool curves.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_common import read_curves  # noqa: E402

FRACTIONS = (0.1, 0.2, 0.4)


def errors(curves, f):
    out = []
    for c in curves:
        n = len(c)
        k = max(1, math.floor(f * n + 1e-9))
        out.append(abs(c.values[k - 1] - c.values[-1]))
    return out


def evaluate(label, groups: dict[str, list]) -> dict:
    allc = [c for cs in groups.values() for c in cs]
    res = {"collection": label, "curves": len(allc), "fractions": {}}
    for f in FRACTIONS:
        e = errors(allc, f)
        res["fractions"][str(f)] = {
            "mae": sum(e) / len(e),
            "median_ae": statistics.median(e),
            "per_group_mae": {g: (sum(errors(cs, f)) / len(cs)) for g, cs in groups.items()} if len(groups) > 1 else None,
        }
    return res


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lcdb", default=os.path.join(here, ".data", "lcdb", "sweeps"))
    ap.add_argument("--sklearn", default=os.path.join(here, ".data", "sklearn"))
    ap.add_argument("--json", default=os.path.join(here, ".data", "results", "last_value_baseline.json"))
    args = ap.parse_args()

    results = []
    lc = {"lcdb": [c for p in sorted(glob.glob(os.path.join(args.lcdb, "*.csv"))) for c in read_curves(p)]}
    results.append(evaluate("lcdb (value = 1 - score_valid)", lc))
    sk = {os.path.basename(p)[5:-4]: read_curves(p) for p in sorted(glob.glob(os.path.join(args.sklearn, "pool-*.csv")))}
    results.append(evaluate("sklearn (value = val log-loss)", sk))

    print("| collection | curves | MAE @10% | MAE @20% | MAE @40% | median AE @10% | @20% | @40% |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        fr = r["fractions"]
        print(f"| {r['collection']} | {r['curves']} | " + " | ".join(f"{fr[str(f)]['mae']:.4f}" for f in FRACTIONS)
              + " | " + " | ".join(f"{fr[str(f)]['median_ae']:.4f}" for f in FRACTIONS) + " |")
    for r in results:
        for f in FRACTIONS:
            g = r["fractions"][str(f)]["per_group_mae"]
            if g:
                print(f"  {r['collection']} @{f}: " + ", ".join(f"{k} {v:.4f}" for k, v in g.items()))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"fractions_rule": "k = max(1, floor(f * n)) first points observed; prediction = value at point k",
                   "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
