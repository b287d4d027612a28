"""Raw Python baseline: the same 100k configurations with itertools.product / random, each
serialised as canonical JSON (json.dumps, sorted keys, compact) and hashed with SHA-256, the
way Sweep computes a job's config_hash. Random draws are deduplicated on that JSON, as Sweep
does. Jobs are kept in memory (index, params, hash), as Sweep's expansion returns them.

usage: python baseline_python.py grid|random [--n N] [--repetitions R]
"""
import argparse
import hashlib
import itertools
import json
import math
import random

import spaces


def canonical(params):
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def expand_grid(names, axes, n):
    jobs = []
    for combination in itertools.islice(itertools.product(*axes), n):
        params = dict(zip(names, combination))
        jobs.append((len(jobs), params, hashlib.sha256(canonical(params).encode()).hexdigest()))
    return jobs


def sampler(spec):
    """A function rng -> value for one W&B parameter (the distributions the benchmark uses)."""
    if "values" in spec:
        values = list(spec["values"])
        return lambda rng: rng.choice(values)
    kind = spec.get("distribution")
    low, high = spec["min"], spec["max"]
    if kind == "log_uniform_values":
        a, b = math.log(low), math.log(high)
        return lambda rng: math.exp(rng.uniform(a, b))
    if kind == "q_log_uniform_values":
        a, b, q = math.log(low), math.log(high), spec.get("q", 1)
        return lambda rng: int(round(math.exp(rng.uniform(a, b)) / q) * q)
    if kind == "uniform":
        return lambda rng: rng.uniform(low, high)
    if kind == "int_uniform" or (kind is None and isinstance(low, int) and isinstance(high, int)):
        return lambda rng: rng.randint(low, high)
    raise SystemExit(f"unsupported distribution {kind!r}")


def expand_random(parameters, n, seed=0):
    rng = random.Random(seed)
    samplers = [(name, sampler(parameters[name])) for name in sorted(parameters)]
    seen, jobs = set(), []
    attempts = 0
    while len(jobs) < n and attempts < n * 10 + 1000:
        attempts += 1
        params = {name: draw(rng) for name, draw in samplers}
        text = canonical(params)
        if text in seen:
            continue
        seen.add(text)
        jobs.append((len(jobs), params, hashlib.sha256(text.encode()).hexdigest()))
    return jobs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["grid", "random"])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    config = spaces.load(args.scenario)
    if args.scenario == "grid":
        names, axes = spaces.grid_axes(config)
        run = lambda: expand_grid(names, axes, args.n)
    else:
        run = lambda: expand_random(config["parameters"], args.n)
    best, median, jobs = spaces.timed(run, args.repetitions)
    spaces.report("raw Python", args.scenario, args.n, len(jobs), best, median, args.repetitions,
                  "itertools/random + json.dumps(sort_keys) + sha256")


if __name__ == "__main__":
    main()
