"""Parameters and identity: from SWEEP_PARAMS_JSON, SWEEP_PARAMS_FILE and argv."""

import json
import os
import tempfile
import unittest
from unittest import mock

from _support import child_env, run_python

import sweep_client

PRINT_PARAMS = """
    import json, sweep_client
    print(json.dumps(sweep_client.params(), sort_keys=True))
"""


class ParseArgsTests(unittest.TestCase):
    def test_values_as_sweep_writes_them(self):
        # CommandTemplate writes values as Python's str(): True, None, 1e-05, JSON for
        # lists and nested objects, strings bare.
        got = sweep_client.parse_args([
            "--epochs=20", "--lr=0.001", "--wd=1e-05", "--big=1e+16", "--neg=-3",
            "--half=.5", "--flag=True", "--off=False", "--nothing=None",
            "--sizes=[16,32]", '--optimizer={"momentum":0.9,"name":"sgd"}',
            "--activation=relu",
        ])
        self.assertEqual(got, {
            "epochs": 20, "lr": 0.001, "wd": 1e-05, "big": 1e16, "neg": -3, "half": 0.5,
            "flag": True, "off": False, "nothing": None, "sizes": [16, 32],
            "optimizer": {"momentum": 0.9, "name": "sgd"}, "activation": "relu",
        })
        self.assertIsInstance(got["epochs"], int)
        self.assertIsInstance(got["big"], float)

    def test_json_spellings_and_quoted_strings(self):
        got = sweep_client.parse_args(['--a=true', '--b=false', '--c=null', '--d="007"'])
        self.assertEqual(got, {"a": True, "b": False, "c": None, "d": "007"})

    def test_strings_stay_literal(self):
        hostile = ['--name=a b "c" ; $(rm -rf /) `x`', "--expr=a=b", "--nan=nan",
                   "--inf=inf", "--under=1_000", "--broken={not json", "--empty="]
        got = sweep_client.parse_args(hostile)
        self.assertEqual(got, {
            "name": 'a b "c" ; $(rm -rf /) `x`', "expr": "a=b", "nan": "nan",
            "inf": "inf", "under": "1_000", "broken": "{not json", "empty": "",
        })

    def test_bare_flags_and_no_hyphens(self):
        got = sweep_client.parse_args(["--standardize", "lr=0.01", "epochs=8"])
        self.assertEqual(got, {"standardize": True, "lr": 0.01, "epochs": 8})

    def test_ignores_what_is_not_a_parameter(self):
        got = sweep_client.parse_args(["-v", "--", "data/train.csv", "/tmp/x=y", "=3", "--=4",
                                       "[1, 2]", "--lr=0.1"])
        self.assertEqual(got, {"lr": 0.1})

    def test_positional_json_object_sits_under_explicit_options(self):
        got = sweep_client.parse_args(["--lr=0.5", '{"lr": 0.01, "epochs": 20}'])
        self.assertEqual(got, {"lr": 0.5, "epochs": 20})

    def test_later_arguments_win(self):
        self.assertEqual(sweep_client.parse_args(["--lr=1", "--lr=2"]), {"lr": 2})


