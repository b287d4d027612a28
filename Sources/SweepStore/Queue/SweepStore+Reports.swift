import Foundation
import Logging
import PostgresNIO
public import SweepCore

/// What became of a report about a job.
public enum ReportOutcome: Sendable, Equatable {
    /// The report changed the job.
    case applied
    /// The report came from a superseded attempt, or the job has already moved on: nothing
    /// changed. Carries the job's current state and attempt (nil for an unknown job).
    case stale(state: JobState?, attempt: Int?)
}

/// How a finished attempt ended, as a worker reports it.
public struct AttemptEnd: Sendable, Hashable {
    /// Process exit status, when there was a process.
    public var exitStatus: Int?
    /// What went wrong, for failures.
    public var error: String?
    /// The last lines of output, bounded by the worker.
    public var logTail: String?
    /// How long it ran by its worker's clock, in milliseconds, when the worker said. A job
    /// whose start was not recorded before its end (its STARTED came with its RESULT, or not
    /// at all) is given the start its end minus this, instead of a duration of zero.
    public var runMilliseconds: Int64?

    /// Creates an attempt end.
    public init(exitStatus: Int? = nil, error: String? = nil, logTail: String? = nil, runMilliseconds: Int64? = nil) {
        self.runMilliseconds = runMilliseconds
        self.exitStatus = exitStatus
        self.error = error
        self.logTail = logTail
    }
}

extension SweepStore {
    /// The worker started the attempt (leased → running).
    public func markRunning(job: Int64, attempt: Int) async throws -> ReportOutcome {
        try await report(job: job, attempt: attempt, from: [.leased], set: "state = 'running', started_at = coalesce(started_at, now())",
                         payload: nil, attemptOutcome: nil, end: AttemptEnd())
    }

    /// A job's start when its end is recorded (`j` the job, `input.run` the worker's measure of
    /// the attempt's run, zero when not known): at the latest the end minus that run, so that a
    /// STARTED not recorded, or recorded late (held up by a busy coordinator), gives way to it.
    static let startAtTheLatest = "least(coalesce(j.started_at, 'infinity'), now() - input.run)"

    /// The attempt succeeded; `finalMetrics` is the last value of each metric.
    public func complete(job: Int64, attempt: Int, finalMetrics: [String: Double] = [:], end: AttemptEnd = AttemptEnd()) async throws -> ReportOutcome {
        let metrics = ParamValue.object(finalMetrics.mapValues { $0.isFinite ? .double($0) : .null }).canonicalJSON
        return try await report(
            job: job, attempt: attempt, from: [.leased, .running],
            set: "state = 'succeeded', started_at = \(Self.startAtTheLatest), finished_at = now(), final_metrics = input.payload::jsonb",
            payload: metrics, attemptOutcome: "succeeded", end: end)
    }

    /// A stopping policy ended the attempt early; the curve is kept.
    public func stop(job: Int64, attempt: Int, reason: String, end: AttemptEnd = AttemptEnd()) async throws -> ReportOutcome {
        try await report(
            job: job, attempt: attempt, from: [.leased, .running],
            set: "state = 'stopped', started_at = \(Self.startAtTheLatest), finished_at = now(), stop_reason = input.payload",
            payload: reason, attemptOutcome: "stopped", end: end)
    }

    /// Undoes claims whose ASSIGN never went out (jobs a coordinator claimed ahead for a
    /// worker and kept), in one statement: each job still leased under that attempt is queued
    /// again with its attempt number back where it was, and the attempt's row is deleted, so
    /// that `attempts` counts only attempts a worker was given. Safe because no worker ever
    /// heard of these attempt numbers. Returns how many were undone; the others (ended,
    /// cancelled, superseded meanwhile) are left as they are.
    @discardableResult
    public func unclaim(_ attempts: [(job: Int64, attempt: Int)]) async throws -> Int {
        guard !attempts.isEmpty else { return 0 }
        let jobs = attempts.map(\.job), numbers = attempts.map { Int32($0.attempt) }
        let rows = try await client.query("""
            WITH input AS (
                SELECT * FROM unnest(\(jobs)::bigint[], \(numbers)::integer[]) AS t(job, attempt)
            ), changed AS (
                UPDATE sweep.jobs j SET state = 'queued', attempt = j.attempt - 1, lease_owner = NULL, lease_expires_at = NULL,
                    scheduled_at = now()
                FROM input
                WHERE j.id = input.job AND j.attempt = input.attempt AND j.state = 'leased'
                RETURNING j.id, input.attempt
            ), gone AS (
                DELETE FROM sweep.attempts a USING changed
                WHERE a.job_id = changed.id AND a.attempt = changed.attempt
            )
            SELECT count(*)::bigint FROM changed
            """, logger: logger)
        return Int(try await rows.first(as: Int64.self) ?? 0)
    }

