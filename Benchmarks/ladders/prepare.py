#!/usr/bin/env python3
"""Turns /work/shared/data into ladder CSVs for `sweep ladder fit` and scores its JSON output.

Standard library only. Every case is one (dataset, target): the fit rows (chosen by a
compute budget, never by looking at the target's results) go to .data/CASE.csv and the
target's true values to .data/CASE.truth.json.

  prepare.py prepare DATA_DIR OUT_DIR [--budget 0.05]
  prepare.py score OUT_DIR          (reads OUT_DIR/*.fit.json, prints markdown tables)
"""
import csv, glob, json, math, os, sys

TOKENS_PER_PYTHIA_STEP = 2_097_152  # 1024 sequences × 2048 tokens
PYTHIA_PARAMS = {  # total parameters, from the Pythia README
    "70m": 70_426_624, "160m": 162_322_944, "410m": 405_334_016, "1b": 1_011_781_632,
    "1.4b": 1_414_647_808, "2.8b": 2_775_208_960, "6.9b": 6_857_302_016, "12b": 11_846_072_320,
}
PYTHIA_PARAMS["1b-bf16"] = PYTHIA_PARAMS["1b"]  # pythia-v1 evaluates the 1B model only in its bf16 retraining
PYTHIA_TASKS = ["lambada_openai", "piqa", "arc_easy", "arc_challenge", "sciq", "winogrande", "logiqa", "wsc"]
PYTHIA_MIN_STEP = 3000  # before ~6B tokens the LR warm-up and early plateau dominate
MLF_TASKS = ["arc_easy", "arc_challenge", "hellaswag", "lambada_openai", "piqa", "winogrande", "copa", "boolq",
             "openbook_qa", "commonsense_qa", "mmlu", "bigbench_qa_wikidata", "jeopardy", "squad", "winograd", "siqa"]


def compute(n, d):
    return 6.0 * n * d


def select_by_budget(points, budget):
    """Cheapest checkpoints first; a run costs 6·N·D at the largest D taken from it."""
    spent, run_cost, chosen = 0.0, {}, []
    for p in sorted(points, key=lambda p: compute(p["params"], p["tokens"])):
        cost = compute(p["params"], p["tokens"])
        extra = max(0.0, cost - run_cost.get(p["run"], 0.0))
        if spent + extra <= budget:
            spent += extra
            run_cost[p["run"]] = max(run_cost.get(p["run"], 0.0), cost)
            chosen.append(p)
    return chosen, spent


def write_case(out, name, rows, truth, fields):
    with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(out, name + ".truth.json"), "w") as f:
        json.dump(truth, f, indent=1)


def mlfoundations(data, out, budget):
    root = os.path.join(data, "mlfoundations-scaling", "exp_data")
    runs = []
    for path in sorted(glob.glob(os.path.join(root, "models", "*.json"))):
        m = json.load(open(path))
        h = m["hyperparameters"]
        c4 = [r for r in m["results"] if any("c4_val" in v for v in r["val_data"])][0]["loss"]
        evals = json.load(open(os.path.join(root, "evals", "evaluation_%s_heavy.json" % m["name"])))["eval_metrics"]["icl"]
        runs.append({"run": m["name"], "dataset": m["dataset_name"], "params": h["params"], "tokens": h["tokens"],
                     "multiplier": h["chinchilla_multiplier"], "loss": c4, "acc": evals})
    cases = []
    for dataset in sorted({r["dataset"] for r in runs}):
        mine = [r for r in runs if r["dataset"] == dataset]
        for target in [r for r in mine if r["params"] > 1e9]:
            limit = budget * compute(target["params"], target["tokens"])
            # "all": every smaller run may be chosen; "m1": only runs of at least 20 tokens per
            # parameter (Chinchilla multiplier >= 1), since shorter ones are mostly LR warm-up.
            for label, least in [("all", 0.0), ("m1", 1.0)]:
                candidates = [r for r in mine if r["params"] < 1e9 and r["multiplier"] >= least]
                chosen, spent = select_by_budget(candidates, limit)
                rows = [dict(run=r["run"], params=r["params"], tokens=r["tokens"], task=t, loss=r["loss"], acc=r["acc"][t])
                        for r in chosen for t in MLF_TASKS]
                name = "mlf-%s-%s-%s" % (dataset, target["run"].split("-", 1)[1], label)
                truth = {"params": target["params"], "tokens": target["tokens"], "loss": target["loss"],
                         "acc": {t: target["acc"][t] for t in MLF_TASKS}, "ladder_compute": spent,
                         "budget": budget, "ladder_runs": len(chosen)}
                write_case(out, name, rows, truth, ["run", "params", "tokens", "task", "loss", "acc"])
                cases.append(name)
    return cases


