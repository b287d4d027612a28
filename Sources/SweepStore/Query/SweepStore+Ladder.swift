public import Foundation
import Logging
import PostgresNIO
public import SweepCore

/// One finished job of a ladder sweep, as a scaling-law fit reads it.
public struct LadderRungResult: Sendable, Hashable {
    /// Job id.
    public var job: Int64
    /// The rung (index into `ladder.rungs`).
    public var rung: Int
    /// The job's seed.
    public var seed: Int64
    /// How it ended (succeeded or stopped).
    public var state: JobState
    /// The values of the ladder's size parameters in the job's parameters.
    public var sizes: [String: ParamValue]
    /// The value of the ladder's budget parameter, when the ladder has one.
    public var budget: Double?
    /// The last value of each metric the job reported (non-finite values are left out).
    public var finalMetrics: [String: Double]

    /// A result.
    public init(job: Int64, rung: Int, seed: Int64, state: JobState, sizes: [String: ParamValue], budget: Double?, finalMetrics: [String: Double]) {
        self.job = job
        self.rung = rung
        self.seed = seed
        self.state = state
        self.sizes = sizes
        self.budget = budget
        self.finalMetrics = finalMetrics
    }
}

/// A ladder fit to store: its JSON documents are prepared by the caller (SweepStore does not
/// know SweepPrediction's types); see migrations/0008_ladder_fits.sql for their shape.
public struct LadderFitRecord: Sendable, Hashable {
    /// The sweep.
    public var sweep: Int64
    /// The fitted metric.
    public var metric: String
    /// The loss law's form.
    public var form: String
    /// The rungs whose results were fitted.
    public var rungsUsed: [Int]
    /// The jobs whose results were fitted.
    public var jobsUsed: [Int64]
    /// The number of fitted points.
    public var points: Int
    /// The law as a JSON object.
    public var lawJSON: String
    /// The goodness of fit as a JSON object.
    public var goodnessJSON: String
    /// The predictions as a JSON array, one element per target.
    public var predictionsJSON: String
    /// The central probability of the intervals.
    public var intervalLevel: Double
    /// Whether every target's interval was within the adaptive width; nil when not adaptive.
    public var converged: Bool?
    /// Reasons to distrust the whole fit.
    public var warnings: [String]

    /// A record.
    public init(
        sweep: Int64, metric: String, form: String, rungsUsed: [Int], jobsUsed: [Int64], points: Int, lawJSON: String,
        goodnessJSON: String, predictionsJSON: String, intervalLevel: Double, converged: Bool?, warnings: [String]
    ) {
        self.sweep = sweep
        self.metric = metric
        self.form = form
        self.rungsUsed = rungsUsed
        self.jobsUsed = jobsUsed
        self.points = points
        self.lawJSON = lawJSON
        self.goodnessJSON = goodnessJSON
        self.predictionsJSON = predictionsJSON
        self.intervalLevel = intervalLevel
        self.converged = converged
        self.warnings = warnings
    }
}

/// A stored ladder fit as read back.
public struct StoredLadderFit: Sendable, Hashable {
    /// The row's id.
    public var id: Int64
    /// When it was fitted.
    public var fittedAt: Date
    /// What was stored.
    public var record: LadderFitRecord
}

extension SweepStore {
    /// The finished (succeeded or stopped) rung jobs of a ladder sweep, by rung then job, with
    /// the values of `ladder`'s size and budget parameters and the jobs' final metrics.
    public func ladderResults(sweep: Int64, ladder: LadderSpec) async throws -> [LadderRungResult] {
        let rows = try await client.query("""
            SELECT id, rung, seed, state::text, params::text, coalesce(final_metrics::text, '{}')
            FROM sweep.jobs
            WHERE sweep_id = \(sweep) AND rung IS NOT NULL AND state IN ('succeeded', 'stopped')
            ORDER BY rung, id
            """, logger: logger)
        var results: [LadderRungResult] = []
        for try await (job, rung, seed, state, paramsText, metricsText) in rows.decode((Int64, Int32, Int64, String, String, String).self) {
            let params = (try? ParamValue(json: paramsText)) ?? .object([:])
            var sizes: [String: ParamValue] = [:]
            for name in ladder.sizeParameters {
                if let value = params[path: [name]] { sizes[name] = value }
            }
            var finals: [String: Double] = [:]
            for (name, value) in (try? ParamValue(json: metricsText))?.objectValue ?? [:] {
                if let number = value.numberValue, number.isFinite { finals[name] = number }
            }
            results.append(LadderRungResult(
                job: job, rung: Int(rung), seed: seed, state: JobState(rawValue: state) ?? .succeeded, sizes: sizes,
                budget: ladder.budgetParameter.flatMap { params[path: [$0]]?.numberValue }, finalMetrics: finals))
        }
        return results
    }

