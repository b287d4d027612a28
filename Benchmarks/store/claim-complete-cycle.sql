-- pgbench script: one claimer's cycle on bench_t (a copy of sweep.jobs): claim 100 queued jobs
-- with SKIP LOCKED, as SweepStore.claimJobs sets them (state, attempt, lease), then complete
-- everything this client holds in one statement. One transaction = 100 jobs.
WITH c AS (SELECT id FROM bench_t WHERE state = 'queued' ORDER BY priority DESC, id LIMIT 100 FOR UPDATE SKIP LOCKED)
UPDATE bench_t t SET state = 'leased', attempt = t.attempt + 1, lease_owner = 'w' || :client_id, lease_expires_at = now() + interval '1 hour' FROM c WHERE t.id = c.id;
UPDATE bench_t SET state = 'succeeded', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = 'w' || :client_id AND state = 'leased';
