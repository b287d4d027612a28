#!/usr/bin/env python3
"""PyTorch baseline for `sweep bench kernels`: the same MLPs, optimizer, batch sizes and
epoch definition, timed the same way (median seconds per epoch after warmup epochs).

  small: 64-WIDTH-10 (relu) on the digits of data/digits/digits.txt (first 1,437 images), batch 64
  large: 784-1024-1024-10 (relu) on random inputs and labels (timing does not depend on
         the values), batch 256

Each epoch shuffles the training set (torch.randperm) and runs full batches (drop_last),
as mlp-train does: index the batch, forward, cross-entropy, backward, Adam(lr=1e-3) step.
Prints one JSON object per model. Needs torch (pip install torch).
"""
import argparse
import json
import pathlib
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def digits():
    rows = (ROOT / "data" / "digits" / "digits.txt").read_text().split()
    alphabet = "0123456789abcdefg"
    inputs = [[alphabet.index(c) / 16.0 for c in row[1:]] for row in rows[:1437]]
    labels = [int(row[0]) for row in rows[:1437]]
    return torch.tensor(inputs, dtype=torch.float32), torch.tensor(labels, dtype=torch.long)


def model_and_data(name, args):
    generator = torch.Generator().manual_seed(0)
    if name == "small":
        x, y = digits()
        sizes, batch = [64, args.small_width, 10], 64
    else:
        x = torch.randn(args.large_samples, 784, generator=generator)
        y = torch.randint(0, 10, (args.large_samples,), generator=generator)
        sizes, batch = [784, 1024, 1024, 10], 256
    layers = []
    for index in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[index], sizes[index + 1]))
        if index < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers), x, y, batch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="small,large")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--warmup-epochs", type=int, default=1)
    parser.add_argument("--small-width", type=int, default=128)
    parser.add_argument("--large-samples", type=int, default=16384)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in args.models.split(","):
        model, x, y, batch = model_and_data(name, args)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_function = torch.nn.CrossEntropyLoss()
        steps = x.shape[0] // batch
        times, last_loss = [], 0.0
        for epoch in range(args.warmup_epochs + args.epochs):
            start = time.perf_counter()
            order = torch.randperm(x.shape[0])
            loss_sum = 0.0
            for step in range(steps):
                index = order[step * batch:(step + 1) * batch]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_function(model(x[index]), y[index])
                loss.backward()
                optimizer.step()
                loss_sum += loss.item()
            elapsed = time.perf_counter() - start
            last_loss = loss_sum / steps
            if epoch >= args.warmup_epochs:
                times.append(elapsed)
        times.sort()
        print(json.dumps({
            "framework": "pytorch", "version": torch.__version__, "model": name, "threads": args.threads,
            "steps_per_epoch": steps, "seconds_per_epoch": times[len(times) // 2], "best_seconds_per_epoch": times[0],
            "last_train_loss": last_loss, "params": sum(p.numel() for p in model.parameters()),
        }))


if __name__ == "__main__":
    main()
