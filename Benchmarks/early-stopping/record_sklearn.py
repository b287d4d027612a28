#!/usr/bin/env python3
"""Collection 2: learning curves recorded by really training scikit-learn models.

For every (dataset, model) pool, draws seeded random configurations of SGDClassifier or
MLPClassifier, trains each with ``partial_fit`` one epoch at a time, and after every epoch
records the validation log-loss (value, minimize) and the measured wall time of that epoch's
``partial_fit`` call (cost, seconds; the evaluation is not included in the cost).

Pools are written to ``<out>/pool-<dataset>-<model>.csv`` (columns curve_id,step,value,cost,
val_error,eval_s; the first four are the replay format) with the configurations in
``<out>/pool-<dataset>-<model>.configs.json``. Use ``make_sklearn_sweeps.py`` to form sweeps.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_common import fmt  # noqa: E402

EPS = 1e-15
MAX_LOSS = -math.log(EPS)  # 34.538776394910684: log-loss of a non-finite / fully wrong prediction

DATASETS = ["digits", "breast_cancer", "wine", "synth"]
MODELS = ["sgd", "mlp"]


def load(name: str):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
    elif name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
    elif name == "wine":
        X, y = load_wine(return_X_y=True)
    elif name == "synth":
        X, y = make_classification(n_samples=6000, n_features=30, n_informative=12, n_redundant=6,
                                   n_classes=4, n_clusters_per_class=2, flip_y=0.05, class_sep=0.8,
                                   random_state=0)
    else:
        raise ValueError(name)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xva), ytr, yva


def log_uniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def draw_sgd(rng) -> dict:
    p = {
        "loss": str(rng.choice(["log_loss", "modified_huber"])),
        "penalty": str(rng.choice(["l2", "l1", "elasticnet"])),
        "alpha": log_uniform(rng, 1e-6, 1e-1),
        "learning_rate": str(rng.choice(["optimal", "constant", "invscaling", "adaptive"])),
        "average": bool(rng.random() < 0.2),
    }
    p["eta0"] = log_uniform(rng, 1e-4, 1.0)
    if p["learning_rate"] == "invscaling":
        p["power_t"] = float(rng.uniform(0.1, 0.6))
    if p["penalty"] == "elasticnet":
        p["l1_ratio"] = float(rng.uniform(0.05, 0.95))
    return p


def draw_mlp(rng) -> dict:
    depth = int(rng.integers(1, 3))
    widths = [int(rng.choice([16, 32, 64, 128])) for _ in range(depth)]
    solver = str(rng.choice(["adam", "sgd"]))
    p = {
        "hidden_layer_sizes": widths,
        "activation": str(rng.choice(["relu", "tanh", "logistic"])),
        "solver": solver,
        "alpha": log_uniform(rng, 1e-6, 1e-1),
        "batch_size": int(rng.choice([16, 32, 64, 128, 256])),
    }
    if solver == "adam":
        p["learning_rate_init"] = log_uniform(rng, 1e-4, 3e-2)
    else:
        p["learning_rate_init"] = log_uniform(rng, 1e-3, 3e-1)
        p["momentum"] = float(rng.uniform(0.5, 0.95))
        p["nesterovs_momentum"] = bool(rng.random() < 0.5)
        p["learning_rate"] = str(rng.choice(["constant", "invscaling"]))
    return p


def make_model(model: str, p: dict, seed: int):
    if model == "sgd":
        return SGDClassifier(random_state=seed, **p)
    q = dict(p)
    q["hidden_layer_sizes"] = tuple(q["hidden_layer_sizes"])
    return MLPClassifier(random_state=seed, **q)


def val_metrics(clf, Xva, yva, classes):
    try:
        with np.errstate(all="ignore"):
            P = clf.predict_proba(Xva)
    except Exception:
        return MAX_LOSS, 1.0
    if not np.all(np.isfinite(P)):
        return MAX_LOSS, 1.0
    idx = np.searchsorted(classes, yva)
    py = np.clip(P[np.arange(len(yva)), idx], EPS, 1.0)
    loss = float(-np.mean(np.log(py)))
    err = float(np.mean(classes[np.argmax(P, axis=1)] != yva))
    return loss, err


def record_pool(dataset: str, model: str, n_configs: int, epochs: int, seed: int, out: str) -> dict:
    Xtr, Xva, ytr, yva = load(dataset)
    classes = np.unique(ytr)
    rng = np.random.default_rng([seed, DATASETS.index(dataset), MODELS.index(model)])
    draw = draw_sgd if model == "sgd" else draw_mlp
    configs = []
    rows = []
    t0 = time.time()
    cpu0 = time.process_time()
    diverged = 0
    for k in range(n_configs):
        p = draw(rng)
        cid = f"{model}-{k:03d}"
        clf = make_model(model, p, seed=k)
        div = False
        for e in range(1, epochs + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ts = time.perf_counter()
                try:
                    with np.errstate(all="ignore"):
                        if e == 1:
                            clf.partial_fit(Xtr, ytr, classes=classes)
                        else:
                            clf.partial_fit(Xtr, ytr)
                    ok = True
                except Exception:
                    ok = False
                cost = time.perf_counter() - ts
                te = time.perf_counter()
                loss, err = val_metrics(clf, Xva, yva, classes) if ok else (MAX_LOSS, 1.0)
                ev = time.perf_counter() - te
            if loss >= MAX_LOSS:
                div = True
            rows.append((cid, e, loss, cost, err, ev))
        diverged += div
        configs.append({"curve_id": cid, "model": model, "params": p, "random_state": k,
                        "hit_max_loss": div})
    wall = time.time() - t0
    cpu = time.process_time() - cpu0
    base = os.path.join(out, f"pool-{dataset}-{model}")
    with open(base + ".csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["curve_id", "step", "value", "cost", "val_error", "eval_s"])
        for cid, e, loss, cost, err, ev in rows:
            w.writerow([cid, e, fmt(loss), fmt(cost), fmt(err), fmt(ev)])
    info = {"dataset": dataset, "model": model, "n_configs": n_configs, "epochs": epochs,
            "n_train": int(len(ytr)), "n_val": int(len(yva)), "n_features": int(Xtr.shape[1]),
            "n_classes": int(len(classes)), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "configs_hitting_max_loss": int(diverged)}
    with open(base + ".configs.json", "w") as f:
        json.dump({"info": info, "configs": configs}, f, indent=1)
    return info


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(here, ".data", "sklearn"))
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--configs", type=int, default=60, help="configurations per pool")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20240917)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    cpu0 = time.process_time()
    infos = []
    for d in args.datasets.split(","):
        for m in args.models.split(","):
            info = record_pool(d, m, args.configs, args.epochs, args.seed, args.out)
            infos.append(info)
            print(json.dumps(info), flush=True)
    summary = {"seed": args.seed, "configs_per_pool": args.configs, "epochs": args.epochs,
               "wall_s": round(time.time() - t0, 1), "cpu_s": round(time.process_time() - cpu0, 1),
               "pools": infos}
    with open(os.path.join(args.out, "recording.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"recorded {len(infos)} pools in {summary['wall_s']} s wall, {summary['cpu_s']} s CPU")


if __name__ == "__main__":
    main()
