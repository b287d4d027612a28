import Foundation
import Logging
import PostgresNIO
public import SweepCore

/// A sweep as stored.
public struct SweepRecord: Sendable, Hashable {
    /// Database id.
    public var id: Int64
    /// Unique name.
    public var name: String
    /// Number of jobs enqueued.
    public var jobCount: Int
    /// The per-sweep view with one column per parameter.
    public var resultsView: String
}

extension SweepStore {
    /// Rows per INSERT when enqueueing: large enough to amortize round trips, small enough
    /// to keep each statement's memory modest.
    public static let enqueueBatchSize = 10_000

    /// Stores a sweep and all its jobs in one transaction: the sweep appears whole or not at
    /// all. A duplicate name, or a duplicate (configuration hash, seed), refuses everything.
    public func enqueue(name: String, sourceFile: String?, yaml: String, spec: SweepSpec, jobs: [JobSpec]) async throws -> SweepRecord {
        let specJSON = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        let labelsJSON = ParamValue.object(spec.resources.labels.mapValues { .string($0) }).canonicalJSON
        let heldFromRung = Int32(Self.heldFromRung(spec) ?? Int(Int32.max))
        do {
            return try await client.withTransaction(logger: logger) { connection in
                // The duplicate check (a tenth of a second per 100,000 jobs) runs while the
                // batches go in; the transaction commits only once it has found none.
                async let duplicate = Self.firstDuplicate(in: jobs)
                let inserted = try await connection.query("""
                    INSERT INTO sweep.sweeps (name, source_file, yaml, spec, method, metric_name, metric_goal, priority, job_count, kernel)
                    VALUES (\(name), \(sourceFile), \(yaml), \(specJSON)::jsonb, \(spec.method.rawValue), \(spec.metric?.name),
                            \(spec.metric?.goal.rawValue), \(spec.priority), \(jobs.count), \(spec.kernel?.name))
                    RETURNING id
                    """, logger: logger).first(as: Int64.self)
                guard let sweepID = inserted else { throw StoreError(.unknownSweep, "the sweep row was not created") }

                var start = 0
                while start < jobs.count {
                    let batch = jobs[start..<min(start + Self.enqueueBatchSize, jobs.count)]
                    let positions = batch.map { Int32($0.index) }
                    let params = batch.map(\.canonicalParams)
                    let hashes = batch.map(\.configHash)
                    let seeds = batch.map(\.seed)
                    let rungs = batch.map { Int32($0.rung ?? -1) }
                    try await connection.query("""
                        INSERT INTO sweep.jobs (sweep_id, position, params, config_hash, seed, rung, priority, max_attempts,
                                                backoff_ms, max_backoff_ms, slots, gpus, labels, scheduled_at)
                        SELECT \(sweepID), t.position, t.params::jsonb, t.hash, t.seed, NULLIF(t.rung, -1), \(spec.priority),
                               \(spec.retries.maxAttempts), \(spec.retries.backoff.milliseconds), \(spec.retries.maxBackoff.milliseconds),
                               \(spec.resources.slots), \(spec.resources.gpus), \(labelsJSON)::jsonb,
                               CASE WHEN t.rung >= \(heldFromRung) THEN 'infinity'::timestamptz ELSE now() END
                        FROM unnest(\(positions)::integer[], \(params)::text[], \(hashes)::text[], \(seeds)::bigint[], \(rungs)::integer[])
                             AS t(position, params, hash, seed, rung)
                        """, logger: logger)
                    start += Self.enqueueBatchSize
                }
                if let job = await duplicate {
                    throw StoreError(.duplicateJob, "configuration \(job.configHash.prefix(12)) with seed \(job.seed) appears twice in sweep '\(name)'; each configuration runs once per seed")
                }
                let view = try await createResultsView(sweepID: sweepID, name: name, spec: spec, on: connection)
                try await connection.query("SELECT pg_notify('sweep_jobs', \("sweep \(sweepID) \(jobs.count)"))", logger: logger)
                return SweepRecord(id: sweepID, name: name, jobCount: jobs.count, resultsView: view)
            }
        } catch let error as PostgresTransactionError {
            throw Self.translate(error.closureError ?? error.beginError ?? error.commitError ?? error, sweep: name)
        }
    }

    /// Rungs an adaptive ladder runs before its first fit (at least; see `heldFromRung`): the
    /// jobs of later rungs are held (queued with `scheduled_at = infinity`) and released one
    /// rung at a time while the fit has not converged (`releaseNextRung`).
    public static let adaptiveLadderFirstRungs = 3

    /// The first held rung of a sweep: an adaptive ladder runs `adaptiveLadderFirstRungs`
    /// rungs, or as many as give its three-parameter law four points (four rungs of one seed),
    /// before anything is held; nil when nothing is held.
    static func heldFromRung(_ spec: SweepSpec) -> Int? {
        guard let ladder = spec.ladder, ladder.maxIntervalWidth != nil else { return nil }
        let seeds = max(spec.seeds.count, 1)
        let first = max(adaptiveLadderFirstRungs, (4 + seeds - 1) / seeds)
        return ladder.rungs.count > first ? first : nil
    }

