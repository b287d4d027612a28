#!/usr/bin/env python3
"""A small, real training program for trying Sweep without any ML framework.

It trains a one-hidden-layer MLP (or, with --hidden=0, logistic regression) on a
synthetic two-class "two moons" data set, in pure Python (standard library only,
Python 3.9+), and prints one JSON object per evaluation on stdout:

    {"step": 3, "epoch": 3, "train_loss": 0.52, "val_loss": 0.61, "val_accuracy": 0.71, "lr": 0.01}

Parameters arrive in any of the forms a sweep command can produce:

  --lr=0.01 --epochs=20            ${args}            (W&B style, --key=value)
  lr=0.01 epochs=20                ${args_no_hyphens}
  --standardize                    ${args_no_boolean_flags} (true -> bare flag)
  '{"lr": 0.01, "epochs": 20}'     ${args_json}       (a positional JSON object,
                                                       or --params_json=JSON)
  --params_file=/tmp/p.json        ${args_json_file}  (or a positional *.json path)
  SWEEP_PARAMS_JSON='{"lr": 0.01}' environment, merged under the command line

Precedence, lowest first: built-in defaults, SWEEP_PARAMS_JSON, JSON given on the
command line (--params_json / --params_file / positional), then explicit options.
Unknown parameters are reported on stderr and ignored. A nested parameter (for
example W&B's `optimizer: {parameters: {name: ..., momentum: ...}}`) arrives as JSON
text and is understood for `optimizer`.

SIGTERM or SIGINT stops training at the next mini-batch: the program writes a note to
stderr and exits with status 143 (SIGTERM) or 130 (SIGINT) without printing a partial
evaluation. Exit status 2 means bad arguments; 3 means training diverged.
"""

import argparse
import json
import math
import os
import random
import signal
import sys
import time

EXIT_BAD_ARGUMENTS = 2
EXIT_DIVERGED = 3

# Every parameter the program understands: canonical name -> (aliases, parser, default, help).
# Aliases let the example W&B sweep files (learning_rate, fc_layer_size, ...) run unchanged.


def parse_bool(text):
    """Accepts the spellings the sweep macros and W&B produce for booleans."""
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "t", "yes", "y", "on"):
        return True
    if lowered in ("0", "false", "f", "no", "n", "off"):
        return False
    raise argparse.ArgumentTypeError("expected a boolean (true/false), got %r" % (text,))


def parse_int(text):
    """An integer; accepts integral floats such as 32.0 or 3.2e1 (quantized draws)."""
    if isinstance(text, bool):
        raise argparse.ArgumentTypeError("expected an integer, got a boolean")
    if isinstance(text, int):
        return text
    try:
        return int(str(text))
    except ValueError:
        pass
    try:
        value = float(str(text))
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer, got %r" % (text,))
    if not math.isfinite(value) or value != round(value):
        raise argparse.ArgumentTypeError("expected an integer, got %r" % (text,))
    return int(round(value))


def parse_float(text):
    if isinstance(text, bool):
        raise argparse.ArgumentTypeError("expected a number, got a boolean")
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError("expected a number, got %r" % (text,))
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError("expected a finite number, got %r" % (text,))
    return value


def parse_optimizer(text):
    """An optimizer name, or a nested parameter dict {"name": ..., "momentum": ..., ...}."""
    if isinstance(text, dict):
        spec = dict(text)
    else:
        stripped = str(text).strip()
        if stripped.startswith("{"):
            try:
                spec = json.loads(stripped)
            except ValueError as error:
                raise argparse.ArgumentTypeError("optimizer: invalid JSON %r (%s)" % (text, error))
            if not isinstance(spec, dict):
                raise argparse.ArgumentTypeError("optimizer: expected a JSON object")
        else:
            spec = {"name": stripped}
    name = str(spec.get("name", spec.get("type", "adam"))).lower()
    if name not in OPTIMIZERS:
        raise argparse.ArgumentTypeError(
            "optimizer: expected one of %s, got %r" % (", ".join(OPTIMIZERS), name))
    spec["name"] = name
    return spec


OPTIMIZERS = ("sgd", "adam", "rmsprop")
ACTIVATIONS = ("tanh", "relu")
SCHEDULES = ("constant", "cosine", "step")

