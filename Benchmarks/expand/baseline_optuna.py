"""Optuna asking N trials over the random sweep's search space (define-and-run with
study.ask() and trial.suggest_*; in-memory storage; no tell, so no objective is run).

Mapping of the W&B distributions: log_uniform_values -> suggest_float(log=True); uniform ->
suggest_float; q_log_uniform_values (q=8) -> suggest_float(log=True) rounded to a multiple
of 8 (Optuna refuses step together with log); int_uniform -> suggest_int; values ->
suggest_categorical. Optuna hashes nothing; nothing is added.

usage: python baseline_optuna.py random|sobol [--n N] [--repetitions R]
"""
import argparse
import math
import warnings

warnings.filterwarnings("ignore")

import optuna  # noqa: E402

import spaces  # noqa: E402


def make_asker(parameters):
    steps = []
    for name in sorted(parameters):
        spec = parameters[name]
        kind = spec.get("distribution")
        if "values" in spec:
            steps.append(lambda t, n=name, v=list(spec["values"]): t.suggest_categorical(n, v))
        elif kind == "log_uniform_values":
            steps.append(lambda t, n=name, s=spec: t.suggest_float(n, s["min"], s["max"], log=True))
        elif kind == "q_log_uniform_values":
            steps.append(lambda t, n=name, s=spec: int(round(t.suggest_float(n, s["min"], s["max"], log=True) / s["q"]) * s["q"]))
        elif kind == "uniform":
            steps.append(lambda t, n=name, s=spec: t.suggest_float(n, s["min"], s["max"]))
        elif kind == "int_uniform":
            steps.append(lambda t, n=name, s=spec: t.suggest_int(n, s["min"], s["max"]))
        else:
            raise SystemExit(f"unsupported distribution {kind!r}")
    return steps


def ask_many(make_sampler, steps, n):
    study = optuna.create_study(sampler=make_sampler())
    configurations = []
    for _ in range(n):
        trial = study.ask()
        configurations.append({f"p{i}": step(trial) for i, step in enumerate(steps)})
    return configurations


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sampler", choices=["random", "sobol"])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=1)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    steps = make_asker(spaces.load("random")["parameters"])
    if args.sampler == "random":
        make_sampler = lambda: optuna.samplers.RandomSampler(seed=0)
    else:
        make_sampler = lambda: optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=0)
    ask_many(make_sampler, steps, 10)  # warm-up
    best, median, configurations = spaces.timed(lambda: ask_many(make_sampler, steps, args.n), args.repetitions)
    spaces.report(f"Optuna {optuna.__version__} {'RandomSampler' if args.sampler == 'random' else 'QMCSampler(sobol)'}",
                  args.sampler, args.n, len(configurations), best, median, args.repetitions,
                  "study.ask() + suggest_*, InMemoryStorage")


if __name__ == "__main__":
    main()
