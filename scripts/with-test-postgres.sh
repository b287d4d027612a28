#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server started the way `sweep db start` starts
# the private one, and removes it afterwards, also when the command fails.
#   scripts/with-test-postgres.sh COMMAND [ARG...]
# The command sees SWEEP_TEST_DATABASE_URL (and DATABASE_URL unset, so nothing else is touched).
set -euo pipefail

SWEEP=${SWEEP_BINARY:-.build/debug/sweep}
# A short path: Unix socket paths are limited to 107 bytes.
root=$(mktemp -d /tmp/sweep-test-pg.XXXXXX)
chmod 755 "$root"

cleanup() {
    "$SWEEP" db stop --db-dir "$root/postgres" >/dev/null 2>&1 || true
    rm -rf "$root"
}
trap cleanup EXIT INT TERM

unset DATABASE_URL
"$SWEEP" db start --db-dir "$root/postgres" >&2
SWEEP_TEST_DATABASE_URL=$("$SWEEP" db url --db-dir "$root/postgres")
export SWEEP_TEST_DATABASE_URL

status=0
"$@" || status=$?
exit $status