PARAMETERS = {
    "lr": (("learning_rate",), parse_float, 0.01, "learning rate (> 0)"),
    "epochs": (("num_epochs", "max_steps", "steps"), parse_int, 20,
               "passes over the training set; one evaluation per epoch"),
    "batch_size": ((), parse_int, 32, "mini-batch size"),
    "optimizer": ((), parse_optimizer, {"name": "adam"},
                  "sgd | adam | rmsprop, or JSON {\"name\": ..., \"momentum\": ...}"),
    "momentum": ((), parse_float, 0.9, "SGD momentum / RMSprop decay in [0, 1)"),
    "beta1": ((), parse_float, 0.9, "Adam first-moment decay"),
    "beta2": ((), parse_float, 0.999, "Adam second-moment decay"),
    "hidden": (("hidden_size", "fc_layer_size", "width"), parse_int, 16,
               "hidden units; 0 trains logistic regression"),
    "activation": ((), str, "tanh", "tanh | relu"),
    "dropout": ((), parse_float, 0.0, "dropout on the hidden layer, in [0, 0.9]"),
    "weight_decay": ((), parse_float, 0.0, "L2 penalty on weights"),
    "init_scale": ((), parse_float, 1.0, "multiplier on the initial weight scale"),
    "grad_clip": ((), parse_float, 5.0, "clip the gradient norm (0 = off)"),
    "lr_schedule": ((), str, "constant", "constant | cosine | step"),
    "standardize": ((), parse_bool, False, "standardize features with training statistics"),
    "label_smoothing": ((), parse_float, 0.0, "label smoothing in [0, 0.5)"),
    "seed": ((), parse_int, None, "seed for initialisation and shuffling (default SWEEP_SEED or 0)"),
    "data_seed": ((), parse_int, 0, "seed for the data set (fixed across a sweep by default)"),
    "n_samples": ((), parse_int, 600, "number of examples (80% train, 20% validation)"),
    "noise": ((), parse_float, 0.25, "noise on the two moons"),
    "step_time": ((), parse_float, 0.0, "extra seconds to sleep per epoch (to simulate slow jobs)"),
}

ALIASES = {}
for _name, (_aliases, _parser, _default, _help) in PARAMETERS.items():
    ALIASES[_name] = _name
    for _alias in _aliases:
        ALIASES[_alias] = _name


class Stop(Exception):
    """Raised inside the training loop once a termination signal arrived."""


STOP_SIGNAL = []


def on_signal(signum, _frame):
    STOP_SIGNAL.append(signum)


def fail(message, status=EXIT_BAD_ARGUMENTS):
    sys.stderr.write("train.py: error: %s\n" % message)
    sys.exit(status)


def warn(message):
    sys.stderr.write("train.py: warning: %s\n" % message)


# --------------------------------------------------------------------------- params


def build_parser():
    parser = argparse.ArgumentParser(
        description="Train a tiny MLP on two moons; print JSON metric lines.",
        allow_abbrev=False)
    for name, (aliases, parser_fn, _default, help_text) in PARAMETERS.items():
        flags = ["--" + name] + ["--" + alias for alias in aliases]
        kwargs = {"dest": name, "default": None, "help": help_text, "type": parser_fn}
        if parser_fn is parse_bool:
            # A bare flag means true (${args_no_boolean_flags}); --flag=false is also accepted.
            kwargs["nargs"] = "?"
            kwargs["const"] = True
        parser.add_argument(*flags, **kwargs)
    parser.add_argument("--params_json", "--params-json", dest="params_json", default=None,
                        help="all parameters as one JSON object (${args_json})")
    parser.add_argument("--params_file", "--params-file", dest="params_file", default=None,
                        help="path to a JSON file holding the parameters (${args_json_file})")
    return parser


def load_json_object(text, where):
    try:
        value = json.loads(text)
    except ValueError as error:
        fail("%s: invalid JSON (%s)" % (where, error))
    if not isinstance(value, dict):
        fail("%s: expected a JSON object, got %s" % (where, type(value).__name__))
    return value


def load_json_file(path, where):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return load_json_object(handle.read(), "%s %s" % (where, path))
    except OSError as error:
        fail("%s: cannot read %s (%s)" % (where, path, error.strerror))


def merge_raw(target, source, where):
    """Copies known keys (resolving aliases) from a raw dict; warns about the rest."""
    for key, value in source.items():
        name = ALIASES.get(key)
        if name is None:
            warn("ignoring unknown parameter %r from %s" % (key, where))
            continue
        target[name] = value


