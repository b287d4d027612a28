-- sweep_progress: `running` now counts the jobs a worker has started; the new last column,
-- `assigned`, counts the jobs claimed for a worker and not yet started (sent, or kept ready
-- for one of its slots: docs/operations.md, "Ready jobs"). Until now `running` counted both,
-- and with ready jobs kept for jobs under 2 s `sweep status` showed more jobs running than
-- the workers had slots.
CREATE OR REPLACE VIEW public.sweep_progress AS
SELECT s.name                                                    AS sweep,
       s.id                                                      AS sweep_id,
       s.state,
       s.method,
       s.metric_name                                             AS objective,
       s.metric_goal                                             AS goal,
       count(j.id)                                               AS total,
       count(j.id) FILTER (WHERE j.state = 'queued')             AS queued,
       count(j.id) FILTER (WHERE j.state = 'running')            AS running,
       count(j.id) FILTER (WHERE j.state = 'succeeded')          AS succeeded,
       count(j.id) FILTER (WHERE j.state = 'failed')             AS retrying,
       count(j.id) FILTER (WHERE j.state = 'stopped')            AS stopped,
       count(j.id) FILTER (WHERE j.state = 'cancelled')          AS cancelled,
       count(j.id) FILTER (WHERE j.state = 'dead')               AS dead,
       round(100.0 * count(j.id) FILTER (WHERE j.state IN ('succeeded', 'stopped', 'cancelled', 'dead'))
             / greatest(count(j.id), 1), 1)                      AS percent_done,
       s.created_at,
       min(j.started_at)                                         AS first_started_at,
       max(j.finished_at)                                        AS last_finished_at,
       count(j.id) FILTER (WHERE j.state = 'leased')             AS assigned
FROM sweep.sweeps s
LEFT JOIN sweep.jobs j ON j.sweep_id = s.id
GROUP BY s.id;
