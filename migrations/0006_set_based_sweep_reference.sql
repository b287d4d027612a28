-- A job's sweep must exist, and deleting a sweep deletes its jobs: what the foreign key
-- jobs.sweep_id -> sweeps.id did, checked once per statement instead of once per row. The
-- row-by-row check was a fifth of the time of enqueueing a 100,000-job sweep (BENCHMARKS.md).
-- sweep_id never changes after the insert (jobs_identity_is_fixed, 0004), so inserts are
-- the only writes to check.

ALTER TABLE sweep.jobs DROP CONSTRAINT jobs_sweep_id_fkey;

CREATE FUNCTION sweep.check_job_sweeps() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    -- Lock the referenced sweeps as the foreign key did (KEY SHARE), so that a sweep being
    -- deleted at the same moment cannot leave jobs behind.
    PERFORM 1 FROM sweep.sweeps s WHERE s.id IN (SELECT DISTINCT sweep_id FROM new_jobs) FOR KEY SHARE;
    SELECT n.sweep_id INTO missing
    FROM (SELECT DISTINCT sweep_id FROM new_jobs) n
    WHERE NOT EXISTS (SELECT 1 FROM sweep.sweeps s WHERE s.id = n.sweep_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert into sweep.jobs: sweep % does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_check_sweeps AFTER INSERT ON sweep.jobs
    REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION sweep.check_job_sweeps();

CREATE FUNCTION sweep.delete_sweep_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sweep.jobs j USING old_sweeps o WHERE j.sweep_id = o.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sweeps_delete_jobs AFTER DELETE ON sweep.sweeps
    REFERENCING OLD TABLE AS old_sweeps
    FOR EACH STATEMENT EXECUTE FUNCTION sweep.delete_sweep_jobs();