def pythia(data, out, budget):
    rows = list(csv.DictReader(open(os.path.join(data, "pythia", "pythia_core_tasks_long.csv"))))
    rows = [r for r in rows if r["suite"] == "pythia-v1" and r["shots"] == "zero-shot" and not r["model"].endswith("deduped")]
    table = {}
    for r in rows:
        size = r["model"].replace("pythia-", "")
        table[(size, int(r["step"]), r["task"], r["metric"])] = float(r["value"])
    points = []
    for (size, step, task, metric), value in table.items():
        if task != "lambada_openai" or metric != "ppl" or step < PYTHIA_MIN_STEP or size not in PYTHIA_PARAMS:
            continue
        points.append({"run": "pythia-" + size, "size": size, "params": PYTHIA_PARAMS[size],
                       "step": step, "tokens": step * TOKENS_PER_PYTHIA_STEP, "loss": math.log(value)})
    small = [p for p in points if p["params"] <= PYTHIA_PARAMS["1.4b"]]
    final = max(p["step"] for p in points)
    cases = []
    for target_size in ["6.9b", "12b"]:
        t_tokens = final * TOKENS_PER_PYTHIA_STEP
        t_params = PYTHIA_PARAMS[target_size]
        truth = {"params": t_params, "tokens": t_tokens, "loss": math.log(table[(target_size, final, "lambada_openai", "ppl")]),
                 "acc": {t: table[(target_size, final, t, "acc")] for t in PYTHIA_TASKS}}
        for label, chosen, spent in [
            ("all", small, sum(compute(PYTHIA_PARAMS[s], t_tokens) for s in ["70m", "160m", "410m", "1b", "1.4b"])),
            ("budget", *select_by_budget(small, budget * compute(t_params, t_tokens))),
        ]:
            out_rows = [dict(run=p["run"], params=p["params"], tokens=p["tokens"], task=t, loss=p["loss"],
                             acc=table[(p["size"], p["step"], t, "acc")]) for p in chosen for t in PYTHIA_TASKS
                        if (p["size"], p["step"], t, "acc") in table]
            name = "pythia-%s-%s" % (target_size, label)
            write_case(out, name, out_rows, dict(truth, ladder_compute=spent, budget=None if label == "all" else budget,
                                                 ladder_runs=len({p["run"] for p in chosen})),
                       ["run", "params", "tokens", "task", "loss", "acc"])
            cases.append(name)
    return cases


def gemstone(data, out, budget):
    path = os.path.join(data, "gemstone", "wandb_dfs", "wandb_df_for_fitting_hot.jsonl")
    points = [json.loads(line) for line in open(path)]
    points = [{"run": p["run_name"], "params": p["params_active_precise"], "tokens": p["tokens"], "loss": p["final_loss"],
               "width": p["width"], "depth": p["depth"]} for p in points]
    cases = []
    targets = [p for p in points if p["params"] > 1.5e9]
    for run in sorted({p["run"] for p in targets}):
        final = max((p for p in targets if p["run"] == run), key=lambda p: p["tokens"])
        truth = {"params": final["params"], "tokens": final["tokens"], "loss": final["loss"], "acc": {},
                 "shape": "%dx%d" % (final["width"], final["depth"])}
        small = [p for p in points if p["params"] < 2e8]
        ladders = [("small", small, sum(compute(max(q["params"] for q in small if q["run"] == r), max(q["tokens"] for q in small if q["run"] == r))
                                        for r in {q["run"] for q in small})),
                   ("budget", *select_by_budget([p for p in points if p["params"] < 1.5e9], budget * compute(final["params"], final["tokens"])))]
        for label, chosen, spent in ladders:
            name = "gemstone-%s-%s" % (truth["shape"], label)
            write_case(out, name, chosen, dict(truth, ladder_compute=spent, ladder_runs=len({p["run"] for p in chosen}),
                                              budget=None if label == "small" else budget),
                       ["run", "params", "tokens", "loss", "width", "depth"])
            cases.append(name)
    return cases


