import Foundation
import Logging
import PostgresNIO
import SweepCore

/// One metric value of one job's attempt at one step.
public struct MetricPoint: Sendable, Hashable {
    /// Job id.
    public var job: Int64
    /// The attempt that produced it.
    public var attempt: Int
    /// Training step (or epoch, or samples seen: whatever the program counts).
    public var step: Int64
    /// Metric name.
    public var name: String
    /// Value.
    public var value: Double

    /// Creates a point.
    public init(job: Int64, attempt: Int, step: Int64, name: String, value: Double) {
        self.job = job
        self.attempt = attempt
        self.step = step
        self.name = name
        self.value = value
    }
}

extension SweepStore {
    /// Largest batch sent in one statement.
    public static let metricBatchSize = 20_000

    /// Stores points in batches, idempotently on (job, attempt, name, step): a retransmitted
    /// batch is not counted twice. Non-finite values are skipped (PostgreSQL would store
    /// them, but no curve fit can use them). Returns the number of new rows.
    ///
    /// Each batch is first sent as a plain INSERT, the fast path for points seen once; only a
    /// batch the server refuses for a duplicate key (a retransmission after a lost
    /// acknowledgement, or a point repeated within the batch) is sent again with
    /// `ON CONFLICT DO NOTHING`, whose check would cost about a third of the rate on every
    /// batch. The refused statement changes nothing: each call runs on its own.
    @discardableResult
    public func ingest(_ points: [MetricPoint]) async throws -> Int {
        var inserted = 0
        var start = 0
        while start < points.count {
            let batch = points[start..<min(start + Self.metricBatchSize, points.count)].filter { $0.value.isFinite }
            start += Self.metricBatchSize
            guard !batch.isEmpty else { continue }
            let jobs = batch.map(\.job), attempts = batch.map { Int32($0.attempt) }
            let steps = batch.map(\.step), names = batch.map(\.name), values = batch.map(\.value)
            do {
                let insert = InsertPointsStatement(jobs: jobs, attempts: attempts, steps: steps, names: names, values: values)
                for try await _ in try await client.execute(insert, logger: logger) {}
                inserted += batch.count
            } catch let error as PSQLError where error.sqlState == "23505" {
                let rows = try await client.query("""
                    WITH added AS (
                        INSERT INTO sweep.metrics (job_id, attempt, step, name, value)
                        SELECT * FROM unnest(\(jobs)::bigint[], \(attempts)::integer[], \(steps)::bigint[], \(names)::text[], \(values)::double precision[])
                        ON CONFLICT DO NOTHING
                        RETURNING 1
                    )
                    SELECT count(*)::bigint FROM added
                    """, logger: logger)
                inserted += Int(try await rows.first(as: Int64.self) ?? 0)
            }
        }
        return inserted
    }
}
