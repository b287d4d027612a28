"""Shared helpers: import the client from this source tree and run child programs."""

import os
import subprocess
import sys
import textwrap

CLIENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)

TIMEOUT = 30


def child_env(**extra):
    """The test's environment without any SWEEP_* variable, importing the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWEEP_")}
    env["PYTHONPATH"] = CLIENT_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONUNBUFFERED", None)  # children flush for themselves, as the client must
    for key, value in extra.items():
        env[key] = str(value)
    return env


def run_python(code, args=(), env=None, pass_fds=(), timeout=TIMEOUT):
    """Runs `code` in a fresh interpreter (no shell) and waits for it."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)] + list(args),
        env=child_env() if env is None else env,
        pass_fds=pass_fds,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )


def start_python(code, args=(), env=None, pass_fds=()):
    """Starts `code` in a fresh interpreter (no shell) with pipes for stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)] + list(args),
        env=child_env() if env is None else env,
        pass_fds=pass_fds,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
