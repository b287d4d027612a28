#!/usr/bin/env python3
"""A ladder rung for Sweep's system tests (standard library only).

Reads `--key=value` arguments: `width` (the rung's size), `steps` (its budget D), `noise`
(relative, default 0) and `sleep` (seconds, default 0). Its parameter count is
N = 1000 × width, reported once as the metric `params`. It prints a short learning curve
whose last `loss` is the known law

    L(N, D) = 1.5 + 40 / N^0.4 + 40 / D^0.4

times (1 + noise × u) with u in [-1, 1] drawn from SWEEP_SEED, and `val_loss` = 1.1 × loss.
"""
import json
import os
import random
import sys
import time


def law(parameters, tokens):
    return 1.5 + 40.0 / parameters ** 0.4 + 40.0 / tokens ** 0.4


def main():
    options = {}
    for argument in sys.argv[1:]:
        text = argument[2:] if argument.startswith("--") else argument
        if "=" in text:
            key, value = text.split("=", 1)
            options.setdefault(key, value)
    width = float(options["width"])
    steps = float(options["steps"])
    noise = float(options.get("noise", "0"))
    pause = float(options.get("sleep", "0"))
    parameters = 1000.0 * width
    generator = random.Random(int(os.environ.get("SWEEP_SEED", "0")) * 7919 + int(width))
    final = law(parameters, steps) * (1 + noise * generator.uniform(-1, 1))
    print(json.dumps({"step": 0, "params": parameters}), flush=True)
    checkpoints = 3
    for index in range(checkpoints):
        step = int(steps * (index + 1) / checkpoints)
        loss = final + (checkpoints - 1 - index) * 0.5
        print(json.dumps({"step": step, "loss": loss, "val_loss": 1.1 * loss}), flush=True)
        if pause > 0:
            time.sleep(pause / checkpoints)


if __name__ == "__main__":
    main()
