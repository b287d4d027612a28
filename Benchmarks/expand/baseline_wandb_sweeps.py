"""W&B's own sweep engine (PyPI `sweeps`, 0.2.0) generating the same configurations.

`sweeps.next_runs(config, runs, n=N)` dispatches to grid_search_next_runs (itertools.product
over per-value YAML hashes) or random_search_next_runs (one scipy/numpy sample per parameter
per run) and returns SweepRun objects. A warm-up call (n=1) runs first, so imports and
scipy's first-call costs are not timed. W&B does not SHA-256 the configurations; nothing is
added to its work.

Scenario `grid-incremental` is how W&B's sweep controller actually asks: one run at a time,
passing every run so far; each call rebuilds the whole product and the set of seen
configurations, so its cost per run grows with the sweep. It is measured at a small N.

usage: python baseline_wandb_sweeps.py grid|random|grid-incremental [--n N] [--repetitions R]
"""
import argparse
import warnings

warnings.filterwarnings("ignore")

import sweeps  # noqa: E402
from sweeps import RunState, SweepRun  # noqa: E402

import spaces  # noqa: E402


def incremental(config, n):
    runs = []
    for _ in range(n):
        run = sweeps.next_run(config, runs)
        runs.append(SweepRun(config=run.config, state=RunState.finished))
    return runs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["grid", "random", "grid-incremental"])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    config = spaces.load("random" if args.scenario == "random" else "grid")
    sweeps.next_runs(config, [], n=1)  # warm-up: imports, scipy first calls
    if args.scenario == "grid-incremental":
        run = lambda: incremental(config, args.n)
        note = "next_run() once per run, passing all runs so far"
    else:
        run = lambda: sweeps.next_runs(config, [], n=args.n)
        note = "next_runs(config, [], n=N), one call"
    best, median, runs = spaces.timed(run, args.repetitions)
    produced = sum(1 for r in runs if r is not None)
    spaces.report(f"W&B sweeps {sweeps.__version__}", args.scenario, args.n, produced, best, median,
                  args.repetitions, note)


if __name__ == "__main__":
    main()
