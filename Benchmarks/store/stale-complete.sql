-- pgbench script: SweepStore.complete's statement (Sources/SweepStore/Queue/SweepStore+Reports.swift,
-- `report`), as it is sent for complete(job:attempt:finalMetrics:), for a random job with an
-- attempt number no job has (attempt = -1): a stale report, which plans and runs the whole
-- statement but changes nothing, so it can be repeated at will.
\set id random(1, 100000)
WITH input AS (SELECT '{"val_loss":0.25}'::text AS payload),
changed AS (
    UPDATE sweep.jobs j SET state = 'succeeded', finished_at = now(), final_metrics = input.payload::jsonb, lease_owner = NULL, lease_expires_at = NULL
    FROM input
    WHERE j.id = :id AND j.attempt = -1 AND j.state IN ('leased', 'running')
    RETURNING j.id, j.attempt
), closed AS (
    UPDATE sweep.attempts a SET ended_at = now(), outcome = 'succeeded'::text,
        exit_status = NULL::integer, error = NULL::text, log_tail = NULL::text
    FROM changed
    WHERE 'succeeded'::text IS NOT NULL AND a.job_id = changed.id AND a.attempt = changed.attempt
)
SELECT (SELECT count(*) FROM changed)::bigint, j.state::text, j.attempt
FROM (SELECT 1) one LEFT JOIN sweep.jobs j ON j.id = :id;
