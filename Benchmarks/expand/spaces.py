"""The two benchmark sweeps, read from the same YAML files that `sweep expand` reads.

grid-100k.yaml and random-100k.yaml hold the sweeps that `sweep bench expand` builds in
process (Sources/sweep/Commands/BenchCommand.swift), so every baseline here works on the
same search space as Sweep.
"""
import json
import os
import resource
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    """The sweep in `<name>-100k.yaml` as a W&B-style config dict."""
    with open(os.path.join(HERE, f"{name}-100k.yaml")) as handle:
        return yaml.safe_load(handle)


def grid_axes(config):
    """(names, value lists) of a grid sweep, names sorted as Sweep sorts them.

    A parameter with integer min/max and no distribution is W&B's int_uniform, which a grid
    enumerates from min to max inclusive.
    """
    names, axes = [], []
    for name in sorted(config["parameters"]):
        spec = config["parameters"][name]
        if "values" in spec:
            axes.append(list(spec["values"]))
        elif "value" in spec:
            axes.append([spec["value"]])
        else:
            axes.append(list(range(int(spec["min"]), int(spec["max"]) + 1)))
        names.append(name)
    return names, axes


def peak_rss_mb():
    """Peak resident set of this process, MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def timed(function, repetitions):
    """Runs `function` `repetitions` times; returns (best s, median s, last result)."""
    timings, result = [], None
    for _ in range(repetitions):
        result = None  # free the previous run's output first, as Sweep's benchmark does
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    timings.sort()
    return timings[0], timings[len(timings) // 2], result


def report(tool, scenario, n, produced, best, median, repetitions, note=""):
    """Prints one result as a JSON line (collected by report.py)."""
    print(json.dumps({
        "tool": tool, "scenario": scenario, "n": n, "produced": produced,
        "best_s": best, "median_s": median, "repetitions": repetitions,
        "per_config_us": median / max(produced, 1) * 1e6,
        "peak_rss_mb": peak_rss_mb(), "note": note,
    }), flush=True)
