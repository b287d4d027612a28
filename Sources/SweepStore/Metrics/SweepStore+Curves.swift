import Logging
import PostgresNIO
public import SweepCore

/// The curve of one metric of one job, as recorded.
public struct RecordedCurve: Sendable, Hashable {
    /// Job id.
    public var job: Int64
    /// The job's state.
    public var state: JobState
    /// The attempt the points come from (the job's latest attempt that reported any).
    public var attempt: Int
    /// Steps, increasing.
    public var steps: [Int64]
    /// Values at those steps.
    public var values: [Double]
    /// Seconds from the attempt's start to each point's recording (NaN where unknown): the
    /// compute the run had used at that point, for cost-aware stopping.
    public var costs: [Double]
}

/// A stop decision to store.
public struct StopDecisionRecord: Sendable, Hashable {
    /// The sweep.
    public var sweep: Int64
    /// The job.
    public var job: Int64
    /// The attempt judged.
    public var attempt: Int
    /// The policy's name.
    public var policy: String
    /// The step of the report judged.
    public var step: Int64
    /// `continue` or `stop`.
    public var decision: String
    /// A sentence for people.
    public var reason: String
    /// The evidence as a JSON object.
    public var evidenceJSON: String

    /// Creates a record.
    public init(sweep: Int64, job: Int64, attempt: Int, policy: String, step: Int64, decision: String, reason: String, evidenceJSON: String) {
        self.sweep = sweep
        self.job = job
        self.attempt = attempt
        self.policy = policy
        self.step = step
        self.decision = decision
        self.reason = reason
        self.evidenceJSON = evidenceJSON
    }
}

extension SweepStore {
    /// Every job's curve of `metric` in a sweep, in job order (the order the jobs were
    /// queued), each from the job's latest attempt that reported the metric. Jobs that never
    /// reported it are left out.
    public func curves(sweep id: Int64, metric: String) async throws -> [RecordedCurve] {
        let rows = try await client.query("""
            WITH latest AS (
                SELECT m.job_id, max(m.attempt) AS attempt
                FROM sweep.metrics m JOIN sweep.jobs j ON j.id = m.job_id
                WHERE j.sweep_id = \(id) AND m.name = \(metric)
                GROUP BY m.job_id
            )
            SELECT j.id, j.state::text, l.attempt, array_agg(m.step ORDER BY m.step), array_agg(m.value ORDER BY m.step),
                   array_agg(coalesce(extract(epoch FROM m.recorded_at - a.started_at)::float8, 'NaN'::float8) ORDER BY m.step)
            FROM latest l
            JOIN sweep.jobs j ON j.id = l.job_id
            JOIN sweep.metrics m ON m.job_id = l.job_id AND m.attempt = l.attempt AND m.name = \(metric)
            LEFT JOIN sweep.attempts a ON a.job_id = l.job_id AND a.attempt = l.attempt
            GROUP BY j.id, j.state, l.attempt
            ORDER BY j.id
            """, logger: logger)
        var curves: [RecordedCurve] = []
        for try await (job, state, attempt, steps, values, costs) in rows.decode((Int64, String, Int32, [Int64], [Double], [Double]).self) {
            curves.append(RecordedCurve(job: job, state: JobState(rawValue: state) ?? .cancelled, attempt: Int(attempt), steps: steps, values: values, costs: costs))
        }
        return curves
    }

    /// Seconds since each attempt (a job and its attempt number) started, by the database's
    /// clock, by job (attempts it does not know are left out): where a run's compute so far
    /// is measured from.
    public func secondsSinceStart(of attempts: [(job: Int64, attempt: Int)]) async throws -> [Int64: Double] {
        guard !attempts.isEmpty else { return [:] }
        let rows = try await client.query("""
            SELECT a.job_id, a.attempt, extract(epoch FROM now() - a.started_at)::float8
            FROM unnest(\(attempts.map(\.job))::bigint[], \(attempts.map { Int32($0.attempt) })::integer[]) AS k(job_id, attempt)
            JOIN sweep.attempts a ON a.job_id = k.job_id AND a.attempt = k.attempt
            """, logger: logger)
        var elapsed: [Int64: Double] = [:]
        for try await (job, _, seconds) in rows.decode((Int64, Int32, Double).self) {
            elapsed[job] = seconds
        }
        return elapsed
    }

    /// Stores decisions in one statement.
    public func recordStopDecisions(_ decisions: [StopDecisionRecord]) async throws {
        guard !decisions.isEmpty else { return }
        try await client.query("""
            INSERT INTO sweep.stop_decisions (sweep_id, job_id, attempt, policy, step, decision, reason, evidence)
            SELECT * FROM unnest(\(decisions.map(\.sweep))::bigint[], \(decisions.map(\.job))::bigint[],
                                 \(decisions.map { Int32($0.attempt) })::integer[], \(decisions.map(\.policy))::text[],
                                 \(decisions.map(\.step))::bigint[], \(decisions.map(\.decision))::text[],
                                 \(decisions.map(\.reason))::text[], \(decisions.map(\.evidenceJSON))::jsonb[])
            """, logger: logger)
    }
}

extension SweepStore {
    /// The sweep of each job (jobs that do not exist are left out).
    public func sweeps(ofJobs jobs: [Int64]) async throws -> [Int64: Int64] {
        guard !jobs.isEmpty else { return [:] }
        var result: [Int64: Int64] = [:]
        let rows = try await client.query("SELECT id, sweep_id FROM sweep.jobs WHERE id = ANY(\(jobs)::bigint[])", logger: logger)
        for try await (job, sweep) in rows.decode((Int64, Int64).self) { result[job] = sweep }
        return result
    }
}
