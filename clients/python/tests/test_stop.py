"""should_stop() / stop_requested: real child processes that receive a real SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import unittest

from _support import CLIENT_DIR, TIMEOUT, child_env, run_python, start_python

UNDER_SWEEP = {"SWEEP_JOB_ID": "17", "SWEEP_ATTEMPT": "1", "SWEEP_SEED": "0"}


class StopTests(unittest.TestCase):
    def start(self, code, env):
        child = start_python(code, env=env)
        self.addCleanup(self.reap, child)
        ready = child.stdout.readline()
        if ready != "ready\n":
            child.kill()
            self.fail("child did not start: %r %s" % (ready, child.stderr.read()))
        return child

    @staticmethod
    def reap(child):
        if child.poll() is None:
            child.kill()
        child.communicate()

    def finish(self, child):
        out, err = child.communicate(timeout=TIMEOUT)
        return child.returncode, out, err

    def test_training_loop_exits_cleanly_on_sigterm(self):
        code = """
            import json, time, sweep_client
            assert sweep_client.should_stop() is False
            print("ready", flush=True)
            steps = 0
            while not sweep_client.should_stop():
                steps += 1
                time.sleep(0.005)
            print(json.dumps({"should_stop": sweep_client.should_stop(),
                              "is_set": sweep_client.stop_requested.is_set(),
                              "signal": sweep_client.stop_requested.signal,
                              "steps": steps}))
        """
        child = self.start(code, child_env(**UNDER_SWEEP))
        child.send_signal(signal.SIGTERM)
        rc, out, err = self.finish(child)
        self.assertEqual(rc, 0, err)
        report = json.loads(out)
        self.assertEqual(report["should_stop"], True)
        self.assertEqual(report["is_set"], True)
        self.assertEqual(report["signal"], signal.SIGTERM)

    def test_handler_is_in_place_from_import_under_sweep(self):
        # The first check comes long after the signal (an epoch-end check, say).
        code = """
            import sys, time, sweep_client
            print("ready", flush=True)
            sys.stdin.readline()             # the signal arrives while we block here
            print("stop" if sweep_client.should_stop() else "go on")
        """
        child = self.start(code, child_env(**UNDER_SWEEP))
        child.send_signal(signal.SIGTERM)
        child.stdin.write("\n")
        child.stdin.flush()
        rc, out, err = self.finish(child)
        self.assertEqual((rc, out), (0, "stop\n"), err)

    def test_wait_in_main_thread_wakes_up(self):
        code = """
            import sweep_client
            print("ready", flush=True)
            print(sweep_client.stop_requested.wait(), flush=True)
        """
        child = self.start(code, child_env(**UNDER_SWEEP))
        child.send_signal(signal.SIGTERM)
        rc, out, err = self.finish(child)
        self.assertEqual((rc, out), (0, "True\n"), err)

    def test_wait_in_another_thread_wakes_up(self):
        code = """
            import threading, time, sweep_client
            seen = []
            watcher = threading.Thread(target=lambda: seen.append(sweep_client.stop_requested.wait(60)))
            watcher.start()
            print("ready", flush=True)
            watcher.join()
            print(seen, flush=True)
        """
        child = self.start(code, child_env(**UNDER_SWEEP))
        child.send_signal(signal.SIGTERM)
        rc, out, err = self.finish(child)
        self.assertEqual((rc, out), (0, "[True]\n"), err)

    def test_repeated_sigterm_does_not_kill(self):
        code = """
            import sys, sweep_client
            print("ready", flush=True)
            sys.stdin.readline()
            print("saved", sweep_client.should_stop(), flush=True)
        """
        child = self.start(code, child_env(**UNDER_SWEEP))
        for _ in range(3):
            child.send_signal(signal.SIGTERM)
        child.stdin.write("\n")
        child.stdin.flush()
        rc, out, err = self.finish(child)
        self.assertEqual((rc, out), (0, "saved True\n"), err)

    def test_previous_python_handler_still_runs(self):
        code = """
            import signal, sys
            calls = []
            signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
            import sweep_client
            print("ready", flush=True)
            sys.stdin.readline()
            print(sweep_client.should_stop(), calls == [signal.SIGTERM], flush=True)
        """
        child = self.start(code, child_env(**UNDER_SWEEP))
        child.send_signal(signal.SIGTERM)
        child.stdin.write("\n")
        child.stdin.flush()
        rc, out, err = self.finish(child)
        self.assertEqual((rc, out), (0, "True True\n"), err)

    def test_by_hand_sigterm_kills_a_program_that_never_asks(self):
        code = """
            import sys, sweep_client
            print("ready", flush=True)
            sweep_client.log(0, loss=1.0)
            sys.stdin.readline()
            print("survived", flush=True)
        """
        child = self.start(code, child_env())
        self.assertEqual(child.stdout.readline(), '{"step":0,"loss":1.0}\n')
        child.send_signal(signal.SIGTERM)
        rc, out, err = self.finish(child)
        self.assertEqual((rc, out), (-signal.SIGTERM, ""), err)

    def test_by_hand_first_question_installs_the_handler(self):
        code = """
            import sys, sweep_client
            assert not sweep_client.should_stop()
            print("ready", flush=True)
            sys.stdin.readline()
            print(sweep_client.should_stop(), flush=True)
        """
        child = self.start(code, child_env())
        child.send_signal(signal.SIGTERM)
        child.stdin.write("\n")
        child.stdin.flush()
        rc, out, err = self.finish(child)
        self.assertEqual((rc, out), (0, "True\n"), err)

    def test_event_like_set_and_clear(self):
        code = """
            import sweep_client
            e = sweep_client.stop_requested
            assert not e.is_set() and e.wait(0.01) is False
            e.set()
            assert e.is_set() and e.wait() is True and sweep_client.should_stop()
            e.clear()
            assert not e.is_set() and not sweep_client.should_stop()
            print("ok")
        """
        result = run_python(code)
        self.assertEqual((result.returncode, result.stdout), (0, "ok\n"), result.stderr)


class ExampleTests(unittest.TestCase):
    def test_train_minimal_runs_and_reports(self):
        script = os.path.join(CLIENT_DIR, "examples", "train_minimal.py")
        result = subprocess.run(
            [sys.executable, script, "--lr=0.2", "--steps=30"], env=child_env(),
            capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr)
        records = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual([r["step"] for r in records], list(range(30)))
        self.assertLess(records[-1]["train_loss"], records[0]["train_loss"])

    def test_train_minimal_stops_on_sigterm(self):
        script = os.path.join(CLIENT_DIR, "examples", "train_minimal.py")
        read_fd, write_fd = os.pipe()
        self.addCleanup(os.close, read_fd)
        env = child_env(SWEEP_METRICS_FD=write_fd, SWEEP_PARAMS_JSON='{"lr": 0.1, "steps": 1000000}',
                        **UNDER_SWEEP)
        child = subprocess.Popen([sys.executable, script], env=env, pass_fds=[write_fd],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(write_fd)
        try:
            with os.fdopen(os.dup(read_fd), "r") as metrics:
                first = json.loads(metrics.readline())  # training is under way
                child.send_signal(signal.SIGTERM)
                rest = [json.loads(line) for line in metrics]  # drained until the child exits
                out, err = child.communicate(timeout=TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        self.assertEqual(child.returncode, 0, err)
        self.assertEqual(first["step"], 0)
        self.assertLess(len(rest), 1000000 - 1)
        self.assertIn("stopped at step", out)


if __name__ == "__main__":
    unittest.main()
