#!/usr/bin/env python3
"""Optuna with RDB storage on PostgreSQL, trivial trials from several processes: the peer
figure next to `sweep bench queue`'s no-op jobs.

Each process loads the same study and runs study.optimize on a trivial objective (one
suggested float, squared) until --seconds have passed. RandomSampler, so that the figure is
the storage's and the framework's cost, not TPE's (Optuna's default sampler, which costs
more per trial as trials accumulate). Prints one JSON line:
{"trials": N, "seconds": S, "trials_per_second": R, "processes": P, "optuna": version}.

usage: optuna_rdb.py --url postgresql+psycopg2://user:pw@host:port/db [--processes 4] [--seconds 20]
needs: pip install optuna psycopg2-binary
"""
import argparse
import json
import multiprocessing
import time

import optuna


def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    return x * x


def work(url, study_name, seconds, start_at, counts, index):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(url)
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=optuna.samplers.RandomSampler())
    while time.time() < start_at:
        time.sleep(0.001)
    done = 0
    deadline = start_at + seconds
    while time.time() < deadline:
        study.optimize(objective, n_trials=1)
        done += 1
    counts[index] = done


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(args.url)
    name = f"sweep-bench-{int(time.time() * 1000)}"
    optuna.create_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler())
    counts = multiprocessing.Array("l", args.processes)
    start_at = time.time() + 2.0  # every process connected and ready before the clock starts
    processes = [multiprocessing.Process(target=work, args=(args.url, name, args.seconds, start_at, counts, i))
                 for i in range(args.processes)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    elapsed = time.time() - start_at
    study = optuna.load_study(study_name=name, storage=storage)
    complete = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    print(json.dumps({"trials": complete, "counted": sum(counts), "seconds": elapsed,
                      "trials_per_second": complete / elapsed, "processes": args.processes,
                      "optuna": optuna.__version__}))


if __name__ == "__main__":
    main()
