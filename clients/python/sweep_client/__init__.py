"""The user-program side of Sweep: parameters in, metrics out, stop when asked.

A Sweep worker runs a command job as a child process (never through a shell) and
hands it its identity and parameters in the environment:

    SWEEP_JOB_ID, SWEEP_ATTEMPT, SWEEP_SEED   integers
    SWEEP_PARAMS_JSON    the job's parameters as a JSON object (nested = nested objects)
    SWEEP_PARAMS_FILE    path of a file holding the same JSON (may be absent)
    SWEEP_METRICS_FD     an inherited, open file descriptor for metric lines (may be absent)
    SWEEP_WORKDIR        the job's working directory

A program reports metrics as one JSON object per line, ``{"step": 3, "val_loss": 0.41}``,
on that descriptor (or on stdout when there is none), and is stopped with SIGTERM,
followed by SIGKILL after a grace period.

    import sweep_client as sweep

    p = sweep.params()
    for step in range(p.get("steps", 100)):
        if sweep.should_stop():
            break                      # save a checkpoint, then return normally
        loss = train_one_step(p["lr"])
        sweep.log(step, train_loss=loss)

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import copy
import json
import math
import numbers
import os
import re
import signal
import sys
import threading
from typing import Any, Dict, Iterable, Optional

__all__ = [
    "attempt",
    "install_signal_handler",
    "job_id",
    "log",
    "params",
    "parse_args",
    "seed",
    "should_stop",
    "stop_requested",
    "under_sweep",
    "workdir",
]

__version__ = "0.1.0"

ENV_JOB_ID = "SWEEP_JOB_ID"
ENV_ATTEMPT = "SWEEP_ATTEMPT"
ENV_SEED = "SWEEP_SEED"
ENV_PARAMS_JSON = "SWEEP_PARAMS_JSON"
ENV_PARAMS_FILE = "SWEEP_PARAMS_FILE"
ENV_METRICS_FD = "SWEEP_METRICS_FD"
ENV_WORKDIR = "SWEEP_WORKDIR"


# --------------------------------------------------------------------------- identity


def _env_int(name: str) -> Optional[int]:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("%s=%r is not an integer" % (name, raw)) from None


def under_sweep() -> bool:
    """True when this process was started by a Sweep worker (SWEEP_JOB_ID is set)."""
    return bool(os.environ.get(ENV_JOB_ID, "").strip())


def job_id() -> Optional[int]:
    """The job's id (SWEEP_JOB_ID), or None when not running under Sweep."""
    return _env_int(ENV_JOB_ID)


def attempt() -> Optional[int]:
    """Which attempt at the job this is (SWEEP_ATTEMPT), or None when not under Sweep."""
    return _env_int(ENV_ATTEMPT)


def seed() -> Optional[int]:
    """The job's replicate seed (SWEEP_SEED), or None when not under Sweep."""
    return _env_int(ENV_SEED)


def workdir() -> Optional[str]:
    """The job's working directory (SWEEP_WORKDIR), or None when not under Sweep."""
    return os.environ.get(ENV_WORKDIR) or None


# --------------------------------------------------------------------------- parameters

_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BARE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_WORDS = {"True": True, "true": True, "False": False, "false": False, "None": None, "null": None}

_params_lock = threading.Lock()
_params_cache: Optional[Dict[str, Any]] = None


def _convert(text: str) -> Any:
    """One command-line value: ints, floats, True/False/None (and JSON's spellings),
    JSON lists, objects and quoted strings; anything else stays a string."""
    if _INT_RE.fullmatch(text):
        return int(text)
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    if text in _WORDS:
        return _WORDS[text]
    if text[:1] in ("[", "{", '"'):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def parse_args(args: Iterable[str]) -> Dict[str, Any]:
    """Parameters from command-line arguments, as Sweep's argv macros write them.

    ``--name=value`` and ``name=value`` give ``name``; a bare ``--name`` is True; a
    positional argument holding a JSON object (``${args_json}``) contributes its members,
    under any explicit ``name=value``. Values are converted with ``int``/``float`` when
    they look like numbers, ``True``/``False``/``None`` (or ``true``/``false``/``null``)
    become Python constants, and JSON lists, objects and quoted strings are decoded.
    Everything else (``-v``, positional paths, a lone ``--``) is ignored. Later
    arguments win over earlier ones.
    """
    from_json: Dict[str, Any] = {}
    explicit: Dict[str, Any] = {}
    for arg in args:
        if arg.startswith("--"):
            name, sep, value = arg[2:].partition("=")
            if name:
                explicit[name] = _convert(value) if sep else True
        elif arg.startswith("{"):
            try:
                obj = json.loads(arg)
            except ValueError:
                continue
            if isinstance(obj, dict):
                from_json.update(obj)
        elif "=" in arg:
            name, _, value = arg.partition("=")
            if _BARE_NAME_RE.fullmatch(name):
                explicit[name] = _convert(value)
    from_json.update(explicit)
    return from_json


