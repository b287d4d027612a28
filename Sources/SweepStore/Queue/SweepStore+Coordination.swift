import Foundation
import Logging
import PostgresNIO
public import SweepCore

/// A worker as the coordinator registers it.
public struct WorkerRecord: Sendable, Hashable {
    /// Unique id (also its ZeroMQ routing id).
    public var id: String
    /// Host name.
    public var host: String
    /// Slots it offers.
    public var slots: Int
    /// GPU indices it offers.
    public var gpus: [Int]
    /// Labels.
    public var labels: [String: String]
    /// Kernels it can run.
    public var kernels: [String]

    /// Creates a record.
    public init(id: String, host: String, slots: Int, gpus: [Int], labels: [String: String], kernels: [String]) {
        self.id = id
        self.host = host
        self.slots = slots
        self.gpus = gpus
        self.labels = labels
        self.kernels = kernels
    }
}

/// A finished attempt as a worker reports it, for batched recording.
public struct AttemptReport: Sendable, Hashable {
    /// How it ended.
    public enum Outcome: String, Sendable, Hashable {
        case succeeded, failed, stopped, released
    }

    /// Job id.
    public var job: Int64
    /// The attempt (fencing token).
    public var attempt: Int
    /// How it ended.
    public var outcome: Outcome
    /// Last value of each metric.
    public var finalMetrics: [String: Double]
    /// Exit status, error, log tail.
    public var end: AttemptEnd
    /// For stopped jobs: why.
    public var stopReason: String?

    /// Creates a report.
    public init(job: Int64, attempt: Int, outcome: Outcome, finalMetrics: [String: Double] = [:], end: AttemptEnd = AttemptEnd(), stopReason: String? = nil) {
        self.job = job
        self.attempt = attempt
        self.outcome = outcome
        self.finalMetrics = finalMetrics
        self.end = end
        self.stopReason = stopReason
    }
}

/// A job leased to a worker, as the database has it.
public struct HeldLease: Sendable, Hashable {
    /// The lease owner (worker id).
    public var owner: String
    /// Job id.
    public var job: Int64
    /// The attempt the lease belongs to.
    public var attempt: Int
    /// Whether the worker reported it started (running rather than leased).
    public var started: Bool
}

extension SweepStore {
    /// The current leases of these workers: every job leased or running under their names.
    public func leases(heldBy workers: [String]) async throws -> [HeldLease] {
        guard !workers.isEmpty else { return [] }
        let rows = try await client.query("""
            SELECT lease_owner, id, attempt, state = 'running' FROM sweep.jobs
            WHERE lease_owner = ANY(\(workers)::text[]) AND state IN ('leased', 'running')
            """, logger: logger)
        var leases: [HeldLease] = []
        for try await (owner, job, attempt, started) in rows.decode((String, Int64, Int32, Bool).self) {
            leases.append(HeldLease(owner: owner, job: job, attempt: Int(attempt), started: started))
        }
        return leases
    }

    /// Records a worker's arrival (or return).
    public func registerWorker(_ worker: WorkerRecord) async throws {
        try await registerWorkers([worker])
    }

    /// `registerWorker` for many workers in one statement (workers joining together: a start, a
    /// coordinator restart). A worker listed twice is recorded as its last entry says.
    public func registerWorkers(_ workers: [WorkerRecord]) async throws {
        var latest: [String: WorkerRecord] = [:]
        for worker in workers { latest[worker.id] = worker }
        guard !latest.isEmpty else { return }
        let rows = ParamValue.array(latest.values.map { worker in
            .object([
                "id": .string(worker.id), "host": .string(worker.host), "slots": .int(Int64(worker.slots)), "gpus": .int(Int64(worker.gpus.count)),
                "labels": .object(worker.labels.mapValues { .string($0) }), "kernels": .array(worker.kernels.map { .string($0) }),
            ])
        }).canonicalJSON
        try await client.query("""
            INSERT INTO sweep.workers (id, host, slots, gpus, labels, kernels, state, started_at, last_seen_at)
            SELECT w.id, w.host, w.slots, w.gpus, w.labels, ARRAY(SELECT jsonb_array_elements_text(w.kernels)), 'alive', now(), now()
            FROM jsonb_to_recordset(\(rows)::jsonb) AS w(id text, host text, slots integer, gpus integer, labels jsonb, kernels jsonb)
            ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, slots = EXCLUDED.slots, gpus = EXCLUDED.gpus,
                labels = EXCLUDED.labels, kernels = EXCLUDED.kernels, state = 'alive', last_seen_at = now()
            """, logger: logger)
    }

    /// Marks a worker draining or gone.
    public func setWorkerState(_ worker: String, to state: String) async throws {
        try await client.query("UPDATE sweep.workers SET state = \(state), last_seen_at = now() WHERE id = \(worker)", logger: logger)
    }

    /// Extends the leases of every listed worker, in one statement; returns how many. Leases
    /// whose rows are being changed at that moment are left for the next renewal.
    @discardableResult
    public func renewLeases(workers: [String], leaseDuration: Duration) async throws -> Int {
        guard !workers.isEmpty else { return 0 }
        let rows = try await client.query("""
            WITH held AS (
                -- Rows another statement is changing right now (a result being recorded) are
                -- skipped: they miss one renewal of many, and two multi-row updates taking
                -- the same rows in different orders could otherwise deadlock.
                SELECT id FROM sweep.jobs
                WHERE lease_owner = ANY(\(workers)::text[]) AND state IN ('leased', 'running')
                FOR UPDATE SKIP LOCKED
            ), renewed AS (
                UPDATE sweep.jobs j SET lease_expires_at = now() + make_interval(secs => \(leaseDuration.seconds))
                FROM held WHERE j.id = held.id AND j.state IN ('leased', 'running')
                RETURNING 1
            ), seen AS (
                UPDATE sweep.workers SET last_seen_at = now() WHERE id = ANY(\(workers)::text[])
            )
            SELECT count(*)::bigint FROM renewed
            """, logger: logger)
        return Int(try await rows.first(as: Int64.self) ?? 0)
    }

