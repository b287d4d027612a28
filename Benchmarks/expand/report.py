"""Prints the table of one run of Benchmarks/expand/run.sh from its raw outputs.

usage: python report.py RESULTS_DIR
"""
import glob
import json
import os
import re
import statistics
import sys

TARGET_S, TARGET_MB = 1.0, 200.0


def time_v(path):
    """(wall s, max RSS MB, user+sys s) from a `/usr/bin/time -v` output file."""
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    cpu = float(re.search(r"User time \(seconds\): (\S+)", text).group(1)) + float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
    return seconds, rss_kb * 1024 / 1e6, cpu


def main():
    results = sys.argv[1]
    rows = []  # dicts: label, scenario, n, best, median, per_config_us, rss, note, sweep(bool)

    bench = os.path.join(results, "sweep-bench.txt")
    if os.path.exists(bench):
        text = open(bench).read()
        peak = re.search(r"peak resident memory: ([\d.]+) MB", text)
        for m in re.finditer(r"(\w+): (\d+) jobs, best ([\d.]+) s, median ([\d.]+) s", text):
            name, n, best, median = m.group(1), int(m.group(2)), float(m.group(3)), float(m.group(4))
            rows.append(dict(label="Sweep, in process (sweep bench expand)", scenario=name, n=n, best=best, median=median,
                             per_config_us=median / n * 1e6, rss=float(peak.group(1)) if peak else None,
                             note="best/median of 5; RSS = whole process (grid and random)", sweep=True, kind="in-process"))

    for name in ("grid", "random", "sobol"):
        runs = [time_v(p) for p in sorted(glob.glob(os.path.join(results, f"cli-{name}-*.time")))]
        runs = [r for r in runs if r[0] > 0]
        if not runs:
            continue
        walls = sorted(r[0] for r in runs)
        median = walls[len(walls) // 2]
        rows.append(dict(label="Sweep CLI end to end (expand --format json > /dev/null)", scenario=name, n=100_000,
                         best=walls[0], median=median, per_config_us=median / 100_000 * 1e6,
                         rss=max(r[1] for r in runs), note=f"/usr/bin/time -v, {len(runs)} runs; CPU {statistics.median(r[2] for r in runs):.2f} s",
                         sweep=True, kind="cli"))

    path = os.path.join(results, "baselines.jsonl")
    baselines = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                b = json.loads(line)
                baselines.append(dict(label=b["tool"], scenario=b["scenario"], n=b["n"], best=b["best_s"], median=b["median_s"],
                                      per_config_us=b["per_config_us"], rss=b["peak_rss_mb"],
                                      note=f"{b['note']}; {'best/median of ' + str(b['repetitions']) if b['repetitions'] > 1 else '1 run'}",
                                      sweep=False, kind="baseline"))
    rows += baselines

    machine = os.path.join(results, "machine.txt")
    if os.path.exists(machine):
        print("## Machine\n")
        for line in open(machine):
            print(f"- {line.rstrip()}")
        print()

    print("## Figures (all from this run)\n")
    print("| what | scenario | N | best s | median s | µs per config | peak RSS MB | notes |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        rss = f"{r['rss']:.1f}" if r["rss"] is not None else "?"
        print(f"| {r['label']} | {r['scenario']} | {r['n']:,} | {r['best']:.3f} | {r['median']:.3f} | {r['per_config_us']:.2f} | {rss} | {r['note']} |")

    print("\n## Sweep against the baselines (median time per configuration, Sweep ÷ baseline)\n")
    partners = {"grid": ("grid", "grid-incremental"), "random": ("random",), "sobol": ("sobol",)}
    for r in rows:
        if not r["sweep"]:
            continue
        parts = []
        for b in baselines:
            if b["scenario"] not in partners.get(r["scenario"], ()):
                continue
            ratio = r["per_config_us"] / b["per_config_us"]
            where = "" if b["n"] == r["n"] else f" (baseline at N={b['n']:,}, per config)"
            tag = " incremental" if b["scenario"] == "grid-incremental" else ""
            parts.append(f"{ratio:.3g}× {b['label']}{tag}{where}")
        kind = "in process" if r["kind"] == "in-process" else "CLI"
        print(f"- Sweep {r['scenario']} 100k, {kind}: {r['median']:.3f} s = " + ("; ".join(parts) if parts else "no baseline measured"))

    print(f"\n## Targets: under {TARGET_S:g} s and under {TARGET_MB:g} MB peak for 100k grid and 100k random (release)\n")
    for r in rows:
        if not r["sweep"] or r["scenario"] not in ("grid", "random"):
            continue
        kind = "in process" if r["kind"] == "in-process" else "CLI end to end"
        t_ok = r["median"] < TARGET_S
        m_ok = r["rss"] is not None and r["rss"] < TARGET_MB
        print(f"- {r['scenario']} {kind}: time {r['median']:.3f} s {'MET' if t_ok else 'MISSED'}; "
              f"peak {r['rss']:.1f} MB {'MET' if m_ok else 'MISSED'}")

    if os.path.exists(machine):
        busy = [int(m) for m in re.findall(r"CPU busy \w+ measuring: (\d+)%", open(machine).read())]
        if any(b > 10 for b in busy):
            print(f"\nWARNING: the CPUs were {max(busy)}% busy with other work around this run; timings are inflated. Rerun on an idle machine.")


if __name__ == "__main__":
    main()
