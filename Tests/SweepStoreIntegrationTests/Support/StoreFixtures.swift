import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Sweep files for tests: a grid over `x` with the given values and extras.
enum SweepYAML {
    /// A grid sweep over `x` (one job per value), with optional `resources`, `retries`,
    /// `priority` and metric.
    static func grid(
        values: [Int] = [1, 2, 3],
        metric: String = "val_loss", goal: String = "minimize",
        priority: Int = 0,
        resources: String? = nil,
        retries: String? = nil
    ) -> String {
        var text = """
            program: train.py
            method: grid
            metric: {name: \(metric), goal: \(goal)}
            priority: \(priority)
            parameters:
              x:
                values: [\(values.map(String.init).joined(separator: ", "))]

            """
        if let resources { text += "resources: \(resources)\n" }
        if let retries { text += "retries: \(retries)\n" }
        return text
    }
}

/// A sweep as submitted by a test: its record and its job ids in expansion order.
struct SubmittedSweep: Sendable {
    var record: SweepRecord
    var jobIDs: [Int64]
    var name: String { record.name }
}

/// A job row as the tests inspect it.
struct JobRow: Equatable, Sendable {
    var state: JobState
    var attempt: Int
    var failures: Int
    var leaseOwner: String?
    var leaseExpiresAt: Bool
    var finishedAt: Bool
    var finalMetrics: String?
    var stopReason: String?
    var error: String?
    var scheduledAt: Double
}

/// An attempt row.
struct AttemptRow: Equatable, Sendable {
    var attempt: Int
    var worker: String
    var host: String?
    var ended: Bool
    var outcome: String?
    var exitStatus: Int?
    var error: String?
}

/// A `CancelledLease` in a form tests can build (the store's type has no public initializer).
struct Revoked: Equatable, Sendable {
    var job: Int64
    var attempt: Int
    var worker: String

    init(job: Int64, attempt: Int, worker: String) {
        self.job = job
        self.attempt = attempt
        self.worker = worker
    }

    init(_ lease: CancelledLease) {
        self.init(job: lease.job, attempt: lease.attempt, worker: lease.worker)
    }
}

/// Runs blocking or CPU-heavy work on a Dispatch thread instead of one of the few threads
/// of Swift's cooperative pool (two on a two-core machine), which every test shares.
func runOffPool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Swift.Result { try work() })
        }
    }
}

extension ReclaimResult {
    /// Expired, requeued and dead, for comparing (the store's type has no public initializer).
    var counts: [Int] { [expired, requeued, dead] }
}

extension SweepStore {
    /// Parses, expands and enqueues a sweep, as `sweep submit` does.
    func submit(_ name: String, _ yaml: String) async throws -> SubmittedSweep {
        // Expansion is CPU work for seconds on big sweeps: keep it off the cooperative pool
        // so that the tests running beside it are not starved.
        let (spec, jobs) = try await runOffPool {
            let spec = try SweepFile.parse(text: yaml, file: "\(name).yaml").spec
            return (spec, try Expander.expand(spec).jobs)
        }
        let record = try await enqueue(name: name, sourceFile: "\(name).yaml", yaml: yaml, spec: spec, jobs: jobs)
        var ids: [Int64] = []
        for try await id in try await client.query("SELECT id FROM sweep.jobs WHERE sweep_id = \(record.id) ORDER BY position").decode(Int64.self) {
            ids.append(id)
        }
        return SubmittedSweep(record: record, jobIDs: ids)
    }

    /// Runs a statement and discards its rows.
    func execute(_ query: PostgresQuery) async throws {
        try await client.query(query)
    }

    /// The first column of the first row, or nil when there is no row.
    func scalar<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type) async throws -> T? {
        var result: T?
        for try await value in try await client.query(query).decode(T.self) where result == nil {
            result = value
        }
        return result
    }

    /// The row of one job.
    func jobRow(_ id: Int64) async throws -> JobRow {
        let rows = try await client.query("""
            SELECT state::text, attempt, failures, lease_owner, lease_expires_at IS NOT NULL, finished_at IS NOT NULL,
                   final_metrics::text, stop_reason, error, extract(epoch FROM scheduled_at)::float8
            FROM sweep.jobs WHERE id = \(id)
            """)
        for try await (state, attempt, failures, owner, leased, finished, metrics, reason, error, scheduled)
            in rows.decode((String, Int32, Int32, String?, Bool, Bool, String?, String?, String?, Double).self) {
            return JobRow(
                state: try #require(JobState(rawValue: state)), attempt: Int(attempt), failures: Int(failures),
                leaseOwner: owner, leaseExpiresAt: leased, finishedAt: finished, finalMetrics: metrics,
                stopReason: reason, error: error, scheduledAt: scheduled)
        }
        throw TestDatabase.Unavailable(description: "job \(id) does not exist")
    }

    /// The state of one job.
    func state(of id: Int64) async throws -> JobState {
        try await jobRow(id).state
    }

    /// The attempt rows of one job, in order.
    func attemptRows(_ id: Int64) async throws -> [AttemptRow] {
        var result: [AttemptRow] = []
        let rows = try await client.query("""
            SELECT attempt, worker, host, ended_at IS NOT NULL, outcome, exit_status, error
            FROM sweep.attempts WHERE job_id = \(id) ORDER BY attempt
            """)
        for try await (attempt, worker, host, ended, outcome, exit, error) in rows.decode((Int32, String, String?, Bool, String?, Int32?, String?).self) {
            result.append(AttemptRow(attempt: Int(attempt), worker: worker, host: host, ended: ended, outcome: outcome,
                                     exitStatus: exit.map(Int.init), error: error))
        }
        return result
    }

    /// Claims jobs as a worker with plenty of room.
    func claim(_ worker: String = "w1", limit: Int = 1, slots: Int = 64, gpus: Int = 0, labels: [String: String] = [:],
               lease: Duration = .seconds(60)) async throws -> [ClaimedJob] {
        try await claimJobs(limit: limit, for: WorkerCapacity(worker: worker, host: "\(worker).host", freeSlots: slots, freeGPUs: gpus, labels: labels),
                            leaseDuration: lease)
    }
}

extension Error {
    /// The SQLSTATE of a server error, if this is one.
    var sqlState: String? { (self as? PSQLError)?.serverInfo?[.sqlState] }
    /// The server's message, if this is a server error.
    var serverMessage: String? { (self as? PSQLError)?.serverInfo?[.message] }
}
