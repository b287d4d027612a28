-- Vacuum the queue's tables often. Every claim, start and result of a job leaves a dead
-- version of its row in sweep.jobs, with index entries that still point at it, until VACUUM
-- removes them. Claims read jobs_claimable from its head, which is exactly where the entries
-- of claimed jobs pile up. On a 1,000,000-job sweep, after 200,000 claims of 100 with
-- autovacuum held off, a claim of 5 jobs (the coordinator's usual size) read 775 buffers in
-- 3.7 ms; after a VACUUM (0.2 s) it read 14 in 0.1 ms, and claims of 100 went from 1.73 to
-- 1.37 ms (pgbench). Autovacuum's defaults let exactly that happen: they wait until a fifth
-- of the table is dead (200,000 row versions of a 1,000,000-job table). These settings
-- vacuum sweep.jobs once 2,000 + 1% of its rows are dead, and sweep.workers, whose rows
-- change as workers come, go and are seen, once 500 + 5% are.
-- The interval at which autovacuum looks at each database (autovacuum_naptime, one minute
-- by default) is the server's setting: `sweep db start` sets 10 s, and docs/operations.md
-- says what to set on a server of your own.
ALTER TABLE sweep.jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 2000);
ALTER TABLE sweep.workers SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 500);
