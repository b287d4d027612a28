#!/usr/bin/env python3
"""A tiny command job for the chaos drill (infra/chaos/chaos.sh).

Prints exactly --steps JSON metric lines {"step": s, "loss": f(s)} on stdout, sleeping
--step_seconds between them, then exits 0. f(s) = index + 1 / (s + 1), so the audit can
check every stored value against the known function (index is the job's grid parameter).
Standard library only.
"""

import json
import sys
import time


def main(argv):
    options = {"index": 0.0, "steps": 5.0, "step_seconds": 0.05}
    for argument in argv:
        if not argument.startswith("--") or "=" not in argument:
            print(f"job.py: ignoring argument {argument!r}", file=sys.stderr)
            continue
        key, value = argument[2:].split("=", 1)
        options[key] = float(value)
    index, steps, pause = options["index"], int(options["steps"]), options["step_seconds"]
    for step in range(steps):
        time.sleep(pause)
        print(json.dumps({"step": step, "loss": index + 1.0 / (step + 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