class ParamsSourceTests(unittest.TestCase):
    """params() in real child processes, each with its own environment and argv."""

    def params_of(self, env, args=()):
        result = run_python(PRINT_PARAMS, args=args, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def write_file(self, content):
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        self.addCleanup(os.unlink, handle.name)
        with handle:
            handle.write(content)
        return handle.name

    def test_from_environment_json_nested(self):
        params = {"lr": 0.01, "optimizer": {"name": "adam", "betas": [0.9, 0.999]}, "note": "a b"}
        got = self.params_of(child_env(SWEEP_PARAMS_JSON=json.dumps(params)))
        self.assertEqual(got, params)

    def test_environment_json_beats_file_and_argv(self):
        path = self.write_file('{"lr": 2}')
        env = child_env(SWEEP_PARAMS_JSON='{"lr": 1}', SWEEP_PARAMS_FILE=path)
        self.assertEqual(self.params_of(env, args=["--lr=3"]), {"lr": 1})

    def test_from_file_when_no_environment_json(self):
        path = self.write_file('{"lr": 2, "layers": {"n": 3}}')
        env = child_env(SWEEP_PARAMS_FILE=path)
        self.assertEqual(self.params_of(env, args=["--lr=3"]), {"lr": 2, "layers": {"n": 3}})

    def test_empty_environment_json_falls_through(self):
        path = self.write_file('{"lr": 2}')
        env = child_env(SWEEP_PARAMS_JSON="", SWEEP_PARAMS_FILE=path)
        self.assertEqual(self.params_of(env), {"lr": 2})

    def test_from_argv_when_run_by_hand(self):
        got = self.params_of(child_env(), args=["--lr=0.1", "--epochs=5", "--cosine=True",
                                               '--opt={"name":"sgd"}', "--tag=baseline run"])
        self.assertEqual(got, {"lr": 0.1, "epochs": 5, "cosine": True,
                               "opt": {"name": "sgd"}, "tag": "baseline run"})

    def test_no_parameters_at_all(self):
        self.assertEqual(self.params_of(child_env()), {})

    def test_bad_environment_json_is_a_clear_error(self):
        for text, needle in (("[1, 2]", "must hold a JSON object, got list"),
                             ("{lr: 1}", "SWEEP_PARAMS_JSON is not valid JSON")):
            result = run_python(PRINT_PARAMS, env=child_env(SWEEP_PARAMS_JSON=text))
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("ValueError", result.stderr)
            self.assertIn(needle, result.stderr)

    def test_missing_file_is_an_error(self):
        result = run_python(PRINT_PARAMS, env=child_env(SWEEP_PARAMS_FILE="/nonexistent/p.json"))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("FileNotFoundError", result.stderr)

    def test_cached_and_copied(self):
        code = """
            import json, os, sweep_client
            first = sweep_client.params()
            first["lr"] = 99
            first["opt"]["name"] = "changed"
            os.environ["SWEEP_PARAMS_JSON"] = '{"lr": 7}'   # read once: no effect now
            print(json.dumps(sweep_client.params(), sort_keys=True))
        """
        env = child_env(SWEEP_PARAMS_JSON='{"lr": 1, "opt": {"name": "sgd"}}')
        result = run_python(code, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), {"lr": 1, "opt": {"name": "sgd"}})


class IdentityTests(unittest.TestCase):
    def test_under_sweep(self):
        env = {"SWEEP_JOB_ID": "42", "SWEEP_ATTEMPT": "2", "SWEEP_SEED": "7",
               "SWEEP_WORKDIR": "/tmp/job-42"}
        with mock.patch.dict(os.environ, env):
            self.assertTrue(sweep_client.under_sweep())
            self.assertEqual(sweep_client.job_id(), 42)
            self.assertEqual(sweep_client.attempt(), 2)
            self.assertEqual(sweep_client.seed(), 7)
            self.assertEqual(sweep_client.workdir(), "/tmp/job-42")

    def test_not_under_sweep(self):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SWEEP_")}
        with mock.patch.dict(os.environ, clean, clear=True):
            self.assertFalse(sweep_client.under_sweep())
            self.assertIsNone(sweep_client.job_id())
            self.assertIsNone(sweep_client.attempt())
            self.assertIsNone(sweep_client.seed())
            self.assertIsNone(sweep_client.workdir())

    def test_garbage_identity_is_a_clear_error(self):
        with mock.patch.dict(os.environ, {"SWEEP_SEED": "seven"}):
            with self.assertRaisesRegex(ValueError, "SWEEP_SEED='seven' is not an integer"):
                sweep_client.seed()


if __name__ == "__main__":
    unittest.main()