def _json_object(text: str, source: str) -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValueError("%s is not valid JSON: %s" % (source, error)) from None
    if not isinstance(value, dict):
        raise ValueError(
            "%s must hold a JSON object, got %s" % (source, type(value).__name__)
        )
    return value


def _load_params() -> Dict[str, Any]:
    text = os.environ.get(ENV_PARAMS_JSON)
    if text is not None and text.strip():
        return _json_object(text, ENV_PARAMS_JSON)
    path = os.environ.get(ENV_PARAMS_FILE)
    if path:
        with open(path, encoding="utf-8") as handle:
            return _json_object(handle.read(), "%s (%s)" % (ENV_PARAMS_FILE, path))
    return parse_args(sys.argv[1:])


def params() -> Dict[str, Any]:
    """The job's parameters as a dict (nested parameters are nested dicts).

    From SWEEP_PARAMS_JSON, else the file named by SWEEP_PARAMS_FILE, else parsed from
    the command line (see :func:`parse_args`) so the program also runs by hand. Read once
    and cached; each call returns a fresh copy that the caller may change freely.
    """
    global _params_cache
    with _params_lock:
        if _params_cache is None:
            _params_cache = _load_params()
        return copy.deepcopy(_params_cache)


# --------------------------------------------------------------------------- metrics

_write_lock = threading.Lock()
_sink_resolved = False
_sink_fd: Optional[int] = None


def _warn(message: str) -> None:
    try:
        sys.stderr.write("sweep_client: %s\n" % message)
        sys.stderr.flush()
    except Exception:
        pass


def _resolve_sink() -> Optional[int]:
    """The descriptor named by SWEEP_METRICS_FD, or None for stdout."""
    raw = os.environ.get(ENV_METRICS_FD)
    if raw is None or not raw.strip():
        return None
    try:
        fd = int(raw.strip())
    except ValueError:
        fd = -1
    if fd < 0:
        _warn("%s=%r is not a file descriptor; writing metrics to stdout" % (ENV_METRICS_FD, raw))
        return None
    try:
        os.fstat(fd)
    except OSError as error:
        _warn(
            "%s=%d is not an open file descriptor (%s); writing metrics to stdout"
            % (ENV_METRICS_FD, fd, error.strerror)
        )
        return None
    try:
        import fcntl

        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            _warn("%s=%d is open for reading only; writing metrics to stdout" % (ENV_METRICS_FD, fd))
            return None
    except (ImportError, OSError):
        pass
    if fd == 1:
        return None  # stdout itself: go through sys.stdout to keep order with print()
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            import select

            select.select([], [fd], [])
            continue
        view = view[written:]


def _write_line(line: str) -> None:
    global _sink_resolved, _sink_fd
    with _write_lock:
        if not _sink_resolved:
            _sink_fd = _resolve_sink()
            _sink_resolved = True
        if _sink_fd is None:
            out = sys.stdout
            out.write(line + "\n")
            out.flush()
        else:
            _write_all(_sink_fd, (line + "\n").encode("utf-8"))


def _metric_value(name: str, value: Any) -> Any:
    number = value
    if not isinstance(number, numbers.Real) and not isinstance(number, (str, bytes)):
        item = getattr(number, "item", None)  # NumPy scalars, 0-d arrays, PyTorch tensors
        if callable(item):
            try:
                number = item()
            except Exception as error:
                raise ValueError(
                    "metric %r must be a single finite number, got %r (%s)" % (name, value, error)
                ) from None
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        raise ValueError(
            "metric %r must be a finite number, got %r (%s)" % (name, value, type(value).__name__)
        )
    if isinstance(number, numbers.Integral):
        return int(number)
    result = float(number)
    if not math.isfinite(result):
        raise ValueError("metric %r must be a finite number, got %r" % (name, result))
    return result


