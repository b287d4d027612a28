#!/usr/bin/env bash
# End-to-end queue benchmark: no-op jobs and metric streams through a coordinator process and
# worker processes, next to the store's bare lifecycle, bare inserts and Optuna's RDB storage,
# all in one run of `sweep bench queue`. Needs: pip install optuna psycopg2-binary.
# Environment as for Benchmarks/run-bench.sh.
#
# usage: Benchmarks/queue/run.sh [sweep bench queue options...]
exec "$(dirname "$0")/../run-bench.sh" queue --optuna-script Benchmarks/queue/optuna_rdb.py "$@"