    /// The worker hands the job back unused (graceful shutdown): queued again at once, no
    /// failure counted.
    public func release(job: Int64, attempt: Int) async throws -> ReportOutcome {
        try await report(job: job, attempt: attempt, from: [.leased, .running], set: "state = 'queued', scheduled_at = now()",
                         payload: nil, attemptOutcome: "released", end: AttemptEnd())
    }

    /// The attempt failed: retried after exponential backoff with jitter while attempts
    /// remain, else dead.
    public func fail(job: Int64, attempt: Int, end: AttemptEnd) async throws -> ReportOutcome {
        let outcome = try await report(
            job: job, attempt: attempt, from: [.leased, .running],
            set: "state = 'failed', failures = j.failures + 1, error = input.payload, " + Self.retrySchedule,
            payload: end.error ?? "failed", attemptOutcome: "failed", end: end)
        if outcome == .applied { try await promoteFailed(job: job) }
        return outcome
    }

    /// When the next attempt may start: initial·2^(failures), capped, times a uniform factor
    /// in [0.5, 1] (equal jitter); `failures` is the count before this failure.
    static let retrySchedule = """
        scheduled_at = now() + make_interval(secs => least(j.backoff_ms * power(2, least(j.failures, 40)), j.max_backoff_ms)
                                                     * (0.5 + random() / 2) / 1000.0)
        """

    /// One fenced update: applies only while the job is in one of `from` with this attempt.
    /// `assignments` is fixed SQL of this file; every value from outside travels as a bind
    /// (`input.payload`, the attempt's error and log tail). The state test compares text, not
    /// the enum: written on the enum it implies the predicate of the partial index of leases
    /// (`jobs_leases`), which the planner may then scan whole instead of the primary key
    /// (29 ms a call with 100,000 leases out and statistics from before the claims).
    private func report(job: Int64, attempt: Int, from states: [JobState], set assignments: String, payload: String?,
                        attemptOutcome: String?, end: AttemptEnd) async throws -> ReportOutcome {
        let allowed = states.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let lease = assignments.hasPrefix("state = 'running'") ? "" : ", lease_owner = NULL, lease_expires_at = NULL"
        let exitStatus = end.exitStatus.map(Int32.init(truncatingIfNeeded:))
        let query: PostgresQuery = """
            WITH input AS (SELECT \(payload)::text AS payload, coalesce(\(end.runMilliseconds)::bigint, 0) * interval '1 millisecond' AS run),
            changed AS (
                UPDATE sweep.jobs j SET \(unescaped: assignments)\(unescaped: lease)
                FROM input
                WHERE j.id = \(job) AND j.attempt = \(attempt) AND j.state::text IN (\(unescaped: allowed))
                RETURNING j.id, j.attempt
            ), closed AS (
                UPDATE sweep.attempts a SET ended_at = now(), outcome = \(attemptOutcome)::text,
                    exit_status = \(exitStatus)::integer, error = \(end.error)::text, log_tail = \(end.logTail)::text
                FROM changed
                WHERE \(attemptOutcome)::text IS NOT NULL AND a.job_id = changed.id AND a.attempt = changed.attempt
            )
            SELECT (SELECT count(*) FROM changed)::bigint, j.state::text, j.attempt
            FROM (SELECT 1) one LEFT JOIN sweep.jobs j ON j.id = \(job)
            """
        let rows = try await client.query(query, logger: logger)
        for try await (changed, state, currentAttempt) in rows.decode((Int64, String?, Int32?).self) {
            if changed > 0 { return .applied }
            return .stale(state: state.flatMap(JobState.init(rawValue:)), attempt: currentAttempt.map(Int.init))
        }
        return .stale(state: nil, attempt: nil)
    }

    /// failed → dead for a job with no attempt left (the machine's `exhaust` event).
    private func promoteFailed(job: Int64) async throws {
        try await client.query("""
            UPDATE sweep.jobs SET state = 'dead', finished_at = now()
            WHERE id = \(job) AND state = 'failed' AND failures >= max_attempts
            """, logger: logger)
    }
}