def coerce(name, value):
    parser_fn = PARAMETERS[name][1]
    if value is None:
        return None
    try:
        if parser_fn is str:
            return str(value)
        return parser_fn(value)
    except argparse.ArgumentTypeError as error:
        fail("--%s: %s" % (name, error))


def resolve_params(argv):
    parser = build_parser()
    known, unknown = parser.parse_known_args(argv)

    raw = {}
    env_json = os.environ.get("SWEEP_PARAMS_JSON")
    if env_json:
        merge_raw(raw, load_json_object(env_json, "SWEEP_PARAMS_JSON"), "SWEEP_PARAMS_JSON")

    # Positional forms: k=v (${args_no_hyphens}), a JSON object (${args_json}),
    # or a path to a JSON file (${args_json_file}).
    positional = {}
    for token in unknown:
        if token.startswith("{"):
            merge_raw(raw, load_json_object(token, "JSON argument"), "JSON argument")
        elif token.startswith("-"):
            warn("ignoring unknown option %r" % token)
        elif "=" in token:
            key, _, value = token.partition("=")
            positional[key] = value
        elif token.endswith(".json") and os.path.isfile(token):
            merge_raw(raw, load_json_file(token, "JSON file"), "JSON file")
        else:
            warn("ignoring unexpected argument %r" % token)
    if known.params_json is not None:
        merge_raw(raw, load_json_object(known.params_json, "--params_json"), "--params_json")
    if known.params_file is not None:
        merge_raw(raw, load_json_file(known.params_file, "--params_file"), "--params_file")
    merge_raw(raw, positional, "k=v arguments")

    params = {name: spec[2] for name, spec in PARAMETERS.items()}
    for name, value in raw.items():
        params[name] = coerce(name, value)
    for name in PARAMETERS:
        value = getattr(known, name)
        if value is not None:
            params[name] = value

    if params["seed"] is None:
        params["seed"] = parse_int(os.environ.get("SWEEP_SEED", "0"))
    validate(params)
    return params


def validate(params):
    optimizer = params["optimizer"]
    if not isinstance(optimizer, dict):
        optimizer = parse_optimizer(optimizer)
    # Settings given inside a nested optimizer dict win over the flat ones.
    for key in ("momentum", "beta1", "beta2", "weight_decay"):
        if key in optimizer:
            params[key] = coerce(key, optimizer[key])
    if "lr" in optimizer or "learning_rate" in optimizer:
        params["lr"] = coerce("lr", optimizer.get("lr", optimizer.get("learning_rate")))
    params["optimizer"] = optimizer["name"]

    checks = [
        (params["lr"] > 0, "lr must be > 0"),
        (params["epochs"] >= 1, "epochs must be >= 1"),
        (params["batch_size"] >= 1, "batch_size must be >= 1"),
        (params["hidden"] >= 0, "hidden must be >= 0"),
        (0 <= params["momentum"] < 1, "momentum must be in [0, 1)"),
        (0 <= params["beta1"] < 1 and 0 <= params["beta2"] < 1, "beta1/beta2 must be in [0, 1)"),
        (0 <= params["dropout"] <= 0.9, "dropout must be in [0, 0.9]"),
        (params["weight_decay"] >= 0, "weight_decay must be >= 0"),
        (params["grad_clip"] >= 0, "grad_clip must be >= 0"),
        (0 <= params["label_smoothing"] < 0.5, "label_smoothing must be in [0, 0.5)"),
        (params["n_samples"] >= 10, "n_samples must be >= 10"),
        (params["noise"] >= 0, "noise must be >= 0"),
        (params["step_time"] >= 0, "step_time must be >= 0"),
        (params["activation"] in ACTIVATIONS, "activation must be one of " + ", ".join(ACTIVATIONS)),
        (params["lr_schedule"] in SCHEDULES, "lr_schedule must be one of " + ", ".join(SCHEDULES)),
    ]
    for ok, message in checks:
        if not ok:
            fail(message)


# --------------------------------------------------------------------------- data


def two_moons(n, noise, seed):
    rng = random.Random(seed)
    points = []
    for i in range(n):
        label = i % 2
        angle = rng.uniform(0.0, math.pi)
        if label == 0:
            x, y = math.cos(angle), math.sin(angle)
        else:
            x, y = 1.0 - math.cos(angle), 0.5 - math.sin(angle)
        points.append(([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)], label))
    rng.shuffle(points)
    return points


