-- The coordinator's claim of single-slot, GPU-free jobs (`SweepStore.claimJobs(forSlots:)`)
-- as a function, so that its plan is made once per connection and kept. As a prepared
-- statement it was planned again on nearly every call: its LIMIT is a parameter, which makes
-- PostgreSQL cost the generic plan at a tenth of the table and choose a custom plan each
-- time (1,367 plans in 1,760 calls, 0.45 ms each, about a fifth of the statement's time).
-- The generic plan is the same plan: jobs_claimable in order, stopping after the jobs
-- needed (BENCHMARKS.md, "Coordinator and workers end to end").
--
-- labels: the workers' labels (a job's labels must be contained in them); kernels: the
-- built-in kernels the workers have (NULL: any); owners: one worker id per free slot, the
-- n-th job claimed going to the n-th entry; fallback_host: the host recorded for a worker not
-- (yet) in sweep.workers. Each job gets a lease and an attempt row. Rows come back in claim
-- order (priority, then id).
CREATE FUNCTION sweep.claim_for_slots(labels jsonb, kernels text[], owners text[], lease_seconds double precision, fallback_host text)
    RETURNS TABLE (lease_owner text, id bigint, sweep_id bigint, attempt integer, params text, seed bigint, rung integer,
                   config_hash text, slots integer, gpus integer, priority integer)
    LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $function$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH locked AS (
        SELECT j.id, j.priority
        FROM sweep.jobs j
        WHERE j.state = 'queued' AND j.scheduled_at <= now()
          AND EXISTS (SELECT 1 FROM sweep.sweeps s WHERE s.state = 'active'
                      AND (s.kernel IS NULL OR kernels IS NULL OR s.kernel = ANY(kernels)))
          AND j.sweep_id = ANY((SELECT array_agg(s.id) FROM sweep.sweeps s WHERE s.state = 'active'
                                AND (s.kernel IS NULL OR kernels IS NULL OR s.kernel = ANY(kernels)))::bigint[])
          AND j.slots = 1 AND j.gpus = 0 AND j.labels <@ claim_for_slots.labels
        ORDER BY j.priority DESC, j.id
        LIMIT cardinality(owners)
        FOR UPDATE OF j SKIP LOCKED
    ), numbered AS (
        SELECT l.id, row_number() OVER (ORDER BY l.priority DESC, l.id) AS n FROM locked l
    ), free_slots AS (
        SELECT t.owner, t.n FROM unnest(owners) WITH ORDINALITY AS t(owner, n)
    ), claimed AS (
        UPDATE sweep.jobs j
        SET state = 'leased', attempt = j.attempt + 1, lease_owner = free_slots.owner,
            lease_expires_at = now() + make_interval(secs => lease_seconds)
        FROM numbered JOIN free_slots USING (n)
        WHERE j.id = numbered.id
        RETURNING j.id, j.sweep_id, j.attempt, j.params::text AS params, j.seed, j.rung, j.config_hash,
                  j.slots, j.gpus, j.lease_owner, j.priority
    ), recorded AS (
        INSERT INTO sweep.attempts (job_id, attempt, worker, host)
        SELECT c.id, c.attempt, c.lease_owner, coalesce(w.host, fallback_host)
        FROM claimed c LEFT JOIN sweep.workers w ON w.id = c.lease_owner
    )
    SELECT c.lease_owner, c.id, c.sweep_id, c.attempt, c.params, c.seed, c.rung, c.config_hash, c.slots, c.gpus, c.priority
    FROM claimed c
    ORDER BY c.priority DESC, c.id;
END
$function$;
REVOKE ALL ON FUNCTION sweep.claim_for_slots(jsonb, text[], text[], double precision, text) FROM PUBLIC;
