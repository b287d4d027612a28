#!/usr/bin/env bash
# Many simulated workers (real sockets) on one coordinator process: dispatch latency,
# coordinator CPU and memory (`sweep bench dispatch`). Environment as for
# Benchmarks/run-bench.sh.
#
# usage: Benchmarks/dispatch/run.sh [sweep bench dispatch options...]   (default: 1,000 workers)
exec "$(dirname "$0")/../run-bench.sh" dispatch "$@"