def log(step: int, **metrics: Any) -> None:
    """Report metrics for one step: writes ``{"step": step, name: value, ...}`` as one line.

    ``step`` is a non-negative integer; each metric is a finite int or float (NumPy and
    PyTorch scalars are accepted through their ``.item()``; booleans are not numbers here).
    Anything else raises ValueError and nothing is written. The line goes to the
    descriptor in SWEEP_METRICS_FD when set, else to stdout, and is flushed at once.
    Safe to call from several threads; each call writes exactly one whole line.
    Metric names that are not Python identifiers can be passed as ``**{"train/loss": x}``.
    """
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise ValueError(
            "step must be a non-negative integer, got %r (%s)" % (step, type(step).__name__)
        )
    step = int(step)
    if step < 0:
        raise ValueError("step must be a non-negative integer, got %d" % step)
    if not metrics:
        raise ValueError("log() needs at least one metric, e.g. log(step, loss=0.25)")
    record: Dict[str, Any] = {"step": step}
    for name, value in metrics.items():
        if not name:
            raise ValueError("metric names must be non-empty strings")
        record[name] = _metric_value(name, value)
    _write_line(json.dumps(record, separators=(",", ":"), allow_nan=False))


# --------------------------------------------------------------------------- stopping


class StopRequested:
    """A ``threading.Event``-like flag that is set when SIGTERM arrives.

    ``is_set()``, ``wait(timeout)``, ``set()`` and ``clear()`` behave as on an Event.
    Setting it from the signal handler never takes a lock (a plain Event could deadlock
    there when the main thread is inside ``wait()``), so it is safe to poll or to wait on
    it from any thread, the main thread included.
    """

    def __init__(self) -> None:
        self._flag = False
        self._event = threading.Event()
        #: The number of the signal that set the flag, or None.
        self.signal: Optional[int] = None

    def is_set(self) -> bool:
        install_signal_handler()
        return self._flag

    def wait(self, timeout: Optional[float] = None) -> bool:
        install_signal_handler()
        if self._flag:
            return True
        self._event.wait(timeout)
        return self._flag

    def set(self) -> None:
        self._flag = True
        self._event.set()

    def clear(self) -> None:
        self._flag = False
        self.signal = None
        self._event.clear()

    def _set_from_signal(self, signum: int) -> None:
        self.signal = signum
        self._flag = True
        # Wake waiters from another thread: Event.set() takes the Event's lock, which the
        # interrupted main thread may be holding at this very moment.
        try:
            threading.Thread(target=self._event.set, name="sweep-client-stop", daemon=True).start()
        except RuntimeError:
            pass  # interpreter shutting down; the flag is set, which is what matters

    def __repr__(self) -> str:
        return "<sweep_client.StopRequested set=%s>" % self._flag


stop_requested = StopRequested()

_handler_lock = threading.Lock()
_handler_installed = False
_previous_handler: Any = None


def _on_sigterm(signum: int, frame: Any) -> None:
    stop_requested._set_from_signal(signum)
    previous = _previous_handler
    if callable(previous) and not getattr(previous, "_sweep_client_handler", False):
        previous(signum, frame)


_on_sigterm._sweep_client_handler = True  # type: ignore[attr-defined]


def install_signal_handler() -> bool:
    """Make SIGTERM set :data:`stop_requested` instead of ending the process.

    Runs on import when under Sweep, and otherwise on the first :func:`should_stop` (or
    ``stop_requested.is_set()``/``wait()``), so a program run by hand that never asks
    still dies on SIGTERM as usual. A Python handler installed before this one is still
    called after the flag is set. Only the main thread can install signal handlers:
    returns False when called from another thread before installation, True once the
    handler is in place. Idempotent.
    """
    global _handler_installed, _previous_handler
    if _handler_installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    with _handler_lock:
        if _handler_installed:
            return True
        try:
            previous = signal.getsignal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, _on_sigterm)
        except (AttributeError, OSError, ValueError):
            return False
        _previous_handler = previous
        _handler_installed = True
    return True


def should_stop() -> bool:
    """True once SIGTERM has been received: finish the step, save, and return normally."""
    return stop_requested.is_set()


# --------------------------------------------------------------------------- process state


def _reset() -> None:
    """Forget cached parameters and the metrics destination (for tests)."""
    global _params_cache, _sink_resolved, _sink_fd
    with _params_lock:
        _params_cache = None
    with _write_lock:
        _sink_resolved = False
        _sink_fd = None


def _after_fork_in_child() -> None:
    global _write_lock, _params_lock
    _write_lock = threading.Lock()
    _params_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

if under_sweep():
    install_signal_handler()
