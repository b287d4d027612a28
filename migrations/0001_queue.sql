-- Sweep's queue: sweeps, jobs, attempts, metrics, workers and stop decisions.
-- Base tables live in schema "sweep"; people read the views in schema "public" (0002).

CREATE TYPE sweep.job_state AS ENUM (
    'queued', 'leased', 'running', 'succeeded', 'failed', 'stopped', 'cancelled', 'dead'
);

CREATE TABLE sweep.sweeps (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    source_file text,
    yaml        text NOT NULL,
    spec        jsonb NOT NULL,
    method      text NOT NULL,
    metric_name text,
    metric_goal text CHECK (metric_goal IN ('minimize', 'maximize')),
    state       text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'cancelled')),
    priority    integer NOT NULL DEFAULT 0,
    job_count   integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sweep.jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sweep_id         bigint NOT NULL REFERENCES sweep.sweeps (id) ON DELETE CASCADE,
    position         integer NOT NULL,
    params           jsonb NOT NULL,
    config_hash      text NOT NULL,
    seed             bigint NOT NULL,
    rung             integer,
    priority         integer NOT NULL DEFAULT 0,
    state            sweep.job_state NOT NULL DEFAULT 'queued',
    -- The fencing token: the number of the latest attempt (1 after the first claim).
    attempt          integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    backoff_ms       bigint NOT NULL DEFAULT 10000 CHECK (backoff_ms >= 0),
    max_backoff_ms   bigint NOT NULL DEFAULT 600000 CHECK (max_backoff_ms >= backoff_ms),
    slots            integer NOT NULL DEFAULT 1 CHECK (slots >= 1),
    gpus             integer NOT NULL DEFAULT 0 CHECK (gpus >= 0),
    labels           jsonb NOT NULL DEFAULT '{}',
    lease_owner      text,
    lease_expires_at timestamptz,
    scheduled_at     timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    final_metrics    jsonb,
    stop_reason      text,
    error            text,
    UNIQUE (sweep_id, config_hash, seed),
    UNIQUE (sweep_id, position),
    -- A lease exists exactly while a worker holds the job.
    CONSTRAINT jobs_lease_matches_state CHECK (
        (state IN ('leased', 'running')) = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)
    ),
    CONSTRAINT jobs_terminal_has_finish_time CHECK (
        state NOT IN ('succeeded', 'stopped', 'dead') OR finished_at IS NOT NULL
    ),
    CONSTRAINT jobs_claimed_has_attempt CHECK (state = 'queued' OR state = 'cancelled' OR attempt >= 1)
);

CREATE INDEX jobs_claimable ON sweep.jobs (priority DESC, id) WHERE state = 'queued';
CREATE INDEX jobs_by_lease_owner ON sweep.jobs (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX jobs_by_lease_expiry ON sweep.jobs (lease_expires_at) WHERE state IN ('leased', 'running');
CREATE INDEX jobs_retry_due ON sweep.jobs (scheduled_at) WHERE state = 'failed';
CREATE INDEX jobs_by_sweep ON sweep.jobs (sweep_id, state);

-- The job state machine (SweepCore's JobState.transitions), enforced on every update.
CREATE TABLE sweep.job_transitions (
    from_state sweep.job_state NOT NULL,
    to_state   sweep.job_state NOT NULL,
    PRIMARY KEY (from_state, to_state)
);
INSERT INTO sweep.job_transitions (from_state, to_state) VALUES
    ('queued', 'leased'), ('queued', 'cancelled'),
    ('leased', 'running'), ('leased', 'succeeded'), ('leased', 'failed'), ('leased', 'stopped'),
    ('leased', 'cancelled'), ('leased', 'queued'),
    ('running', 'succeeded'), ('running', 'failed'), ('running', 'stopped'), ('running', 'cancelled'),
    ('running', 'queued'),
    ('failed', 'queued'), ('failed', 'dead'), ('failed', 'cancelled');

CREATE FUNCTION sweep.enforce_job_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
        SELECT 1 FROM sweep.job_transitions WHERE from_state = OLD.state AND to_state = NEW.state
    ) THEN
        RAISE EXCEPTION 'job % cannot go from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER jobs_enforce_transition BEFORE UPDATE OF state ON sweep.jobs
    FOR EACH ROW EXECUTE FUNCTION sweep.enforce_job_transition();

CREATE TABLE sweep.attempts (
    job_id      bigint NOT NULL REFERENCES sweep.jobs (id) ON DELETE CASCADE,
    attempt     integer NOT NULL CHECK (attempt >= 1),
    worker      text NOT NULL,
    host        text,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    outcome     text CHECK (outcome IN ('succeeded', 'failed', 'stopped', 'cancelled', 'released', 'expired')),
    exit_status integer,
    error       text,
    log_tail    text,
    PRIMARY KEY (job_id, attempt)
);

-- Long-format metrics. Idempotent on (job, attempt, step, name): a retransmitted batch
-- changes nothing. No foreign key: ingestion is the hottest path and rows are only
-- ever written for jobs the coordinator knows.
CREATE TABLE sweep.metrics (
    job_id      bigint NOT NULL,
    attempt     integer NOT NULL,
    step        bigint NOT NULL,
    name        text NOT NULL,
    value       double precision NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, attempt, name, step)
);

CREATE TABLE sweep.workers (
    id           text PRIMARY KEY,
    host         text NOT NULL,
    slots        integer NOT NULL CHECK (slots >= 0),
    gpus         integer NOT NULL DEFAULT 0 CHECK (gpus >= 0),
    labels       jsonb NOT NULL DEFAULT '{}',
    kernels      text[] NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'alive' CHECK (state IN ('alive', 'draining', 'gone')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sweep.stop_decisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sweep_id   bigint NOT NULL REFERENCES sweep.sweeps (id) ON DELETE CASCADE,
    job_id     bigint NOT NULL REFERENCES sweep.jobs (id) ON DELETE CASCADE,
    attempt    integer NOT NULL,
    policy     text NOT NULL,
    step       bigint NOT NULL,
    decision   text NOT NULL CHECK (decision IN ('continue', 'stop')),
    reason     text,
    evidence   jsonb NOT NULL DEFAULT '{}',
    decided_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stop_decisions_by_job ON sweep.stop_decisions (job_id, step);
