#!/usr/bin/env python3
"""How much compute any policy could save on these sweeps, given how long it must wait.

A policy that decides only once k runs have completed (Optuna's MedianPruner waits for 5
trials, Sweep's `predict` for `min_completed`, default 3) cannot stop anything before then.
Two policies that know every curve's final value bound what such a policy can do, in the
same simulation as optuna_replay.py (es_common.simulate, 4 workers):

* oracle: once k runs have completed, stops every run but the true best at its next report:
  the most compute a policy can save at zero regret;
* everything: once k runs have completed, stops every run at its next report: the most
  compute a policy can save at all, with the regret that costs.

usage: oracle_bound.py --dir .data/lcdb/sweeps [--workers 4] [--warmup 0,1,3,5]
"""
from __future__ import annotations

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_common import Policy, find_manifest, mean, rank_order, read_curves, simulate  # noqa: E402


class AfterWarmup(Policy):
    def __init__(self, keep: int | None, warmup: int):
        self.keep, self.warmup, self.completed = keep, warmup, 0

    def report(self, idx, j, step, value, time, last):
        return not last and idx != self.keep and self.completed >= self.warmup

    def complete(self, idx, final_value, time):
        self.completed += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--warmup", default="0,1,3,5")
    ap.add_argument("--subset", help="a file listing the sweep CSVs to use")
    args = ap.parse_args()
    goal = find_manifest(args.dir)["goal"]
    paths = sorted(glob.glob(os.path.join(args.dir, "*.csv")))
    if args.subset:
        wanted = {line.strip().rsplit("/", 1)[-1] for line in open(args.subset) if line.strip()}
        paths = [p for p in paths if os.path.basename(p) in wanted]
    sweeps = [read_curves(p) for p in paths]
    print(f"{len(sweeps)} sweeps, {args.workers} workers, goal {goal}")
    print("| completed runs waited for | oracle: compute saved (regret 0) | stop everything: compute saved | its regret |")
    print("|---|---|---|---|")
    for k in (int(x) for x in args.warmup.split(",")):
        oracle = [simulate(c, AfterWarmup(rank_order(c, goal)[0], k), args.workers, goal) for c in sweeps]
        everything = [simulate(c, AfterWarmup(None, k), args.workers, goal) for c in sweeps]
        regret = mean(r.regret for r in everything)
        shown = "no run completes" if regret != regret else f"{regret:.5f}"
        print(f"| {k} | {100 * mean(r.saved for r in oracle):.1f}% | {100 * mean(r.saved for r in everything):.1f}% | {shown} |")


if __name__ == "__main__":
    main()
