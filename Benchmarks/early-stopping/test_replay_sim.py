#!/usr/bin/env python3
"""Hand-checked cases of the replay simulation (run: python3 test_replay_sim.py)."""
from __future__ import annotations

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_common import Curve, Policy, simulate  # noqa: E402


class Log(Policy):
    """Records every call; stops curve i at point j when (i, j) is in ``stop``."""

    def __init__(self, stop=()):
        self.stop = set(stop)
        self.log = []

    def start(self, idx, curve, time):
        self.log.append(("start", idx, time))

    def report(self, idx, j, step, value, time, last):
        self.log.append(("report", idx, j, time))
        return (idx, j) in self.stop

    def complete(self, idx, final_value, time):
        self.log.append(("complete", idx, time))

    def stopped(self, idx, j, time):
        self.log.append(("stopped", idx, j, time))


def C(cid, values, costs):
    return Curve(cid, list(range(1, len(values) + 1)), list(values), list(costs))


class SimTest(unittest.TestCase):
    def test_order_ties_and_restart(self):
        # 2 workers, 3 curves. c0: points at t=1,2; c1: points at t=1,3 ; c2 starts when c0 ends (t=2).
        curves = [C("a", [0.5, 0.4], [1, 1]), C("b", [0.6, 0.3], [1, 2]), C("c", [0.9, 0.8], [1, 1])]
        p = Log()
        r = simulate(curves, p, workers=2, goal="minimize")
        self.assertEqual(p.log, [
            ("start", 0, 0.0), ("start", 1, 0.0),
            ("report", 0, 0, 1.0), ("report", 1, 0, 1.0),  # tie at t=1: curve index order
            ("report", 0, 1, 2.0), ("complete", 0, 2.0), ("start", 2, 2.0),
            ("report", 1, 1, 3.0), ("complete", 1, 3.0),
            ("report", 2, 0, 3.0),  # tie at t=3 with curve 1: curve 1 first
            ("report", 2, 1, 4.0), ("complete", 2, 4.0),
        ])
        self.assertEqual(r.saved, 0.0)
        self.assertEqual(r.regret, 0.0)
        self.assertEqual(r.makespan, 4.0)

    def test_stop_frees_worker_and_metrics(self):
        # 1 worker. Stop the best curve (b) after its first point.
        curves = [C("a", [0.5, 0.4, 0.35], [1, 1, 1]), C("b", [0.6, 0.3, 0.1], [2, 2, 2]),
                  C("c", [0.9, 0.8, 0.2], [1, 1, 1])]
        p = Log(stop={(1, 0)})
        r = simulate(curves, p, workers=1, goal="minimize")
        self.assertIn(("stopped", 1, 0, 5.0), p.log)
        self.assertIn(("start", 2, 5.0), p.log)
        self.assertEqual(r.used, 3 + 2 + 3)
        self.assertEqual(r.full, 3 + 6 + 3)
        self.assertAlmostEqual(r.saved, 1 - 8 / 12)
        self.assertEqual(r.found_best, 0.2)
        self.assertEqual(r.true_best, 0.1)
        self.assertAlmostEqual(r.regret, 0.1)
        self.assertAlmostEqual(r.rel_regret, 1.0)
        self.assertTrue(r.true_best_stopped)
        self.assertEqual(r.top5_stopped, 1)
        self.assertEqual(r.stopped_at, [None, 0, None])

    def test_last_point_never_stops(self):
        curves = [C("a", [1, 2], [1, 1])]
        r = simulate(curves, Log(stop={(0, 1)}), workers=4, goal="maximize")
        self.assertEqual(r.n_completed, 1)
        self.assertEqual(r.found_best, 2)

    def test_maximize_ranking_ties_by_index(self):
        curves = [C("a", [0.1, 0.9], [1, 1]), C("b", [0.1, 0.9], [1, 1]), C("c", [0.1, 0.5], [1, 1])]
        r = simulate(curves, Log(stop={(0, 0)}), workers=3, goal="maximize")
        # true best = rank 1 = curve 0 (tie with curve 1 broken by index); it was stopped but
        # curve 1 has the same final value, so regret is 0.
        self.assertTrue(r.true_best_stopped)
        self.assertEqual(r.regret, 0.0)


if __name__ == "__main__":
    unittest.main()
