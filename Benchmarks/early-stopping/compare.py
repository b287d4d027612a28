#!/usr/bin/env python3
"""Sweep's policies (sweep replay --format json) next to Optuna's pruners (optuna_replay.py
--json) on the same sweeps: one markdown table per collection.

usage: compare.py --optuna .data/results/optuna-lcdb.json --sweep .data/results/sweep-lcdb.json [--sweep MORE.json]

Below the table, for each variant of `predict` (plain or cost-aware, and its forecaster): the compute it saves at the
regret of each Optuna pruner, interpolated linearly between the two thresholds whose regrets
bracket it, and the ratio to what that pruner saves ("the 1.5x target" of issue 6).
"""
import argparse
import json
import statistics


def optuna_rows(path, subset=None):
    data = json.load(open(path))
    for name, pruner in data["pruners"].items():
        s = pruner["summary"]
        if subset is not None:
            s = summarize([r for r in pruner["sweeps"] if r["sweep"] in subset])
        yield {
            "who": f"Optuna {name}",
            "sweeps": s["sweeps"],
            "saved": s["mean_saved"],
            "regret": s["mean_regret"],
            "rel": s["mean_rel_regret"],
            "rel_median": s["median_rel_regret"],
            "regret_gt_0": s["frac_regret_gt_0"],
            "best_stopped": s["frac_true_best_stopped"],
            "top5": s["mean_top5_stopped"],
        }


def summarize(rows):
    """The Optuna harness's summary, recomputed over a subset of its sweeps."""
    n = max(len(rows), 1)
    rel = [r["rel_regret"] for r in rows if r.get("rel_regret") is not None]
    return {
        "sweeps": len(rows),
        "mean_saved": sum(r["saved"] for r in rows) / n,
        "mean_regret": sum(r["regret"] or 0 for r in rows) / n,
        "mean_rel_regret": sum(rel) / max(len(rel), 1),
        "median_rel_regret": statistics.median(rel) if rel else 0.0,
        "frac_regret_gt_0": sum(1 for r in rows if (r["regret"] or 0) > 0) / n,
        "frac_true_best_stopped": sum(1 for r in rows if r["true_best_stopped"]) / n,
        "mean_top5_stopped": sum(r["top5_stopped"] for r in rows) / n,
    }


def sweep_rows(path, label):
    data = json.load(open(path))
    for policy in data["policies"]:
        s = policy["summary"]
        rule = policy["rule"]
        setting = ""
        variant = None
        if policy["policy"] == "predict":
            variant = "cost-aware" if rule.get("costAware") else "plain"
            if rule.get("forecaster", "ensemble") != "ensemble":
                variant += f", {rule['forecaster']} forecaster"
            shown = "" if variant == "plain" else f", {variant}"
            setting = f" (p < {rule['probabilityThreshold']:g}, min_completed {rule['minCompleted']}{shown})"
        yield {
            "predict": variant,
            "who": f"Sweep {policy['policy']}{setting}{label}",
            "sweeps": s["sweeps"],
            "saved": s["computeSaved"],
            "regret": s["regret"],
            "rel": s["relativeRegret"],
            "rel_median": s["medianRelativeRegret"],
            "regret_gt_0": s["regretAboveZero"],
            "best_stopped": s["bestStopped"] / max(s["sweeps"], 1),
            "top5": s["topKStopped"],
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--optuna", required=True)
    parser.add_argument("--sweep", action="append", default=[])
    parser.add_argument("--label", action="append", default=[])
    parser.add_argument("--subset", help="a file listing the sweep CSVs replayed (Optuna's figures are recomputed over those)")
    args = parser.parse_args()
    subset = None
    if args.subset:
        subset = {line.strip().rsplit("/", 1)[-1] for line in open(args.subset) if line.strip()}
    rows = list(optuna_rows(args.optuna, subset))
    for index, path in enumerate(args.sweep):
        label = args.label[index] if index < len(args.label) else ""
        rows += list(sweep_rows(path, label))
    print("| policy | sweeps | compute saved | regret (abs) | rel. regret mean / median | sweeps with regret | true best stopped | top-5 stopped |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if abs(r["saved"]) < 5e-6:
            r["saved"] = 0.0  # rounding of 1 - used/full when nothing was stopped
        print(f"| {r['who']} | {r['sweeps']} | {100 * r['saved']:.1f}% | {r['regret']:.5f} | {100 * r['rel']:.2f}% / {100 * r['rel_median']:.2f}% "
              f"| {100 * r['regret_gt_0']:.1f}% | {100 * r['best_stopped']:.1f}% | {r['top5']:.2f} |")

    print()
    print("| predict | at the regret of | that pruner saves | predict saves (interpolated) | ratio |")
    print("|---|---|---|---|---|")
    variants = []
    for r in rows:
        if r.get("predict") and r["predict"] not in variants:
            variants.append(r["predict"])
    for variant in variants:
        points = sorted((r["regret"], r["saved"]) for r in rows if r.get("predict") == variant)
        for baseline in (r for r in rows if r["who"].startswith("Optuna") and r["who"] != "Optuna none"):
            saved = interpolate(points, baseline["regret"])
            shown = f"{100 * saved:.1f}%" if saved is not None else "outside the thresholds run"
            ratio = f"{saved / baseline['saved']:.2f}x" if saved is not None and baseline["saved"] > 0 else "-"
            print(f"| {variant} | {baseline['who']} ({baseline['regret']:.5f}) | {100 * baseline['saved']:.1f}% | {shown} | {ratio} |")


def interpolate(points, regret):
    """Savings at `regret` on the line through the (regret, saved) points that bracket it."""
    for (r0, s0), (r1, s1) in zip(points, points[1:]):
        if r0 <= regret <= r1:
            return s0 if r1 == r0 else s0 + (s1 - s0) * (regret - r0) / (r1 - r0)
    return None


if __name__ == "__main__":
    main()
