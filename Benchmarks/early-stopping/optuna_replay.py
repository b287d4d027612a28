#!/usr/bin/env python3
"""Replay sweep CSVs through Optuna pruners with the exact simulation of es_common.simulate.

Each curve is an Optuna trial: ``study.ask()`` when it starts on a worker,
``trial.report(value, step)`` at each of its report events, ``trial.should_prune()`` decides
stop (not consulted at the curve's last point), ``study.tell(trial, final_value)`` when it
completes and ``study.tell(trial, state=PRUNED)`` when stopped.

Step reported to Optuna: the 1-based point index of the curve (1, 2, 3, ...), not the CSV step.
LCDB steps are training-set sizes on an irregular ~sqrt(2) grid (16, 23, 32, 45, ...) whose
range differs per dataset, so the point index is the resource unit; for the scikit-learn
collection the point index equals the epoch. Pruners (Optuna defaults except the resource):

* median:    MedianPruner()  (n_startup_trials=5, n_warmup_steps=0, interval_steps=1)
* sha:       SuccessiveHalvingPruner(min_resource=1)  (reduction_factor=4, min_early_stopping_rate=0)
* hyperband: HyperbandPruner(min_resource=1, max_resource=<most points of any curve in the sweep>)
             (reduction_factor=3)
* none:      NopPruner()  -- self-check: must give exactly zero savings and zero regret.

Study per sweep: in-memory, ``study_name`` = CSV file name without ``.csv`` (Hyperband assigns
brackets from a hash of study name and trial number), direction = manifest goal,
sampler = RandomSampler(seed=0) (no parameters are sampled).
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import re
import statistics
import sys
import time

import optuna
from optuna.trial import TrialState

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_common import Curve, Policy, find_manifest, mean, read_curves, simulate  # noqa: E402

PRUNERS = ("median", "sha", "hyperband", "none")


def make_pruner(name: str, curves: list[Curve]):
    if name == "median":
        return optuna.pruners.MedianPruner()
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(len(c) for c in curves))
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(name)


class OptunaPolicy(Policy):
    def __init__(self, study: optuna.Study):
        self.study = study
        self.trials: dict[int, optuna.Trial] = {}

    def start(self, idx, curve, time):
        self.trials[idx] = self.study.ask()

    def report(self, idx, j, step, value, time, last):
        tr = self.trials[idx]
        tr.report(value, j + 1)
        if last:
            return False
        return tr.should_prune()

    def complete(self, idx, final_value, time):
        self.study.tell(self.trials.pop(idx), final_value)

    def stopped(self, idx, j, time):
        self.study.tell(self.trials.pop(idx), state=TrialState.PRUNED)


def replay_sweep(path: str, pruner: str, workers: int, goal: str) -> dict:
    curves = read_curves(path)
    name = os.path.basename(path)[:-4]
    study = optuna.create_study(study_name=name, direction=goal, pruner=make_pruner(pruner, curves),
                                sampler=optuna.samplers.RandomSampler(seed=0))
    res = simulate(curves, OptunaPolicy(study), workers=workers, goal=goal)
    d = res.as_dict()
    d["sweep"] = os.path.basename(path)
    return d


def summarize(rows: list[dict]) -> dict:
    rel = [r["rel_regret"] for r in rows if r["rel_regret"] is not None]
    return {
        "sweeps": len(rows),
        "curves": sum(r["n_curves"] for r in rows),
        "mean_saved": mean(r["saved"] for r in rows),
        "mean_regret": mean(r["regret"] for r in rows),
        "mean_rel_regret": mean(rel),
        "median_rel_regret": statistics.median(rel) if rel else float("nan"),
        "rel_regret_sweeps": len(rel),
        "frac_regret_gt_0": mean(1.0 if (r["regret"] or 0) > 0 else 0.0 for r in rows),
        "frac_true_best_stopped": mean(1.0 if r["true_best_stopped"] else 0.0 for r in rows),
        "mean_top5_stopped": mean(r["top5_stopped"] for r in rows),
        "mean_completed_frac": mean(r["n_completed"] / r["n_curves"] for r in rows),
        "sweeps_without_completed": sum(1 for r in rows if r["found_best"] is None),
    }


def fmt_table(label: str, summaries: dict[str, dict], seconds: dict[str, float] | None = None) -> str:
    head = ("| collection | pruner | sweeps | curves | compute saved | regret (abs) | rel. regret mean | "
            "rel. regret median | regret > 0 | true best stopped | top-5 stopped | curves completed |"
            + (" replay s |" if seconds else ""))
    sep = "|" + "---|" * (12 + (1 if seconds else 0))
    lines = [head, sep]
    for p, s in summaries.items():
        lines.append(
            f"| {label} | {p} | {s['sweeps']} | {s['curves']} | {s['mean_saved']:.4f} | {s['mean_regret']:.5f} | "
            f"{s['mean_rel_regret']:.4g} | {s['median_rel_regret']:.4f} | {s['frac_regret_gt_0']:.3f} | "
            f"{s['frac_true_best_stopped']:.3f} | {s['mean_top5_stopped']:.2f} | {s['mean_completed_frac']:.3f} |"
            + (f" {seconds[p]:.0f} |" if seconds else ""))
    return "\n".join(lines)


def group_of(sweep: str) -> str | None:
    """Pool of a scikit-learn sweep (``digits-mlp-s007.csv`` -> ``digits-mlp``); None otherwise."""
    m = re.match(r"^(.*)-s\d+\.csv$", sweep)
    return m.group(1) if m else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="folder of sweep CSVs (manifest.json in it or its parent)")
    ap.add_argument("--pruner", default="median", help="median|sha|hyperband|none, or a comma list")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--json", default=None, help="write per-sweep results and summary here")
    ap.add_argument("--limit", type=int, default=0, help="only the first N sweeps (sorted by name)")
    args = ap.parse_args()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    manifest = find_manifest(args.dir)
    goal = manifest["goal"]
    label = manifest.get("collection", os.path.basename(os.path.normpath(args.dir)))
    paths = sorted(glob.glob(os.path.join(args.dir, "*.csv")))
    if args.limit:
        paths = paths[: args.limit]
    pruners = [p.strip() for p in args.pruner.split(",") if p.strip()]
    for p in pruners:
        if p not in PRUNERS:
            raise SystemExit(f"unknown pruner {p}")

    out = {"dir": os.path.abspath(args.dir), "collection": label, "goal": goal, "workers": args.workers,
           "optuna_version": optuna.__version__, "step_reported": "1-based point index", "pruners": {}}
    summaries, seconds = {}, {}
    failed = False
    for p in pruners:
        t0 = time.time()
        rows = [replay_sweep(path, p, args.workers, goal) for path in paths]
        seconds[p] = time.time() - t0
        s = summarize(rows)
        summaries[p] = s
        out["pruners"][p] = {"summary": s, "seconds": round(seconds[p], 1), "sweeps": rows}
        if p == "none":
            bad = [r["sweep"] for r in rows if r["saved"] != 0.0 or r["regret"] != 0.0 or r["n_completed"] != r["n_curves"]]
            out["pruners"][p]["self_check_ok"] = not bad
            if bad:
                failed = True
                print(f"SELF-CHECK FAILED for pruner none on {len(bad)} sweeps, e.g. {bad[:3]}", file=sys.stderr)
            else:
                print("self-check ok: pruner none saved exactly 0 and regret exactly 0 on every sweep")
        print(f"{label} {p}: {len(rows)} sweeps in {seconds[p]:.1f} s", flush=True)

    print(fmt_table(label, summaries, seconds))
    groups = sorted({g for p in pruners for r in out["pruners"][p]["sweeps"] if (g := group_of(r["sweep"]))})
    if len(groups) > 1:
        print("\nper pool:")
        lines = None
        for g in groups:
            gs = {}
            for p in pruners:
                rows = [r for r in out["pruners"][p]["sweeps"] if group_of(r["sweep"]) == g]
                gs[p] = summarize(rows)
                out["pruners"][p].setdefault("by_pool", {})[g] = gs[p]
            t = fmt_table(g, gs).splitlines()
            lines = t if lines is None else lines + t[2:]
        print("\n".join(lines))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
