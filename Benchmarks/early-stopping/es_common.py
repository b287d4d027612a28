"""Shared code for the early-stopping benchmark: curve CSV I/O and the replay simulation.

Curve CSV format (one file per simulated sweep):
    header ``curve_id,step,value,cost``; one row per observed point; the rows of a curve are in
    increasing step; curves appear in submission order (order of first appearance).
    ``cost`` is the incremental compute (seconds) needed to produce that point.

The simulation below is specified exactly (the Swift ``sweep replay`` implements the same):

* N parallel workers; time starts at 0.0. Free workers take the next curve in order at the
  current time (at t=0 workers take c_0..c_{N-1}, in that order).
* A curve started at time t0 reports point j at time ``t0 + cum_j`` where
  ``cum_j = (((cost_0 + cost_1) + cost_2) + ... + cost_j)`` is accumulated left to right in
  IEEE double precision starting from 0.0 (so ``cum_0 = 0.0 + cost_0``).
* Events are processed in increasing time; ties are broken by curve index, then point index.
* At each report event except a curve's last point the policy is consulted with everything
  reported so far; if it says stop, the curve ends at that time. A curve ends after its last
  point (completed) or when stopped; its worker then takes the next curve at that time
  (the next curve is started, i.e. ``policy.start`` is called, while that event is processed,
  before any later event).
* compute used = sum of the costs of all reported points; full compute = sum of all costs.
  Arithmetic: a curve's compute is its ``cum`` at the point where it ended; used = sum over
  curves in index order of that; full = sum over curves in index order of each curve's total
  (accumulated left to right). Compute saved = 1 - used/full.
* final value of a curve = value at its last point. Found best = best final value among
  completed curves; true best = best final value over all curves.
* Ranking for "true best" and "top-5": curves sorted by final value (best first), ties broken
  by curve index; the true best curve is rank 1.
"""
from __future__ import annotations

import csv
import heapq
import json
import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence


@dataclass
class Curve:
    curve_id: str
    steps: List[float] = field(default_factory=list)
    values: List[float] = field(default_factory=list)
    costs: List[float] = field(default_factory=list)

    @property
    def final(self) -> float:
        return self.values[-1]

    def __len__(self) -> int:
        return len(self.steps)


def fmt(x: float) -> str:
    """Number formatting used for all generated CSVs (10 significant digits)."""
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(float(x), ".10g")


def write_curves(path: str, curves: Sequence[Curve]) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["curve_id", "step", "value", "cost"])
        for c in curves:
            for s, v, k in zip(c.steps, c.values, c.costs):
                w.writerow([c.curve_id, fmt(s), fmt(v), fmt(k)])


def read_curves(path: str) -> List[Curve]:
    curves: Dict[str, Curve] = {}
    order: List[str] = []
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        if header[:4] != ["curve_id", "step", "value", "cost"]:
            raise ValueError(f"{path}: unexpected header {header}")
        for row in r:
            cid = row[0]
            c = curves.get(cid)
            if c is None:
                c = curves[cid] = Curve(cid)
                order.append(cid)
            step = float(row[1])
            if c.steps and step <= c.steps[-1]:
                raise ValueError(f"{path}: curve {cid} steps not increasing at {step}")
            c.steps.append(step)
            c.values.append(float(row[2]))
            c.costs.append(float(row[3]))
    return [curves[k] for k in order]


def find_manifest(sweep_dir: str) -> dict:
    for d in (sweep_dir, os.path.dirname(os.path.abspath(sweep_dir))):
        p = os.path.join(d, "manifest.json")
        if os.path.exists(p):
            with open(p) as f:
                return json.load(f)
    raise FileNotFoundError(f"no manifest.json in {sweep_dir} or its parent")


class Policy:
    """Interface of an early-stopping policy driven by :func:`simulate`."""

    def start(self, idx: int, curve: Curve, time: float) -> None:  # curve begins on a worker
        pass

    def report(self, idx: int, j: int, step: float, value: float, time: float, last: bool) -> bool:
        """Called at every report event. Return True to stop (ignored when ``last``)."""
        return False

    def complete(self, idx: int, final_value: float, time: float) -> None:
        pass

    def stopped(self, idx: int, j: int, time: float) -> None:
        pass


@dataclass
class SimResult:
    n_curves: int
    n_completed: int
    used: float
    full: float
    saved: float
    makespan: float
    found_best: Optional[float]
    true_best: float
    regret: Optional[float]
    rel_regret: Optional[float]
    true_best_stopped: bool
    top5_stopped: int
    stopped_at: List[Optional[int]]  # per curve: point index where stopped, None if completed

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        return d


def rank_order(curves: Sequence[Curve], goal: str) -> List[int]:
    sign = 1.0 if goal == "minimize" else -1.0
    return sorted(range(len(curves)), key=lambda i: (sign * curves[i].final, i))


def simulate(curves: Sequence[Curve], policy: Policy, workers: int = 4, goal: str = "minimize") -> SimResult:
    if goal not in ("minimize", "maximize"):
        raise ValueError(goal)
    m = len(curves)
    heap: list = []
    t0 = [0.0] * m
    cum = [0.0] * m
    completed = [False] * m
    stopped_at: List[Optional[int]] = [None] * m
    nxt = 0
    makespan = 0.0

    def start(i: int, t: float) -> None:
        t0[i] = t
        cum[i] = 0.0 + curves[i].costs[0]
        policy.start(i, curves[i], t)
        heapq.heappush(heap, (t + cum[i], i, 0))

    while nxt < min(workers, m):
        start(nxt, 0.0)
        nxt += 1

    while heap:
        t, i, j = heapq.heappop(heap)
        c = curves[i]
        makespan = t
        last = j == len(c) - 1
        stop = policy.report(i, j, c.steps[j], c.values[j], t, last)
        if last:
            completed[i] = True
            policy.complete(i, c.values[j], t)
        elif stop:
            stopped_at[i] = j
            policy.stopped(i, j, t)
        else:
            cum[i] = cum[i] + c.costs[j + 1]
            heapq.heappush(heap, (t0[i] + cum[i], i, j + 1))
            continue
        if nxt < m:
            start(nxt, t)
            nxt += 1

    # Per-curve compute is cum (accumulated left to right); used and full are summed over
    # curves in index order, so that a policy that never stops gives used == full exactly.
    used = 0.0
    full = 0.0
    for i, c in enumerate(curves):
        total = 0.0
        for k in c.costs:
            total += k
        full += total
        used += cum[i] if i < nxt else 0.0
    better = min if goal == "minimize" else max
    finals_done = [curves[i].final for i in range(m) if completed[i]]
    found = better(finals_done) if finals_done else None
    true = better(c.final for c in curves)
    regret = abs(found - true) if found is not None else None
    rel = (regret / abs(true)) if (regret is not None and true != 0) else None
    order = rank_order(curves, goal)
    return SimResult(
        n_curves=m,
        n_completed=sum(completed),
        used=used,
        full=full,
        saved=(1.0 - used / full) if full > 0 else 0.0,
        makespan=makespan,
        found_best=found,
        true_best=true,
        regret=regret,
        rel_regret=rel,
        true_best_stopped=not completed[order[0]],
        top5_stopped=sum(1 for i in order[:5] if not completed[i]),
        stopped_at=stopped_at,
    )


def mean(xs) -> float:
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return sum(xs) / len(xs) if xs else float("nan")
