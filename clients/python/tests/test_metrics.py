"""log(): validation and real delivery through a pipe descriptor or stdout."""

import contextlib
import fractions
import io
import json
import os
import select
import threading
import unittest
from unittest import mock

from _support import TIMEOUT, child_env, run_python, start_python

import sweep_client


def read_lines(fd, count, timeout=TIMEOUT):
    """Reads exactly `count` lines from `fd`, failing after `timeout` seconds."""
    data = b""
    while data.count(b"\n") < count:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise AssertionError("timed out with %d of %d lines: %r" % (data.count(b"\n"), count, data[-200:]))
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise AssertionError("pipe closed after %d of %d lines" % (data.count(b"\n"), count))
        data += chunk
    return data.decode("utf-8").splitlines()


def pipe_is_empty(fd):
    ready, _, _ = select.select([fd], [], [], 0)
    return not ready


class PipeTestCase(unittest.TestCase):
    """Points SWEEP_METRICS_FD of this very process at a fresh os.pipe()."""

    def setUp(self):
        self.read_fd, self.write_fd = os.pipe()
        self.addCleanup(os.close, self.read_fd)
        self.addCleanup(os.close, self.write_fd)
        patcher = mock.patch.dict(os.environ, {"SWEEP_METRICS_FD": str(self.write_fd)})
        patcher.start()
        self.addCleanup(patcher.stop)
        sweep_client._reset()
        self.addCleanup(sweep_client._reset)

    def lines(self, count):
        return [json.loads(line) for line in read_lines(self.read_fd, count)]


class LogToPipeTests(PipeTestCase):
    def test_one_line_per_call_in_order(self):
        sweep_client.log(0, train_loss=1.5)
        sweep_client.log(3, val_loss=0.41, val_accuracy=0.87)
        sweep_client.log(4, tokens=123456789012345678901234567890)
        got = read_lines(self.read_fd, 3)
        self.assertEqual(json.loads(got[0]), {"step": 0, "train_loss": 1.5})
        self.assertEqual(json.loads(got[1]), {"step": 3, "val_loss": 0.41, "val_accuracy": 0.87})
        self.assertEqual(json.loads(got[2]), {"step": 4, "tokens": 123456789012345678901234567890})
        self.assertTrue(got[1].startswith('{"step":3,'), got[1])  # step comes first
        self.assertTrue(pipe_is_empty(self.read_fd))

    def test_names_that_are_not_identifiers(self):
        sweep_client.log(1, **{"train/loss": 0.5, "acc@1": 0.25, "überschuss": 2})
        self.assertEqual(self.lines(1), [{"step": 1, "train/loss": 0.5, "acc@1": 0.25, "überschuss": 2}])

    def test_number_like_values(self):
        class Scalar:  # what NumPy scalars and PyTorch tensors look like to the client
            def __init__(self, value):
                self.value = value

            def item(self):
                return self.value

        class Step(int):
            pass

        sweep_client.log(Step(2), a=Scalar(0.5), b=Scalar(7), c=fractions.Fraction(1, 4), d=-0.0)
        self.assertEqual(self.lines(1), [{"step": 2, "a": 0.5, "b": 7, "c": 0.25, "d": -0.0}])

    def test_many_threads_never_interleave(self):
        threads, per_thread = 8, 300
        padding = "x" * 5000  # lines longer than PIPE_BUF, so only the lock keeps them whole
        received = []
        reader = threading.Thread(
            target=lambda: received.extend(read_lines(self.read_fd, threads * per_thread)))
        reader.start()

        def writer(index):
            for i in range(per_thread):
                sweep_client.log(i, **{"thread": index, padding: float(i)})

        workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        reader.join(TIMEOUT)
        self.assertFalse(reader.is_alive())
        seen = set()
        for line in received:
            record = json.loads(line)
            self.assertEqual(record[padding], float(record["step"]))
            seen.add((record["thread"], record["step"]))
        self.assertEqual(seen, {(t, i) for t in range(threads) for i in range(per_thread)})


