"""The smallest useful Sweep program: fit y = 3x with one weight by gradient descent.

By hand:     python3 train_minimal.py --lr=0.2 --steps=50   (metrics on stdout)
Under Sweep: parameters come from the environment, metrics go to the worker.
"""
import random

import sweep_client as sweep

p = sweep.params()
lr, steps = float(p.get("lr", 0.1)), int(p.get("steps", 100))
rng = random.Random(sweep.seed() or 0)
data = [(x, 3 * x + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(64))]
w = 0.0
for step in range(steps):
    if sweep.should_stop():  # SIGTERM from the worker: save a checkpoint here, then return
        print("stopped at step %d" % step, flush=True)
        break
    w -= lr * sum(2 * (w * x - y) * x for x, y in data) / len(data)
    loss = sum((w * x - y) ** 2 for x, y in data) / len(data)
    sweep.log(step, train_loss=loss, w=w)