    /// Stores a ladder fit; returns its id.
    @discardableResult
    public func insertLadderFit(_ fit: LadderFitRecord) async throws -> Int64 {
        let rungs = fit.rungsUsed.map { Int32($0) }
        let rows = try await client.query("""
            INSERT INTO sweep.ladder_fits (sweep_id, metric, form, rungs_used, jobs_used, points, law, goodness, predictions,
                                           interval_level, converged, warnings)
            VALUES (\(fit.sweep), \(fit.metric), \(fit.form), \(rungs)::integer[], \(fit.jobsUsed)::bigint[], \(Int32(fit.points)),
                    \(fit.lawJSON)::jsonb, \(fit.goodnessJSON)::jsonb, \(fit.predictionsJSON)::jsonb, \(fit.intervalLevel),
                    \(fit.converged), \(fit.warnings)::text[])
            RETURNING id
            """, logger: logger)
        guard let id = try await rows.first(as: Int64.self) else {
            throw StoreError(.unknownSweep, "the ladder fit of sweep \(fit.sweep) was not stored")
        }
        return id
    }

    /// The newest stored fit of each metric of a sweep, by metric name.
    public func latestLadderFits(sweep: Int64) async throws -> [StoredLadderFit] {
        let rows = try await client.query("""
            SELECT DISTINCT ON (metric) id, fitted_at, metric, form, rungs_used, jobs_used, points, law::text, goodness::text,
                   predictions::text, interval_level, converged, warnings
            FROM sweep.ladder_fits WHERE sweep_id = \(sweep)
            ORDER BY metric, fitted_at DESC, id DESC
            """, logger: logger)
        var fits: [StoredLadderFit] = []
        for try await row in rows.decode((Int64, Date, String, String, [Int32], [Int64], Int32, String, String, String, Double, Bool?, [String]).self) {
            let record = LadderFitRecord(
                sweep: sweep, metric: row.2, form: row.3, rungsUsed: row.4.map(Int.init), jobsUsed: row.5, points: Int(row.6),
                lawJSON: row.7, goodnessJSON: row.8, predictionsJSON: row.9, intervalLevel: row.10, converged: row.11, warnings: row.12)
            fits.append(StoredLadderFit(id: row.0, fittedAt: row.1, record: record))
        }
        return fits
    }

    /// Cancels the jobs of a sweep's rungs above `rung` that wait to run (queued, or failed and
    /// waiting for a retry), with `reason` as their stop reason; jobs a worker holds are left
    /// alone. Returns how many were cancelled.
    @discardableResult
    public func cancelWaitingJobs(sweep: Int64, aboveRung rung: Int, reason: String) async throws -> Int {
        let rows = try await client.query("""
            WITH waiting AS (
                SELECT id FROM sweep.jobs
                WHERE sweep_id = \(sweep) AND rung > \(Int32(rung)) AND state IN ('queued', 'failed')
                FOR UPDATE SKIP LOCKED
            ), cancelled AS (
                UPDATE sweep.jobs j SET state = 'cancelled', finished_at = now(), stop_reason = \(reason)
                FROM waiting WHERE j.id = waiting.id AND j.state IN ('queued', 'failed')
                RETURNING 1
            )
            SELECT count(*)::bigint FROM cancelled
            """, logger: logger)
        return Int(try await rows.first(as: Int64.self) ?? 0)
    }

    /// Releases the next held rung of an adaptive ladder once every released job of the
    /// sweep has ended: the held jobs of the lowest held rung become claimable now. Returns
    /// the rung released and its jobs, or nil when jobs are still unfinished or none is held.
    public func releaseNextRung(sweep: Int64) async throws -> (rung: Int, jobs: Int)? {
        let rows = try await client.query("""
            WITH busy AS (
                SELECT 1 FROM sweep.jobs
                WHERE sweep_id = \(sweep) AND state IN ('queued', 'leased', 'running', 'failed') AND scheduled_at < 'infinity'
                LIMIT 1
            ), next AS (
                SELECT min(rung) AS rung FROM sweep.jobs
                WHERE sweep_id = \(sweep) AND state = 'queued' AND scheduled_at = 'infinity' AND NOT EXISTS (SELECT 1 FROM busy)
            ), released AS (
                UPDATE sweep.jobs j SET scheduled_at = now()
                FROM next WHERE j.sweep_id = \(sweep) AND j.state = 'queued' AND j.scheduled_at = 'infinity' AND j.rung = next.rung
                RETURNING j.rung
            )
            SELECT min(rung), count(*)::bigint FROM released
            """, logger: logger)
        var result: (rung: Int32?, count: Int64) = (nil, 0)
        for try await row in rows.decode((Int32?, Int64).self) { result = row }
        guard let rung = result.rung, result.count > 0 else { return nil }
        let count = result.count
        try await client.query("SELECT pg_notify('sweep_jobs', 'rung')", logger: logger)
        return (Int(rung), Int(count))
    }

    /// Sweeps with ladder rungs held back (adaptive ladders) whose released jobs have all
    /// ended: each is ready for the decision to release the next rung or stop.
    public func sweepsWithHeldRungs() async throws -> [Int64] {
        var sweeps: [Int64] = []
        let rows = try await client.query("""
            SELECT DISTINCT h.sweep_id FROM sweep.jobs h
            WHERE h.state = 'queued' AND h.scheduled_at = 'infinity'
              AND NOT EXISTS (SELECT 1 FROM sweep.jobs b WHERE b.sweep_id = h.sweep_id
                              AND b.state IN ('queued', 'leased', 'running', 'failed') AND b.scheduled_at < 'infinity')
            """, logger: logger)
        for try await sweep in rows.decode(Int64.self) { sweeps.append(sweep) }
        return sweeps
    }
}
