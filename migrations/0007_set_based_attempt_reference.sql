-- An attempt's job must exist, and deleting a job deletes its attempts: what the foreign key
-- attempts.job_id -> jobs.id did, checked once per statement instead of once per row, as
-- 0006 did for jobs and sweeps. Every claim inserts one attempt row per job it claims, so the
-- row-by-row check ran for every job handed out. Attempts are only ever inserted by claims,
-- for jobs the same statement has just locked.

ALTER TABLE sweep.attempts DROP CONSTRAINT attempts_job_id_fkey;

CREATE FUNCTION sweep.check_attempt_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    -- KEY SHARE on the jobs, as the foreign key took, so that a job deleted at the same
    -- moment cannot leave attempts behind.
    PERFORM 1 FROM sweep.jobs j WHERE j.id IN (SELECT DISTINCT job_id FROM new_attempts) FOR KEY SHARE;
    SELECT n.job_id INTO missing
    FROM (SELECT DISTINCT job_id FROM new_attempts) n
    WHERE NOT EXISTS (SELECT 1 FROM sweep.jobs j WHERE j.id = n.job_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert into sweep.attempts: job % does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER attempts_check_jobs AFTER INSERT ON sweep.attempts
    REFERENCING NEW TABLE AS new_attempts
    FOR EACH STATEMENT EXECUTE FUNCTION sweep.check_attempt_jobs();

CREATE FUNCTION sweep.delete_job_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sweep.attempts a USING old_jobs o WHERE a.job_id = o.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_delete_attempts AFTER DELETE ON sweep.jobs
    REFERENCING OLD TABLE AS old_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION sweep.delete_job_attempts();
