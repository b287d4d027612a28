-- Claims and reports update every job at least twice. PostgreSQL cannot make those updates
-- HOT (they change `state`, which indexes name), so each one adds an entry to every index of
-- sweep.jobs and runs its row triggers. Two changes take most of that cost off the hot path
-- (measured with Benchmarks/store/schema-costs.sh; see BENCHMARKS.md):
--
-- 1. The uniqueness of a job's identity, (sweep, configuration hash, seed) and (sweep,
--    position), moves to sweep.job_keys, written once when jobs are inserted. The identity
--    columns of sweep.jobs may no longer change, so the keys can never go stale.
-- 2. The state machine check becomes the WHEN condition of the row trigger, built from
--    sweep.job_transitions: PostgreSQL evaluates it without calling a function, and the
--    function only runs to refuse a transition.
-- 3. One index of the leases instead of two (by owner, and by expiry): a claim adds an entry
--    to each. Outstanding leases are as many as busy slots, so finding the expired ones by
--    scanning that index whole is cheap.
-- 4. Attempt rows leave room in their pages, so that closing an attempt (which changes no
--    indexed column) can be a HOT update.

CREATE TABLE sweep.job_keys (
    sweep_id    bigint NOT NULL,
    config_hash text NOT NULL,
    seed        bigint NOT NULL,
    position    integer NOT NULL,
    job_id      bigint NOT NULL,
    CONSTRAINT job_keys_configuration_key PRIMARY KEY (sweep_id, config_hash, seed),
    CONSTRAINT job_keys_position_key UNIQUE (sweep_id, position)
);

INSERT INTO sweep.job_keys (sweep_id, config_hash, seed, position, job_id)
SELECT sweep_id, config_hash, seed, position, id FROM sweep.jobs;

ALTER TABLE sweep.jobs
    DROP CONSTRAINT jobs_sweep_id_config_hash_seed_key,
    DROP CONSTRAINT jobs_sweep_id_position_key;

-- One statement-level trigger per INSERT (not per row): the keys of every new job at once.
CREATE FUNCTION sweep.record_job_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sweep.job_keys (sweep_id, config_hash, seed, position, job_id)
    SELECT sweep_id, config_hash, seed, position, id FROM new_jobs;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_record_keys AFTER INSERT ON sweep.jobs
    REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION sweep.record_job_keys();

CREATE FUNCTION sweep.forget_job_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sweep.job_keys k USING old_jobs o
    WHERE k.sweep_id = o.sweep_id AND k.config_hash = o.config_hash AND k.seed = o.seed;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_forget_keys AFTER DELETE ON sweep.jobs
    REFERENCING OLD TABLE AS old_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION sweep.forget_job_keys();

CREATE FUNCTION sweep.refuse_identity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'job %: sweep, position, configuration hash and seed never change', OLD.id
        USING ERRCODE = 'check_violation';
END;
$$;

CREATE TRIGGER jobs_identity_is_fixed BEFORE UPDATE OF sweep_id, position, config_hash, seed ON sweep.jobs
    FOR EACH ROW
    WHEN (OLD.sweep_id IS DISTINCT FROM NEW.sweep_id OR OLD.position IS DISTINCT FROM NEW.position
          OR OLD.config_hash IS DISTINCT FROM NEW.config_hash OR OLD.seed IS DISTINCT FROM NEW.seed)
    EXECUTE FUNCTION sweep.refuse_identity_change();

-- The state machine: the same pairs as sweep.job_transitions (which stays the reference and
-- equals SweepCore's JobState, as a test checks), as a WHEN condition.
CREATE FUNCTION sweep.refuse_job_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'job % cannot go from % to %', OLD.id, OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
END;
$$;

DROP TRIGGER jobs_enforce_transition ON sweep.jobs;
DROP FUNCTION sweep.enforce_job_transition();

DO $$
DECLARE
    allowed text;
BEGIN
    SELECT string_agg(format('(OLD.state = %L AND NEW.state IN (%s))', from_state, targets), ' OR ' ORDER BY from_state)
    INTO allowed
    FROM (
        SELECT from_state, string_agg(quote_literal(to_state), ', ' ORDER BY to_state) AS targets
        FROM sweep.job_transitions
        GROUP BY from_state
    ) grouped;
    EXECUTE format(
        'CREATE TRIGGER jobs_enforce_transition BEFORE UPDATE OF state ON sweep.jobs FOR EACH ROW '
        'WHEN (OLD.state IS DISTINCT FROM NEW.state AND NOT (%s)) '
        'EXECUTE FUNCTION sweep.refuse_job_transition()', allowed);
END;
$$;

DROP INDEX sweep.jobs_by_lease_owner;
DROP INDEX sweep.jobs_by_lease_expiry;
CREATE INDEX jobs_leases ON sweep.jobs (lease_owner) WHERE state IN ('leased', 'running');

ALTER TABLE sweep.attempts SET (fillfactor = 70);