    /// Jobs in one submit from which the coordinator refreshes the queue's statistics.
    public static let largeSweepJobs = 1_000

    /// The sweep id and job count of a `sweep_jobs` notification sent by `enqueue`, nil for
    /// the other wake-ups (`resume`, `retry`).
    public static func newSweep(inNotification payload: String) -> (sweep: Int64, jobs: Int)? {
        let parts = payload.split(separator: " ")
        guard parts.count == 3, parts[0] == "sweep", let id = Int64(parts[1]), let jobs = Int(parts[2]) else { return nil }
        return (id, jobs)
    }

    /// Analyzes the columns of sweep.jobs the claim's plan depends on (about 0.1 s with
    /// 100,000 jobs, a third of a full ANALYZE, which also samples the params). Right after
    /// a large submit the planner still holds the statistics of the queue before it, and
    /// picks a plan that fetches and sorts every queued job of the sweep for each claim
    /// (10 ms instead of 0.1 ms with 10,000 queued: Benchmarks/store/claim-plan.sh) until
    /// autovacuum analyzes the table, up to a minute later. The coordinator calls this when
    /// it hears of a sweep of `largeSweepJobs` or more; `enqueue` does not, to keep the
    /// submit itself short.
    public func refreshQueueStatistics() async throws {
        try await client.query("ANALYZE sweep.jobs (sweep_id, state, priority, scheduled_at, slots, gpus, labels)", logger: logger)
    }

    /// The first job whose (configuration hash, seed) an earlier job already has.
    static func firstDuplicate(in jobs: [JobSpec]) async -> JobSpec? {
        var seen = Set<String>(minimumCapacity: jobs.count)
        for job in jobs where !seen.insert("\(job.configHash)/\(job.seed)").inserted {
            return job
        }
        return nil
    }

    static func translate(_ error: any Error, sweep name: String) -> any Error {
        guard let error = error as? PSQLError, error.sqlState == "23505" else { return error }
        if error.constraintName == "sweeps_name_key" {
            return StoreError(.duplicateSweep, "a sweep named '\(name)' already exists; choose another name (sweep submit --name NAME)")
        }
        return StoreError(.duplicateJob, "sweep '\(name)' would run a configuration twice with the same seed: \(error.serverMessage)")
    }

    /// `results_<name>`: the `results` view of one sweep with one typed column per parameter.
    private func createResultsView(sweepID: Int64, name: String, spec: SweepSpec, on connection: PostgresConnection) async throws -> String {
        var slug = String(name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        slug = String(slug.prefix(40))
        var view = "results_\(slug)"
        let taken = try await connection.query("SELECT to_regclass(\("public.\"" + view + "\"")) IS NOT NULL", logger: logger)
            .first(as: Bool.self) ?? false
        if taken { view += "_\(sweepID)" }

        var columns: [(path: [String], type: String)] = spec.parameters.map { ($0.path, Self.sqlType(of: $0.distribution)) }
        if let ladder = spec.ladder {
            columns += ladder.sizeParameters.map { ([$0], "double precision") }
            if let budget = ladder.budgetParameter { columns.append(([budget], "double precision")) }
        }
        // A parameter named like one of the view's own columns gets a "param." prefix.
        let fixedColumns: Set<String> = ["sweep", "job_id", "seed", "rung", "state", "objective", "final_value", "best_value",
                                         "final_step", "duration", "attempts", "stop_reason", "config_hash"]
        var select = "r.sweep, r.job_id, r.seed"
        if spec.ladder != nil { select += ", r.rung" }
        for column in columns {
            let pathLiteral = "'{" + column.path.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
                .joined(separator: ",").replacingOccurrences(of: "'", with: "''") + "}'"
            let expression = column.type == "jsonb" ? "r.params #> \(pathLiteral)" : "(r.params #>> \(pathLiteral))::\(column.type)"
            let columnName = column.path.joined(separator: ".")
            select += ", \(expression) AS \(Self.quoteIdentifier(fixedColumns.contains(columnName) ? "param.\(columnName)" : columnName))"
        }
        select += ", r.state, r.objective, r.final_value, r.best_value, r.final_step, r.duration, r.attempts, r.stop_reason, r.config_hash"
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE VIEW public.\(Self.quoteIdentifier(view)) AS SELECT \(select) FROM public.results r WHERE r.sweep_id = \(sweepID)"), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "GRANT SELECT ON public.\(Self.quoteIdentifier(view)) TO sweep_reader"), logger: logger)
        return view
    }

    /// The column type a parameter's values fit.
    static func sqlType(of distribution: Distribution) -> String {
        func type(of values: [ParamValue]) -> String {
            if values.allSatisfy({ if case .int = $0 { true } else { false } }) { return "bigint" }
            if values.allSatisfy({ $0.numberValue != nil }) { return "double precision" }
            if values.allSatisfy({ $0.stringValue != nil }) { return "text" }
            if values.allSatisfy({ if case .bool = $0 { true } else { false } }) { return "boolean" }
            return "jsonb"
        }
        switch distribution {
        case .constant(let value): return type(of: [value])
        case .categorical(let values, _): return type(of: values)
        case .intUniform: return "bigint"
        default: return "double precision"
        }
    }

    /// A double-quoted SQL identifier.
    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
