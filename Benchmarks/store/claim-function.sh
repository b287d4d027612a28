#!/usr/bin/env bash
# The claim of 30 single-slot jobs, 200,000 no-op jobs queued: as the prepared statement it
# was before migration 0013 (PostgreSQL planned it again on nearly every call, since its
# LIMIT is a parameter), with that statement forced to a generic plan, and through
# sweep.claim_for_slots (0013), which keeps one generic plan per connection. pgbench -M
# prepared, one client, 800 claims per line, twice over; synchronous_commit = off so that
# the WAL flush does not hide the server's own time. Prints pgbench's average latency.
#
# usage: Benchmarks/store/claim-function.sh      (DATABASE_URL, DB_DIR, SKIP_BUILD as for run.sh)
set -euo pipefail
DB_PREFIX=sweep_claim_function
source "$(dirname "$0")/scratch-db.sh"
printf 'name: claim-function\nmethod: grid\nkernel: noop\nparameters:\n  i: {min: 1, max: 200000}\n' >"/tmp/claim-function-$$.yaml"
DATABASE_URL=$URL "$BIN" submit --max-jobs 200000 "/tmp/claim-function-$$.yaml" >/dev/null
rm -f "/tmp/claim-function-$$.yaml"
psql -q "$URL" -c "VACUUM ANALYZE"
STATEMENT=$(mktemp) FUNCTION=$(mktemp)
trap 'rm -f "$STATEMENT" "$FUNCTION"; cleanup' EXIT
# The statement of ClaimForSlotsStatement before 0013, its parameters as pgbench variables.
cat >"$STATEMENT" <<'SQL'
WITH         locked AS (
            SELECT j.id, j.priority
            FROM sweep.jobs j
            WHERE j.state = 'queued' AND j.scheduled_at <= now()
              AND EXISTS (SELECT 1 FROM sweep.sweeps s WHERE s.state = 'active'
                          AND (s.kernel IS NULL OR :kernels::text[] IS NULL OR s.kernel = ANY(:kernels::text[])))
              AND j.sweep_id = ANY((SELECT array_agg(s.id) FROM sweep.sweeps s WHERE s.state = 'active'
                                    AND (s.kernel IS NULL OR :kernels::text[] IS NULL OR s.kernel = ANY(:kernels::text[])))::bigint[])
              AND j.slots = 1 AND j.gpus = 0 AND j.labels <@ :labels::jsonb
            ORDER BY j.priority DESC, j.id
            LIMIT :lim
            FOR UPDATE OF j SKIP LOCKED
        ), numbered AS (
            SELECT id, row_number() OVER (ORDER BY priority DESC, id) AS n FROM locked
        ), slots AS (
            SELECT owner, n FROM unnest(:owners::text[]) WITH ORDINALITY AS t(owner, n)
        ), claimed AS (
            UPDATE sweep.jobs j
            SET state = 'leased', attempt = j.attempt + 1, lease_owner = slots.owner,
                lease_expires_at = now() + make_interval(secs => :lease::double precision)
            FROM numbered JOIN slots USING (n)
            WHERE j.id = numbered.id
            RETURNING j.id, j.sweep_id, j.attempt, j.params::text AS params, j.seed, j.rung, j.config_hash,
                      j.slots, j.gpus, j.lease_owner, j.priority
        ), recorded AS (
            INSERT INTO sweep.attempts (job_id, attempt, worker, host)
            SELECT c.id, c.attempt, c.lease_owner, coalesce(w.host, :host::text)
            FROM claimed c LEFT JOIN sweep.workers w ON w.id = c.lease_owner
        )
SELECT lease_owner, id, sweep_id, attempt, params, seed, rung, config_hash, slots, gpus FROM claimed ORDER BY priority DESC, id;
SQL
echo "SELECT * FROM sweep.claim_for_slots(:labels, :kernels, :owners, :lease, :host);" >"$FUNCTION"
OWNERS="{$(seq -s, -f 'w%g' 1 30)}"
line() {  # LABEL SCRIPT [SETTING]
    local latency
    latency=$(PGOPTIONS="-c synchronous_commit=off ${3:-}" "$PGBENCH" -n -M prepared -f "$2" -t 800 \
        -D labels='{}' -D kernels='{noop}' -D lim=30 -D owners="$OWNERS" -D lease=30 -D host=h "$URL" 2>&1 | grep "latency average")
    echo "$1: $latency"
}
for round in 1 2; do
    line "prepared statement (custom plans)" "$STATEMENT"
    line "prepared statement, generic plan forced" "$STATEMENT" "-c plan_cache_mode=force_generic_plan"
    line "sweep.claim_for_slots" "$FUNCTION"
done
