-- Views for people (documented in docs/sql.md) and the read-only role that may use them.

CREATE VIEW public.results AS
SELECT s.name                          AS sweep,
       j.sweep_id,
       j.id                            AS job_id,
       j.position,
       j.seed,
       j.rung,
       j.params,
       j.config_hash,
       j.state::text                   AS state,
       s.metric_name                   AS objective,
       s.metric_goal                   AS goal,
       final.value                     AS final_value,
       final.step                      AS final_step,
       best.value                      AS best_value,
       j.final_metrics,
       j.attempt                       AS attempts,
       j.failures,
       j.started_at,
       j.finished_at,
       j.finished_at - j.started_at    AS duration,
       j.stop_reason,
       j.error
FROM sweep.jobs j
JOIN sweep.sweeps s ON s.id = j.sweep_id
LEFT JOIN LATERAL (
    SELECT m.value, m.step
    FROM sweep.metrics m
    WHERE m.job_id = j.id AND m.attempt = j.attempt AND m.name = s.metric_name
    ORDER BY m.step DESC
    LIMIT 1
) final ON true
LEFT JOIN LATERAL (
    SELECT CASE WHEN s.metric_goal = 'maximize' THEN max(m.value) ELSE min(m.value) END AS value
    FROM sweep.metrics m
    WHERE m.job_id = j.id AND m.attempt = j.attempt AND m.name = s.metric_name
) best ON true;

CREATE VIEW public.curves AS
SELECT s.name                  AS sweep,
       m.job_id,
       m.attempt,
       m.attempt = j.attempt   AS current_attempt,
       m.step,
       m.name                  AS metric,
       m.value,
       m.recorded_at
FROM sweep.metrics m
JOIN sweep.jobs j ON j.id = m.job_id
JOIN sweep.sweeps s ON s.id = j.sweep_id;

CREATE VIEW public.leaderboard AS
SELECT r.sweep,
       r.sweep_id,
       rank() OVER (
           PARTITION BY r.sweep_id
           ORDER BY CASE WHEN r.goal = 'maximize' THEN -r.best_value ELSE r.best_value END
       )               AS rank,
       r.job_id,
       r.params,
       r.seed,
       r.state,
       r.objective,
       r.goal,
       r.best_value,
       r.final_value,
       r.final_step,
       r.duration,
       r.stop_reason
FROM public.results r
WHERE r.best_value IS NOT NULL;

CREATE VIEW public.stop_decisions AS
SELECT s.name                                            AS sweep,
       d.job_id,
       d.attempt,
       d.policy,
       d.step,
       d.decision,
       d.reason,
       (d.evidence ->> 'predicted_mean')::double precision AS predicted_mean,
       (d.evidence ->> 'interval_low')::double precision   AS interval_low,
       (d.evidence ->> 'interval_high')::double precision  AS interval_high,
       (d.evidence ->> 'probability')::double precision    AS probability,
       (d.evidence ->> 'incumbent')::double precision      AS incumbent,
       d.evidence,
       d.decided_at
FROM sweep.stop_decisions d
JOIN sweep.sweeps s ON s.id = d.sweep_id;

CREATE VIEW public.sweep_progress AS
SELECT s.name                                                    AS sweep,
       s.id                                                      AS sweep_id,
       s.state,
       s.method,
       s.metric_name                                             AS objective,
       s.metric_goal                                             AS goal,
       count(j.id)                                               AS total,
       count(j.id) FILTER (WHERE j.state = 'queued')             AS queued,
       count(j.id) FILTER (WHERE j.state IN ('leased', 'running')) AS running,
       count(j.id) FILTER (WHERE j.state = 'succeeded')          AS succeeded,
       count(j.id) FILTER (WHERE j.state = 'failed')             AS retrying,
       count(j.id) FILTER (WHERE j.state = 'stopped')            AS stopped,
       count(j.id) FILTER (WHERE j.state = 'cancelled')          AS cancelled,
       count(j.id) FILTER (WHERE j.state = 'dead')               AS dead,
       round(100.0 * count(j.id) FILTER (WHERE j.state IN ('succeeded', 'stopped', 'cancelled', 'dead'))
             / greatest(count(j.id), 1), 1)                      AS percent_done,
       s.created_at,
       min(j.started_at)                                         AS first_started_at,
       max(j.finished_at)                                        AS last_finished_at
FROM sweep.sweeps s
LEFT JOIN sweep.jobs j ON j.sweep_id = s.id
GROUP BY s.id;

CREATE VIEW public.workers AS
SELECT w.id AS worker, w.host, w.slots, w.gpus, w.labels, w.kernels, w.state, w.started_at, w.last_seen_at,
       (SELECT count(*) FROM sweep.jobs j WHERE j.lease_owner = w.id) AS jobs_held
FROM sweep.workers w;

-- The read-only role: the views above and nothing else. Roles are shared by every
-- database of a server, so it may exist already, or be created at this moment by a
-- migration of another database (the advisory lock serializes one database only).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sweep_reader') THEN
        CREATE ROLE sweep_reader NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

REVOKE ALL ON SCHEMA sweep FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sweep_reader;
GRANT SELECT ON public.results, public.curves, public.leaderboard, public.stop_decisions,
    public.sweep_progress, public.workers TO sweep_reader;

-- Let the owner switch to the reader for `sweep query` (a superuser needs no grant).
DO $$
BEGIN
    EXECUTE format('GRANT sweep_reader TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'could not grant sweep_reader to %: %', current_user, SQLERRM;
END
$$;
