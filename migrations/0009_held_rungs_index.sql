-- Ladder rungs held back (adaptive ladders) are queued jobs scheduled at 'infinity'. The
-- coordinator looks for sweeps whose released rungs have all ended every few seconds;
-- without an index of the held jobs that read every queued job (77 ms with 100,000 queued,
-- `sweep bench dispatch`). This index holds only the held jobs, so it is empty unless a
-- ladder waits. state and scheduled_at are indexed already, so no update that could be HOT
-- before is kept from being HOT by it.
CREATE INDEX jobs_held ON sweep.jobs (sweep_id) WHERE state = 'queued' AND scheduled_at = 'infinity';