class ValidationTests(PipeTestCase):
    def assertRejected(self, pattern, step, **metrics):
        with self.assertRaisesRegex(ValueError, pattern):
            sweep_client.log(step, **metrics)
        self.assertTrue(pipe_is_empty(self.read_fd), "nothing may be written for a bad call")

    def test_bad_steps(self):
        for step in (-1, 1.0, 2.5, "3", None, True, False):
            with self.subTest(step=step):
                self.assertRejected("step must be a non-negative integer", step, loss=1.0)

    def test_bad_values(self):
        cases = {
            "nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"),
            "True": True, "False": False, "'0.5'": "0.5", "None": None, "[1.0]": [1.0],
            "{}": {}, "1j": 1j,
        }
        for label, value in cases.items():
            with self.subTest(value=label):
                self.assertRejected("metric 'loss' must be a finite number", 0, loss=value)

    def test_item_that_is_not_a_number(self):
        class Vector:
            def item(self):
                raise ValueError("only one element tensors can be converted")

        class Flag:
            def item(self):
                return True

        self.assertRejected("metric 'loss' must be a single finite number", 0, loss=Vector())
        self.assertRejected("metric 'ok' must be a finite number", 0, ok=Flag())

    def test_one_bad_metric_rejects_the_whole_line(self):
        self.assertRejected("metric 'b'", 5, a=1.0, b=float("nan"), c=2.0)

    def test_needs_a_metric_and_names(self):
        self.assertRejected("at least one metric", 0)
        self.assertRejected("non-empty", 0, **{"": 1.0})


class DestinationTests(unittest.TestCase):
    def setUp(self):
        sweep_client._reset()
        self.addCleanup(sweep_client._reset)

    def test_stdout_when_no_descriptor(self):
        env = {k: v for k, v in os.environ.items() if k != "SWEEP_METRICS_FD"}
        out = io.StringIO()
        with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(out):
            sweep_client.log(1, loss=0.5)
        self.assertEqual(out.getvalue(), '{"step":1,"loss":0.5}\n')

    def test_child_metrics_on_inherited_fd_logs_on_stdout(self):
        # The worker's arrangement: a child with an inherited pipe end; stdout stays free
        # for logs, and every metric line arrives as soon as it is written.
        read_fd, write_fd = os.pipe()
        self.addCleanup(os.close, read_fd)
        code = """
            import sys, sweep_client
            print("starting", flush=True)
            sweep_client.log(0, loss=2.0)
            sys.stdin.readline()          # wait: the line must already be out
            sweep_client.log(1, loss=1.0, acc=0.5)
            print("done")
        """
        child = start_python(code, env=child_env(SWEEP_METRICS_FD=write_fd), pass_fds=[write_fd])
        os.close(write_fd)
        try:
            self.assertEqual(read_lines(read_fd, 1), ['{"step":0,"loss":2.0}'])
            out, err = child.communicate("go\n", timeout=TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        self.assertEqual(child.returncode, 0, err)
        self.assertEqual(out, "starting\ndone\n")
        self.assertEqual(read_lines(read_fd, 1), ['{"step":1,"loss":1.0,"acc":0.5}'])
        self.assertEqual(os.read(read_fd, 100), b"")  # child gone, nothing more

    def test_child_stdout_is_flushed_per_line(self):
        code = """
            import sys, sweep_client
            print("a log line")           # block-buffered: the client must not reorder it
            sweep_client.log(0, loss=1.0)
            sys.stdin.readline()
        """
        child = start_python(code, env=child_env())
        try:
            lines = [child.stdout.readline(), child.stdout.readline()]  # before it exits
            child.communicate("", timeout=TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        self.assertEqual(lines, ["a log line\n", '{"step":0,"loss":1.0}\n'])

    def test_unusable_descriptor_falls_back_to_stdout_with_a_warning(self):
        code = """
            import sweep_client
            sweep_client.log(0, loss=1.0)
            sweep_client.log(1, loss=0.5)
        """
        for value, needle in (("987", "not an open file descriptor"),
                              ("three", "not a file descriptor")):
            with self.subTest(value=value):
                result = run_python(code, env=child_env(SWEEP_METRICS_FD=value))
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stdout, '{"step":0,"loss":1.0}\n{"step":1,"loss":0.5}\n')
                self.assertEqual(result.stderr.count("sweep_client:"), 1, result.stderr)
                self.assertIn(needle, result.stderr)

    def test_read_only_descriptor_falls_back_to_stdout(self):
        read_fd, write_fd = os.pipe()
        self.addCleanup(os.close, read_fd)
        self.addCleanup(os.close, write_fd)
        result = run_python("import sweep_client; sweep_client.log(0, loss=1.0)",
                            env=child_env(SWEEP_METRICS_FD=read_fd), pass_fds=[read_fd])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, '{"step":0,"loss":1.0}\n')
        self.assertIn("reading only", result.stderr)


if __name__ == "__main__":
    unittest.main()
