#!/usr/bin/env python3
"""Collection 1: LCDB learning curves -> sweep CSVs.

Reads ``lcdb/database-accuracy.csv`` straight out of the lcdb==0.1.0 sdist tarball (streamed,
never extracted to disk), keeps only the dataset ids in the dev-id list, and writes one sweep
CSV per (openmlid, outer_seed, inner_seed) for the chosen seeds.

A configuration (curve) is a learner; step = size_train (anchor); value = 1 - score_valid
(validation error rate, goal minimize); cost = traintime (each anchor is a separate fit, so
the incremental cost of a point is that fit's own train time).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_common import Curve, write_curves  # noqa: E402

MEMBER = "lcdb-0.1.0/lcdb/database-accuracy.csv"
USECOLS = ["openmlid", "learner", "size_train", "outer_seed", "inner_seed", "traintime", "score_valid"]


def read_ids(path: str) -> list[int]:
    ids = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                ids.append(int(line))
    return ids


def short_name(learner: str) -> str:
    return learner.rsplit(".", 1)[-1]


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tar", default=os.path.join(here, ".data", "lcdb-0.1.0.tar.gz"))
    ap.add_argument("--ids", default="/work/shared/data/lcdb-dev-ids.txt")
    ap.add_argument("--out", default=os.path.join(here, ".data", "lcdb"))
    ap.add_argument("--outer-seeds", default="0,1,2")
    ap.add_argument("--inner-seeds", default="0")
    ap.add_argument("--min-anchors", type=int, default=4)
    ap.add_argument("--min-curves", type=int, default=8)
    ap.add_argument("--seed", type=int, default=20240917, help="base seed of the order permutations")
    args = ap.parse_args()

    t_start = time.time()
    ids = read_ids(args.ids)
    outer = [int(x) for x in args.outer_seeds.split(",")]
    inner = [int(x) for x in args.inner_seeds.split(",")]
    idset = set(ids)

    parts = []
    with tarfile.open(args.tar, "r:gz") as tf:
        f = tf.extractfile(MEMBER)
        for chunk in pd.read_csv(f, usecols=USECOLS, chunksize=250_000):
            chunk = chunk[chunk.openmlid.isin(idset) & chunk.outer_seed.isin(outer) & chunk.inner_seed.isin(inner)]
            parts.append(chunk)
    df = pd.concat(parts, ignore_index=True)
    rows_read = len(df)

    sweep_dir = os.path.join(args.out, "sweeps")
    os.makedirs(sweep_dir, exist_ok=True)
    for name in os.listdir(sweep_dir):
        if name.endswith(".csv"):
            os.remove(os.path.join(sweep_dir, name))

    stats = {"curves_seen": 0, "dropped_nan": 0, "dropped_few_anchors": 0, "dropped_truncated": 0,
             "dropped_dup_anchor": 0, "sweeps_dropped_few_curves": 0}
    sweeps = []
    n_curves = []
    n_points = []
    for (oid, o, i), g in df.groupby(["openmlid", "outer_seed", "inner_seed"], sort=True):
        gmax = g.size_train.max()
        curves = []
        for learner, lc in sorted(g.groupby("learner"), key=lambda kv: kv[0]):
            stats["curves_seen"] += 1
            lc = lc.sort_values("size_train")
            if lc[["score_valid", "traintime", "size_train"]].isna().any().any():
                stats["dropped_nan"] += 1
                continue
            if lc.size_train.duplicated().any():
                stats["dropped_dup_anchor"] += 1
                continue
            if len(lc) < args.min_anchors:
                stats["dropped_few_anchors"] += 1
                continue
            if lc.size_train.max() < gmax:
                stats["dropped_truncated"] += 1
                continue
            curves.append(Curve(
                short_name(learner),
                [int(s) for s in lc.size_train],
                [float(format(1.0 - v, ".10g")) for v in lc.score_valid],
                [float(t) for t in lc.traintime],
            ))
        if len(curves) < args.min_curves:
            stats["sweeps_dropped_few_curves"] += 1
            continue
        rng = np.random.default_rng([args.seed, int(oid), int(o), int(i)])
        perm = rng.permutation(len(curves))
        curves = [curves[k] for k in perm]
        name = f"lcdb-d{int(oid)}-o{int(o)}-i{int(i)}.csv"
        write_curves(os.path.join(sweep_dir, name), curves)
        sweeps.append(name)
        n_curves.append(len(curves))
        n_points.extend(len(c) for c in curves)

    manifest = {
        "collection": "lcdb",
        "source": "LCDB (Mohr, Viering, Loog, van Rijn, 2022) via PyPI package lcdb==0.1.0 (MIT), "
                  "file lcdb/database-accuracy.csv read from the sdist tarball",
        "dataset_ids": f"openmlid in {args.ids} ({len(ids)} ids, comment lines skipped)",
        "goal": "minimize",
        "metric": "validation error rate = 1 - score_valid (rounded to 10 significant digits)",
        "step": "size_train (training-set size anchor; irregular, ~geometric sqrt(2) grid)",
        "cost": "traintime in seconds of the fit at that anchor (each anchor is a separate fit)",
        "configuration": "a learner (20 scikit-learn learners in LCDB); curve_id = learner class name",
        "sweeps_formed_as": "one sweep per (openmlid, outer_seed, inner_seed) with "
                            f"outer_seed in {outer} and inner_seed in {inner}; curves = all learners "
                            "available for it after filtering",
        "filters": {
            "curve_dropped_if": [
                "any NaN in score_valid/traintime/size_train",
                "duplicated anchor",
                f"fewer than {args.min_anchors} anchors",
                "its largest anchor is smaller than the largest anchor of the sweep (learner failed or "
                "timed out at larger anchors, so its final value is not comparable)",
            ],
            "sweep_dropped_if": f"fewer than {args.min_curves} curves after filtering",
        },
        "order": "curves in a sweep are in the order numpy.random.default_rng([seed, openmlid, "
                 "outer_seed, inner_seed]).permutation(n) applied to the curves sorted by full learner name",
        "seeds": {"order_seed": args.seed},
        "filter_stats": stats,
        "n_sweeps": len(sweeps),
        "curves_per_sweep": {"min": int(min(n_curves)), "max": int(max(n_curves)),
                             "mean": float(np.mean(n_curves)), "total": int(sum(n_curves))},
        "points_per_curve": {"min": int(min(n_points)), "max": int(max(n_points)),
                             "mean": float(np.mean(n_points)), "total": int(sum(n_points))},
        "rows_read_after_filter": int(rows_read),
        "seconds_to_build": round(time.time() - t_start, 1),
        "sweeps": sweeps,
    }
    with open(os.path.join(sweep_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"lcdb: {len(sweeps)} sweeps, {sum(n_curves)} curves, {sum(n_points)} points -> {sweep_dir}")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