def split(points, validation_fraction=0.2):
    n_val = max(1, int(len(points) * validation_fraction))
    return points[n_val:], points[:n_val]


def standardizer(train):
    dims = len(train[0][0])
    means = [sum(x[d] for x, _ in train) / len(train) for d in range(dims)]
    stds = []
    for d in range(dims):
        var = sum((x[d] - means[d]) ** 2 for x, _ in train) / len(train)
        stds.append(math.sqrt(var) or 1.0)
    return lambda x: [(x[d] - means[d]) / stds[d] for d in range(dims)]


# --------------------------------------------------------------------------- model


class MLP:
    """p(y=1|x) = sigmoid(v . act(W x + b) + c); with hidden == 0, sigmoid(v . x + c)."""

    def __init__(self, n_in, hidden, activation, init_scale, rng):
        self.n_in, self.hidden, self.activation = n_in, hidden, activation
        scale = abs(init_scale)
        self.W = [[rng.gauss(0.0, scale / math.sqrt(n_in)) for _ in range(n_in)]
                  for _ in range(hidden)]
        self.b = [0.0] * hidden
        if hidden > 0:
            self.v = [rng.gauss(0.0, scale / math.sqrt(hidden)) for _ in range(hidden)]
        else:
            self.v = [0.0] * n_in
        self.c = [0.0]  # a one-element list so the optimizer can update it in place

    def groups(self):
        """Parameter lists in optimizer order, and whether weight decay applies to each."""
        groups = self.W + [self.b, self.v, self.c]
        decay = [True] * len(self.W) + [False, True, False]
        return groups, decay

    def forward(self, x, keep=None):
        """Returns (logit, hidden pre-activations, hidden outputs after dropout)."""
        if self.hidden == 0:
            return sum(vi * xi for vi, xi in zip(self.v, x)) + self.c[0], None, x
        zs, hs = [], []
        relu = self.activation == "relu"
        for j in range(self.hidden):
            row = self.W[j]
            z = self.b[j]
            for i in range(self.n_in):
                z += row[i] * x[i]
            a = (z if z > 0.0 else 0.0) if relu else math.tanh(z)
            if keep is not None:
                a *= keep[j]
            zs.append(z)
            hs.append(a)
        logit = self.c[0]
        for j in range(self.hidden):
            logit += self.v[j] * hs[j]
        return logit, zs, hs

    def act_grad(self, z):
        if self.activation == "relu":
            return 1.0 if z > 0.0 else 0.0
        t = math.tanh(z)
        return 1.0 - t * t


def log_sigmoid(z):
    """log(sigmoid(z)), stable for large |z|."""
    if z >= 0:
        return -math.log1p(math.exp(-z))
    return z - math.log1p(math.exp(z))


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def bce(logit, target):
    return -(target * log_sigmoid(logit) + (1.0 - target) * log_sigmoid(-logit))


def evaluate(model, data):
    loss, correct = 0.0, 0
    for x, label in data:
        logit, _, _ = model.forward(x)
        loss += bce(logit, float(label))
        correct += int((logit > 0.0) == (label == 1))
    return loss / len(data), correct / len(data)


class Optimizer:
    """SGD with momentum, Adam or RMSprop over lists of floats, with L2 weight decay."""

    def __init__(self, params, groups):
        self.name = params["optimizer"]
        self.momentum = params["momentum"]
        self.beta1, self.beta2 = params["beta1"], params["beta2"]
        self.weight_decay = params["weight_decay"]
        self.t = 0
        self.m = [[0.0] * len(g) for g in groups]
        self.s = [[0.0] * len(g) for g in groups]

    def step(self, groups, grads, lr, decay_mask):
        self.t += 1
        for k, (group, grad) in enumerate(zip(groups, grads)):
            m, s = self.m[k], self.s[k]
            decay = self.weight_decay if decay_mask[k] else 0.0
            for i in range(len(group)):
                g = grad[i] + decay * group[i]
                if self.name == "sgd":
                    m[i] = self.momentum * m[i] + g
                    group[i] -= lr * m[i]
                elif self.name == "rmsprop":
                    s[i] = self.momentum * s[i] + (1.0 - self.momentum) * g * g
                    group[i] -= lr * g / (math.sqrt(s[i]) + 1e-8)
                else:
                    m[i] = self.beta1 * m[i] + (1.0 - self.beta1) * g
                    s[i] = self.beta2 * s[i] + (1.0 - self.beta2) * g * g
                    m_hat = m[i] / (1.0 - self.beta1 ** self.t)
                    s_hat = s[i] / (1.0 - self.beta2 ** self.t)
                    group[i] -= lr * m_hat / (math.sqrt(s_hat) + 1e-8)


