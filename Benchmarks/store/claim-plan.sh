#!/usr/bin/env bash
# The plan of a claim's first step (pick the next queued jobs) with 10,000 no-op jobs queued:
# written as a join with sweep.sweeps, as claims were before bc6d3ad, and as an array of
# eligible sweeps, as they are now. Each as a prepared statement with a generic plan and
# with a custom one, first with the statistics a coordinator meets right after a submit,
# then after VACUUM ANALYZE; prints the scan chosen and the execution time (EXPLAIN ANALYZE,
# inside a transaction that is rolled back, so the queue is the same for every line).
#
# usage: Benchmarks/store/claim-plan.sh      (DATABASE_URL, DB_DIR, SKIP_BUILD as for run.sh)
set -euo pipefail
DB_PREFIX=sweep_claim_plan
source "$(dirname "$0")/scratch-db.sh"
printf 'name: claim-plan\nmethod: grid\nkernel: noop\nparameters:\n  i: {min: 1, max: 10000}\n' >"/tmp/claim-plan-$$.yaml"
DATABASE_URL=$URL "$BIN" submit "/tmp/claim-plan-$$.yaml" >/dev/null
rm -f "/tmp/claim-plan-$$.yaml"
explain() {
psql -q "$URL" <<'SQL' | grep -E "^==|Index Scan|Seq Scan on jobs|Execution Time"
PREPARE joined(jsonb, text[], bigint) AS
    SELECT j.id FROM sweep.jobs j JOIN sweep.sweeps s ON s.id = j.sweep_id
    WHERE j.state = 'queued' AND j.scheduled_at <= now() AND s.state = 'active'
      AND j.slots = 1 AND j.gpus = 0 AND j.labels <@ $1
      AND (s.kernel IS NULL OR $2 IS NULL OR s.kernel = ANY($2))
    ORDER BY j.priority DESC, j.id LIMIT $3 FOR UPDATE OF j SKIP LOCKED;
PREPARE filtered(jsonb, text[], bigint) AS
    SELECT j.id FROM sweep.jobs j
    WHERE j.state = 'queued' AND j.scheduled_at <= now()
      AND EXISTS (SELECT 1 FROM sweep.sweeps s WHERE s.state = 'active' AND (s.kernel IS NULL OR $2 IS NULL OR s.kernel = ANY($2)))
      AND j.sweep_id = ANY((SELECT array_agg(s.id) FROM sweep.sweeps s WHERE s.state = 'active'
                            AND (s.kernel IS NULL OR $2 IS NULL OR s.kernel = ANY($2)))::bigint[])
      AND j.slots = 1 AND j.gpus = 0 AND j.labels <@ $1
    ORDER BY j.priority DESC, j.id LIMIT $3 FOR UPDATE OF j SKIP LOCKED;
BEGIN;
\echo == join with sweeps, generic plan
SET LOCAL plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE joined('{}', ARRAY['noop'], 8);
\echo == join with sweeps, custom plan
SET LOCAL plan_cache_mode = force_custom_plan;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE joined('{}', ARRAY['noop'], 8);
\echo == array of eligible sweeps, generic plan
SET LOCAL plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE filtered('{}', ARRAY['noop'], 8);
\echo == array of eligible sweeps, custom plan
SET LOCAL plan_cache_mode = force_custom_plan;
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE filtered('{}', ARRAY['noop'], 8);
ROLLBACK;
SQL
}
echo "### statistics as right after the submit (before autovacuum analyzes the jobs)"
explain
psql -q "$URL" -c "VACUUM ANALYZE"
echo "### after VACUUM ANALYZE"
explain
