public import Foundation
import Logging
import PostgresNIO

/// One sweep's progress, from the `sweep_progress` view.
public struct SweepProgress: Sendable, Hashable {
    public var sweep: String
    public var state: String
    public var total: Int
    public var queued: Int
    /// Claimed for a worker and not yet started: sent, or kept ready for one of its slots.
    public var assigned: Int = 0
    /// Started by a worker.
    public var running: Int
    public var succeeded: Int
    public var retrying: Int
    public var stopped: Int
    public var cancelled: Int
    public var dead: Int
    /// Seconds since the first job started; once every job has ended, from the first start
    /// to the last end (so a finished sweep's rate does not fall as time passes).
    public var elapsedSeconds: Double?

    /// Jobs that will not run again.
    public var done: Int { succeeded + stopped + cancelled + dead }
    /// Whether every job has ended.
    public var isFinished: Bool { done == total }
}

/// One attempt of a job, from `sweep.attempts`.
public struct AttemptRecord: Sendable, Hashable {
    public var attempt: Int
    public var worker: String
    public var host: String?
    public var startedAt: Date
    public var endedAt: Date?
    public var outcome: String?
    public var exitStatus: Int?
    public var error: String?
    public var logTail: String?
}

extension SweepStore {
    /// Progress of one sweep, or of every sweep (newest first).
    public func progress(sweep name: String? = nil) async throws -> [SweepProgress] {
        let rows = try await client.query("""
            SELECT sweep, state, total, queued, running, succeeded, retrying, stopped, cancelled, dead,
                   extract(epoch FROM CASE WHEN queued + assigned + running + retrying = 0 THEN coalesce(last_finished_at, now()) ELSE now() END
                                       - first_started_at)::double precision, assigned
            FROM public.sweep_progress
            WHERE \(name)::text IS NULL OR sweep = \(name)
            ORDER BY created_at DESC
            """, logger: logger)
        var result: [SweepProgress] = []
        for try await row in rows.decode((String, String, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Double?, Int64).self) {
            result.append(SweepProgress(
                sweep: row.0, state: row.1, total: Int(row.2), queued: Int(row.3), assigned: Int(row.11), running: Int(row.4), succeeded: Int(row.5),
                retrying: Int(row.6), stopped: Int(row.7), cancelled: Int(row.8), dead: Int(row.9), elapsedSeconds: row.10))
        }
        if let name, result.isEmpty { throw StoreError(.unknownSweep, "no sweep named '\(name)'") }
        return result
    }

    /// A job's state, or nil when there is no such job.
    public func jobState(_ job: Int64) async throws -> String? {
        let rows = try await client.query("SELECT state::text FROM sweep.jobs WHERE id = \(job)", logger: logger)
        return try await rows.first(as: String.self)
    }

    /// Every attempt of a job, oldest first, with its log tail.
    public func attempts(ofJob job: Int64) async throws -> [AttemptRecord] {
        let rows = try await client.query("""
            SELECT attempt, worker, host, started_at, ended_at, outcome, exit_status, error, log_tail
            FROM sweep.attempts WHERE job_id = \(job) ORDER BY attempt
            """, logger: logger)
        var result: [AttemptRecord] = []
        for try await row in rows.decode((Int32, String, String?, Date, Date?, String?, Int32?, String?, String?).self) {
            result.append(AttemptRecord(attempt: Int(row.0), worker: row.1, host: row.2, startedAt: row.3, endedAt: row.4,
                                        outcome: row.5, exitStatus: row.6.map(Int.init), error: row.7, logTail: row.8))
        }
        return result
    }
}