def learning_rate(params, epoch, total):
    base = params["lr"]
    if params["lr_schedule"] == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * epoch / total))
    if params["lr_schedule"] == "step":
        return base * (0.1 ** (epoch * 3 // max(total, 1)))
    return base


def check_stop():
    if STOP_SIGNAL:
        raise Stop()


def train(params, emit):
    rng = random.Random(params["seed"])
    data = two_moons(params["n_samples"], params["noise"], params["data_seed"])
    train_set, val_set = split(data)
    if params["standardize"]:
        transform = standardizer(train_set)
        train_set = [(transform(x), y) for x, y in train_set]
        val_set = [(transform(x), y) for x, y in val_set]

    model = MLP(2, params["hidden"], params["activation"], params["init_scale"], rng)
    groups, decay_mask = model.groups()
    optimizer = Optimizer(params, groups)
    keep_p = 1.0 - params["dropout"]
    smoothing = params["label_smoothing"]
    epochs, batch = params["epochs"], params["batch_size"]
    order = list(range(len(train_set)))

    for epoch in range(epochs):
        lr = learning_rate(params, epoch, epochs)
        rng.shuffle(order)
        total_loss = 0.0
        for start in range(0, len(order), batch):
            check_stop()
            idx = order[start:start + batch]
            grads = [[0.0] * len(group) for group in groups]
            gW, gb, gv, gc = grads[:model.hidden], grads[-3], grads[-2], grads[-1]
            for n in idx:
                x, label = train_set[n]
                target = float(label) * (1.0 - 2.0 * smoothing) + smoothing
                keep = None
                if model.hidden and keep_p < 1.0:
                    # Inverted dropout: kept units are scaled so evaluation needs no change.
                    keep = [(1.0 / keep_p) if rng.random() < keep_p else 0.0
                            for _ in range(model.hidden)]
                logit, zs, hs = model.forward(x, keep)
                total_loss += bce(logit, target)
                d = sigmoid(logit) - target
                gc[0] += d
                for j in range(len(gv)):
                    gv[j] += d * hs[j]
                for j in range(model.hidden):
                    dz = d * model.v[j] * model.act_grad(zs[j])
                    if keep is not None:
                        dz *= keep[j]
                    if dz == 0.0:
                        continue
                    gb[j] += dz
                    row = gW[j]
                    for i in range(model.n_in):
                        row[i] += dz * x[i]
            scale = 1.0 / len(idx)
            if params["grad_clip"] > 0:
                norm = math.sqrt(sum(g * g for group in grads for g in group)) * scale
                if norm > params["grad_clip"]:
                    scale *= params["grad_clip"] / norm
            for group in grads:
                for i in range(len(group)):
                    group[i] *= scale
            optimizer.step(groups, grads, lr, decay_mask)

        val_loss, val_accuracy = evaluate(model, val_set)
        train_loss = total_loss / len(order)
        if not all(math.isfinite(v) for v in (train_loss, val_loss)):
            fail("training diverged at epoch %d (lr=%g); try a smaller lr" % (epoch + 1, lr),
                 EXIT_DIVERGED)
        emit({
            "step": epoch + 1,
            "epoch": epoch + 1,
            "train_loss": round(train_loss, 6),
            "val_loss": round(val_loss, 6),
            "val_accuracy": round(val_accuracy, 6),
            "lr": lr,
        })
        if params["step_time"] > 0:
            deadline = time.monotonic() + params["step_time"]
            while True:
                check_stop()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(remaining, 0.05))


def emit_line(record):
    sys.stdout.write(json.dumps(record, separators=(", ", ": ")) + "\n")
    sys.stdout.flush()


def main(argv):
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    params = resolve_params(argv)
    sys.stderr.write("train.py: params %s\n" % json.dumps(params, sort_keys=True))
    try:
        train(params, emit_line)
    except Stop:
        signum = STOP_SIGNAL[0]
        sys.stderr.write("train.py: stopping on signal %d\n" % signum)
        return 128 + signum
    except BrokenPipeError:
        # The reader went away: nobody to report to.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
