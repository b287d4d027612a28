#!/usr/bin/env bash
# Queue and metrics benchmark: SweepStore's enqueue, claim-and-complete and metric ingestion
# against bare SQL loops, all measured in one run of `sweep bench store` on one server through
# one connection pool; prints a table and keeps the raw output. A quiet run takes about
# 3 minutes. Environment (DATABASE_URL, DB_DIR, SKIP_BUILD, RESULTS, LIMIT_S) as for
# Benchmarks/run-bench.sh.
#
# usage: Benchmarks/store/run.sh [sweep bench store options...]
exec "$(dirname "$0")/../run-bench.sh" store "$@"