    /// A worker presumed dead: its leases expire now, so the next reclamation retries its
    /// jobs elsewhere (after their backoff).
    @discardableResult
    public func expireLeases(ofWorker worker: String) async throws -> Int {
        let rows = try await client.query("""
            WITH expired AS (
                UPDATE sweep.jobs SET lease_expires_at = now() - interval '1 millisecond'
                WHERE lease_owner = \(worker) AND state IN ('leased', 'running')
                RETURNING 1
            ), gone AS (
                UPDATE sweep.workers SET state = 'gone' WHERE id = \(worker)
            )
            SELECT count(*)::bigint FROM expired
            """, logger: logger)
        return Int(try await rows.first(as: Int64.self) ?? 0)
    }

    /// Records many finished attempts. Successes go in one fenced statement; the rare other
    /// outcomes one by one. Returns one outcome per report, in order.
    public func record(_ reports: [AttemptReport]) async throws -> [ReportOutcome] {
        var outcomes = [ReportOutcome](repeating: .applied, count: reports.count)
        if let (successes, statement) = Self.successesStatement(reports) {
            let rows = try await client.execute(statement, logger: logger)
            var applied = Set<Int64>()
            for try await id in rows { applied.insert(id) }
            Self.markStale(successes, of: reports, notIn: applied, in: &outcomes)
        }
        try await recordOthers(reports, into: &outcomes)
        return outcomes
    }

    /// The indices of the successes among `reports` and the statement that records them; nil
    /// when there are none.
    static func successesStatement(_ reports: [AttemptReport]) -> (indices: [Int], statement: RecordSuccessesStatement)? {
        let successes = reports.indices.filter { reports[$0].outcome == .succeeded }
        guard !successes.isEmpty else { return nil }
        return (successes, RecordSuccessesStatement(
            jobs: successes.map { reports[$0].job },
            attempts: successes.map { Int32(reports[$0].attempt) },
            metrics: successes.map { ParamValue.object(reports[$0].finalMetrics.mapValues { $0.isFinite ? .double($0) : .null }).canonicalJSON },
            exitStatuses: successes.map { Int32(truncatingIfNeeded: reports[$0].end.exitStatus ?? 0) },
            logTails: successes.map { reports[$0].end.logTail ?? "" },
            runMilliseconds: successes.map { max(0, reports[$0].end.runMilliseconds ?? 0) }))
    }

    /// A success the statement did not apply was superseded (fenced out) or already recorded.
    static func markStale(_ successes: [Int], of reports: [AttemptReport], notIn applied: Set<Int64>, in outcomes: inout [ReportOutcome]) {
        for index in successes where !applied.contains(reports[index].job) {
            outcomes[index] = .stale(state: nil, attempt: nil)
        }
    }

    /// Records the reports that are not successes, one fenced statement each.
    func recordOthers(_ reports: [AttemptReport], into outcomes: inout [ReportOutcome]) async throws {
        for (index, report) in reports.enumerated() where report.outcome != .succeeded {
            switch report.outcome {
            case .failed: outcomes[index] = try await fail(job: report.job, attempt: report.attempt, end: report.end)
            case .stopped: outcomes[index] = try await stop(job: report.job, attempt: report.attempt, reason: report.stopReason ?? "stopped", end: report.end)
            case .released: outcomes[index] = try await release(job: report.job, attempt: report.attempt)
            case .succeeded: break
            }
        }
    }

    /// Marks many attempts running (leased → running), in one statement.
    public func markRunning(_ attempts: [(job: Int64, attempt: Int)]) async throws {
        guard !attempts.isEmpty else { return }
        let jobs = attempts.map(\.job), numbers = attempts.map { Int32($0.attempt) }
        for try await _ in try await client.execute(MarkRunningStatement(jobs: jobs, attempts: numbers), logger: logger) {}
    }

    /// Of the given attempts, those whose job no longer runs under that attempt (cancelled,
    /// or taken over after an expired lease): the workers running them must stop.
    public func supersededAttempts(_ attempts: [(job: Int64, attempt: Int)]) async throws -> [(job: Int64, attempt: Int, state: JobState)] {
        guard !attempts.isEmpty else { return [] }
        let jobs = attempts.map(\.job), numbers = attempts.map { Int32($0.attempt) }
        let rows = try await client.query("""
            SELECT t.job, t.attempt, j.state::text
            FROM unnest(\(jobs)::bigint[], \(numbers)::integer[]) AS t(job, attempt)
            JOIN sweep.jobs j ON j.id = t.job
            WHERE j.attempt <> t.attempt OR j.state NOT IN ('leased', 'running')
            """, logger: logger)
        var result: [(job: Int64, attempt: Int, state: JobState)] = []
        for try await (job, attempt, state) in rows.decode((Int64, Int32, String).self) {
            result.append((job, Int(attempt), JobState(rawValue: state) ?? .cancelled))
        }
        return result
    }

    /// The spec of a sweep, as stored when it was submitted.
    public func spec(ofSweep id: Int64) async throws -> SweepSpec {
        let rows = try await client.query("SELECT spec::text FROM sweep.sweeps WHERE id = \(id)", logger: logger)
        guard let text = try await rows.first(as: String.self) else {
            throw StoreError(.unknownSweep, "no sweep with id \(id)")
        }
        return try JSONDecoder().decode(SweepSpec.self, from: Data(text.utf8))
    }
}
