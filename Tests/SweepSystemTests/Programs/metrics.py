#!/usr/bin/env python3
"""A user program for Sweep's system tests (standard library only).

Reads `--key=value` or `key=value` arguments, prints `steps` JSON metric lines
(`{"step": s, "loss": ..., "acc": ...}`), sleeping `sleep` seconds after each, prints one
plain log line, and writes what it received (argv after the program, SWEEP_PARAMS_JSON and
the job's identity) to $SWEEP_WORKDIR/received.json, so tests can compare it exactly.
Exits with `exit` (default 0).
"""
import json
import os
import sys
import time


def main():
    options = {}
    for argument in sys.argv[1:]:
        text = argument[2:] if argument.startswith("--") else argument
        if "=" in text:
            key, value = text.split("=", 1)
            options.setdefault(key, value)
    steps = int(options.get("steps", "3"))
    pause = float(options.get("sleep", "0"))
    workdir = os.environ.get("SWEEP_WORKDIR")
    if workdir:
        received = {
            "argv": sys.argv[1:],
            "params_json": os.environ.get("SWEEP_PARAMS_JSON"),
            "job": os.environ.get("SWEEP_JOB_ID"),
            "attempt": os.environ.get("SWEEP_ATTEMPT"),
            "cwd": os.getcwd(),
        }
        with open(os.path.join(workdir, "received.json"), "w", encoding="utf-8") as handle:
            json.dump(received, handle)
    print("metrics.py starting with %d steps" % steps, flush=True)
    for step in range(steps):
        print(json.dumps({"step": step, "loss": 1.0 / (step + 1), "acc": step / (steps + 1.0)}), flush=True)
        if pause > 0:
            time.sleep(pause)
    sys.exit(int(options.get("exit", "0")))


if __name__ == "__main__":
    main()
