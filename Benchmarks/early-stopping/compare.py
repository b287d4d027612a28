#!/usr/bin/env python3
"""Sweep's policies (sweep replay --format json) next to Optuna's pruners (optuna_replay.py
--json) on the same sweeps: one markdown table per collection.

usage: compare.py --optuna .data/results/optuna-lcdb.json --sweep .data/results/sweep-lcdb.json [--sweep MORE.json]
"""
import argparse
import json
import statistics


def optuna_rows(path):
    data = json.load(open(path))
    for name, pruner in data["pruners"].items():
        s = pruner["summary"]
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


def sweep_rows(path, label):
    data = json.load(open(path))
    for policy in data["policies"]:
        s = policy["summary"]
        rule = policy["rule"]
        setting = ""
        if policy["policy"] == "predict":
            setting = f" (p < {rule['probabilityThreshold']:g}, min_completed {rule['minCompleted']})"
        yield {
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
    args = parser.parse_args()
    rows = list(optuna_rows(args.optuna))
    for index, path in enumerate(args.sweep):
        label = args.label[index] if index < len(args.label) else ""
        rows += list(sweep_rows(path, label))
    print("| policy | sweeps | compute saved | regret (abs) | rel. regret mean / median | sweeps with regret | true best stopped | top-5 stopped |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['who']} | {r['sweeps']} | {100 * r['saved']:.1f}% | {r['regret']:.5f} | {100 * r['rel']:.2f}% / {100 * r['rel_median']:.2f}% "
              f"| {100 * r['regret_gt_0']:.1f}% | {100 * r['best_stopped']:.1f}% | {r['top5']:.2f} |")


if __name__ == "__main__":
    main()
