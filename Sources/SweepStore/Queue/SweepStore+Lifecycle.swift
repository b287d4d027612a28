import Foundation
import Logging
import PostgresNIO
import SweepCore

/// A job that was cancelled while a worker held it: the worker must be told to stop it.
public struct CancelledLease: Sendable, Hashable {
    /// Job id.
    public var job: Int64
    /// The attempt the worker runs.
    public var attempt: Int
    /// The worker holding it.
    public var worker: String
}

/// What one pass of lease reclamation did.
public struct ReclaimResult: Sendable, Hashable {
    /// Leases that had expired (their attempts count as failed).
    public var expired: Int
    /// Failed jobs whose backoff had passed, queued again.
    public var requeued: Int
    /// Failed jobs with no attempt left, now dead.
    public var dead: Int
}

extension SweepStore {
    /// Cancels one job in any non-terminal state. Returns the lease to revoke if a worker held it.
    public func cancel(job: Int64) async throws -> [CancelledLease] {
        try await cancelJobs(where: "j.id = input.target")(job)
    }

    /// Cancels a sweep: it claims no more jobs, and every unfinished job is cancelled.
    public func cancelSweep(named name: String) async throws -> [CancelledLease] {
        let id = try await sweepID(named: name)
        try await client.query("UPDATE sweep.sweeps SET state = 'cancelled', updated_at = now() WHERE id = \(id)", logger: logger)
        return try await cancelJobs(where: "j.sweep_id = input.target")(id)
    }

    /// Ends a sweep whose metric reached its target (W&B's `metric.target`): it claims no
    /// more jobs, and every job not started (queued, or failed and waiting for a retry) is
    /// cancelled with `reason` as its stop reason; running jobs finish. Returns how many
    /// jobs were cancelled.
    public func endSweep(id: Int64, reason: String) async throws -> Int {
        try await client.query("UPDATE sweep.sweeps SET state = 'cancelled', updated_at = now() WHERE id = \(id) AND state <> 'cancelled'", logger: logger)
        let rows = try await client.query("""
            WITH cancelled AS (
                UPDATE sweep.jobs SET state = 'cancelled', finished_at = now(), stop_reason = \(reason)
                WHERE sweep_id = \(id) AND state IN ('queued', 'failed')
                RETURNING id
            )
            SELECT count(*)::bigint FROM cancelled
            """, logger: logger)
        return Int(try await rows.first(as: Int64.self) ?? 0)
    }

    /// Pauses a sweep: its queued jobs wait; running ones finish.
    public func pauseSweep(named name: String) async throws {
        try await setSweepState(name: name, to: "paused", from: ["active"])
    }

    /// Resumes a paused sweep.
    public func resumeSweep(named name: String) async throws {
        try await setSweepState(name: name, to: "active", from: ["paused"])
        try await client.query("SELECT pg_notify('sweep_jobs', 'resume')", logger: logger)
    }

    /// The id of a sweep by name.
    public func sweepID(named name: String) async throws -> Int64 {
        let rows = try await client.query("SELECT id FROM sweep.sweeps WHERE name = \(name)", logger: logger)
        guard let id = try await rows.first(as: Int64.self) else {
            throw StoreError(.unknownSweep, "no sweep named '\(name)'; list them with: sweep query \"SELECT sweep FROM sweep_progress\"")
        }
        return id
    }

    private func setSweepState(name: String, to state: String, from states: [String]) async throws {
        let id = try await sweepID(named: name)
        let rows = try await client.query("""
            UPDATE sweep.sweeps SET state = \(state), updated_at = now() WHERE id = \(id) AND state = ANY(\(states)::text[]) RETURNING id
            """, logger: logger)
        guard try await rows.first(as: Int64.self) != nil else {
            throw StoreError(.unknownSweep, "sweep '\(name)' is not \(states.joined(separator: " or ")), so it cannot become \(state)")
        }
    }

    private func cancelJobs(where condition: String) -> @Sendable (Int64) async throws -> [CancelledLease] {
        { [client, logger] target in
            let query: PostgresQuery = """
                WITH input AS (SELECT \(target)::bigint AS target),
                before AS (
                    SELECT j.id, j.attempt, j.lease_owner, j.state FROM sweep.jobs j, input
                    WHERE \(unescaped: condition) AND j.state IN ('queued', 'leased', 'running', 'failed')
                    FOR UPDATE OF j
                ), cancelled AS (
                    UPDATE sweep.jobs j SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                        finished_at = now(), stop_reason = 'cancelled'
                    FROM before WHERE j.id = before.id
                    RETURNING j.id
                ), closed AS (
                    UPDATE sweep.attempts a SET ended_at = now(), outcome = 'cancelled'
                    FROM before WHERE a.job_id = before.id AND a.attempt = before.attempt AND before.state IN ('leased', 'running')
                )
                SELECT id, attempt, lease_owner FROM before WHERE lease_owner IS NOT NULL
                """
            var revoked: [CancelledLease] = []
            for try await (id, attempt, owner) in try await client.query(query, logger: logger).decode((Int64, Int32, String).self) {
                revoked.append(CancelledLease(job: id, attempt: Int(attempt), worker: owner))
            }
            return revoked
        }
    }

    /// Expired leases become failed attempts (retried after backoff, or dead), and failed jobs
    /// whose backoff has passed are queued again. Run it periodically (the coordinator does).
    public func reclaimExpiredLeases() async throws -> ReclaimResult {
        let expiredRows = try await client.query("""
            WITH expired AS (
                UPDATE sweep.jobs j SET state = 'failed', failures = j.failures + 1,
                    error = 'lease expired: worker ' || j.lease_owner || ' stopped reporting',
                    lease_owner = NULL, lease_expires_at = NULL,
                    \(unescaped: Self.retrySchedule)
                WHERE j.id IN (
                    SELECT id FROM sweep.jobs
                    WHERE state IN ('leased', 'running') AND lease_expires_at < now()
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING j.id, j.attempt
            ), closed AS (
                UPDATE sweep.attempts a SET ended_at = now(), outcome = 'expired', error = 'lease expired'
                FROM expired WHERE a.job_id = expired.id AND a.attempt = expired.attempt
            )
            SELECT count(*)::bigint FROM expired
            """, logger: logger)
        let expired = Int(try await expiredRows.first(as: Int64.self) ?? 0)
        let promotedRows = try await client.query("""
            WITH promoted AS (
                UPDATE sweep.jobs j
                SET state = CASE WHEN j.failures >= j.max_attempts THEN 'dead'::sweep.job_state ELSE 'queued'::sweep.job_state END,
                    finished_at = CASE WHEN j.failures >= j.max_attempts THEN now() ELSE NULL END
                WHERE j.id IN (
                    SELECT id FROM sweep.jobs
                    WHERE state = 'failed' AND (scheduled_at <= now() OR failures >= max_attempts)
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING j.state
            )
            SELECT count(*) FILTER (WHERE state = 'queued')::bigint, count(*) FILTER (WHERE state = 'dead')::bigint FROM promoted
            """, logger: logger)
        var result = ReclaimResult(expired: expired, requeued: 0, dead: 0)
        for try await (requeued, dead) in promotedRows.decode((Int64, Int64).self) {
            result.requeued = Int(requeued)
            result.dead = Int(dead)
        }
        if result.requeued > 0 { try await client.query("SELECT pg_notify('sweep_jobs', 'retry')", logger: logger) }
        return result
    }
}