def summary(out):
    """The summary table: per case, the form fitted, the loss and its error, and how many
    tasks land within 2 points."""
    print("| case | ladder compute / target | form | loss pred | loss true | rel. loss err | acc within 2 pts | median |acc error| (pts) |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(out, "*.fit.json"))):
        name = os.path.basename(path)[: -len(".fit.json")]
        truth = json.load(open(os.path.join(out, name + ".truth.json")))
        fit = json.load(open(path))
        first = fit["tasks"][0]["fit"]
        loss = first["predictions"][0]["loss"]
        errors = [abs(100 * (e["fit"]["predictions"][0]["accuracy"]["value"] - truth["acc"][e["task"]]))
                  for e in fit["tasks"] if e["fit"]["predictions"][0].get("accuracy") and e.get("task") in truth.get("acc", {})]
        print("| %s | %.2f%% | %s | %.3f [%.3f, %.3f] | %.3f | %+.2f%% | %s | %s |" % (
            name, 100 * truth["ladder_compute"] / compute(truth["params"], truth["tokens"]), first["form"],
            loss["value"], loss.get("lower", float("nan")), loss.get("upper", float("nan")), truth["loss"],
            100 * (loss["value"] / truth["loss"] - 1),
            "%d of %d" % (sum(e <= 2 for e in errors), len(errors)) if errors else "—",
            "%.1f" % sorted(errors)[len(errors) // 2] if errors else "—"))


def score(out):
    """Markdown rows: the summary, then per case, loss error and per-task accuracy error."""
    summary(out)
    for path in sorted(glob.glob(os.path.join(out, "*.fit.json"))):
        name = os.path.basename(path)[: -len(".fit.json")]
        truth = json.load(open(os.path.join(out, name + ".truth.json")))
        fit = json.load(open(path))
        target_compute = compute(truth["params"], truth["tokens"])
        print("\n### %s\n" % name)
        print("N = %.3gB, D = %.3gB tokens; ladder: %d runs, %.2f%% of the target's compute (%s)\n" % (
            truth["params"] / 1e9, truth["tokens"] / 1e9, truth["ladder_runs"], 100 * truth["ladder_compute"] / target_compute,
            "budget %.0f%%" % (100 * truth["budget"]) if truth.get("budget") else "no budget"))
        print("| task | loss pred [90%] | loss true | rel. loss err | acc pred [90%] | acc true | abs. acc err (points) |")
        print("|---|---|---|---|---|---|---|")
        errors = []
        for entry in fit["tasks"]:
            p = entry["fit"]["predictions"][0]
            loss = p["loss"]
            rel = loss["value"] / truth["loss"] - 1
            task = entry.get("task") or "(loss)"
            cells = ["%.3f [%.3f, %.3f]" % (loss["value"], loss.get("lower", float("nan")), loss.get("upper", float("nan"))),
                     "%.3f" % truth["loss"], "%+.2f%%" % (100 * rel)]
            if p.get("accuracy") and task in truth["acc"]:
                a = p["accuracy"]
                err = 100 * (a["value"] - truth["acc"][task])
                errors.append(abs(err))
                cells += ["%.3f [%.3f, %.3f]" % (a["value"], a.get("lower", float("nan")), a.get("upper", float("nan"))),
                          "%.3f" % truth["acc"][task], "%+.1f" % err]
            else:
                cells += ["", "", ""]
            print("| %s | %s |" % (task, " | ".join(cells)))
        if errors:
            print("\nwithin 2 points: %d of %d tasks; median |error| %.1f points" % (
                sum(e <= 2 for e in errors), len(errors), sorted(errors)[len(errors) // 2]))


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "prepare":
        budget = float(sys.argv[sys.argv.index("--budget") + 1]) if "--budget" in sys.argv else 0.05
        data, out = sys.argv[2], sys.argv[3]
        os.makedirs(out, exist_ok=True)
        for case in mlfoundations(data, out, budget) + pythia(data, out, budget) + gemstone(data, out, budget):
            print(case)
    elif len(sys.argv) == 3 and sys.argv[1] == "score":
        score(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
