import Foundation
import PostgresNIO
import Testing

/// What a sweep left in PostgreSQL, counted for "every point once, none lost, none doubled".
struct MetricAudit: Sendable, CustomStringConvertible {
    /// Jobs of the sweep.
    var jobs = 0
    /// Metric rows of each job's latest attempt.
    var finalAttemptRows = 0
    /// Distinct (job, step, name) among them: equal to the rows when nothing is doubled.
    var distinctFinalPoints = 0
    /// Jobs whose latest attempt does not have exactly the expected number of rows.
    var jobsWithWrongCount = 0
    /// Rows of latest attempts with a step or a name the program never reports.
    var unexpectedRows = 0
    /// Rows of earlier attempts (retried jobs).
    var earlierAttemptRows = 0
    /// Jobs with more than one attempt.
    var retriedJobs = 0
    /// Attempts recorded as succeeded: one per job when nothing was doubled.
    var succeededAttempts = 0
    /// Distinct workers that ran an attempt.
    var workers = 0
    /// How the earlier attempts of retried jobs ended (`expired: 4, released: 1`).
    var earlierOutcomes = ""

    var description: String {
        "jobs \(jobs), final rows \(finalAttemptRows) (distinct \(distinctFinalPoints)), jobs with a wrong count \(jobsWithWrongCount), "
            + "unexpected rows \(unexpectedRows), earlier-attempt rows \(earlierAttemptRows), retried jobs \(retriedJobs), "
            + "succeeded attempts \(succeededAttempts), workers \(workers), earlier attempts [\(earlierOutcomes)]"
    }
}

extension Cluster {
    /// Counts the metrics of a sweep whose every job reports steps 0..<steps of `names`.
    func auditMetrics(sweep: Int64, steps: Int, names: [String]) async throws -> MetricAudit {
        let perJob = steps * names.count
        let query: PostgresQuery = """
            WITH jobs AS (SELECT id, attempt FROM sweep.jobs WHERE sweep_id = \(sweep)),
            final AS (
                SELECT m.* FROM sweep.metrics m JOIN jobs ON m.job_id = jobs.id AND m.attempt = jobs.attempt
            ),
            per_job AS (
                SELECT jobs.id, (SELECT count(*) FROM final WHERE final.job_id = jobs.id) AS points FROM jobs
            )
            SELECT
                (SELECT count(*) FROM jobs)::bigint,
                (SELECT count(*) FROM final)::bigint,
                (SELECT count(DISTINCT (job_id, step, name)) FROM final)::bigint,
                (SELECT count(*) FROM per_job WHERE points <> \(perJob))::bigint,
                (SELECT count(*) FROM final WHERE step < 0 OR step >= \(steps) OR NOT (name = ANY(\(names)::text[])))::bigint,
                (SELECT count(*) FROM sweep.metrics m JOIN jobs ON m.job_id = jobs.id AND m.attempt <> jobs.attempt)::bigint,
                (SELECT count(*) FROM jobs WHERE attempt > 1)::bigint,
                (SELECT count(*) FROM sweep.attempts a JOIN jobs ON a.job_id = jobs.id WHERE a.outcome = 'succeeded')::bigint,
                (SELECT count(DISTINCT a.worker) FROM sweep.attempts a JOIN jobs ON a.job_id = jobs.id)::bigint,
                coalesce((SELECT string_agg(outcome || ': ' || n, ', ') FROM (
                    SELECT coalesce(a.outcome, 'open') AS outcome, count(*) AS n FROM sweep.attempts a
                    JOIN jobs ON a.job_id = jobs.id AND a.attempt < jobs.attempt GROUP BY 1) o), '')
            """
        var audit = MetricAudit()
        let rows = try await client.query(query, logger: Self.logger)
        for try await (jobs, final, distinct, wrong, unexpected, earlier, retried, succeeded, workers, outcomes)
            in rows.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, String).self) {
            audit = MetricAudit(
                jobs: Int(jobs), finalAttemptRows: Int(final), distinctFinalPoints: Int(distinct), jobsWithWrongCount: Int(wrong),
                unexpectedRows: Int(unexpected), earlierAttemptRows: Int(earlier), retriedJobs: Int(retried),
                succeededAttempts: Int(succeeded), workers: Int(workers), earlierOutcomes: outcomes)
        }
        return audit
    }

    /// Expects every job of the sweep to have succeeded exactly once with all its points.
    func expectComplete(sweep: Int64, jobs: Int, steps: Int, names: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> MetricAudit {
        let audit = try await auditMetrics(sweep: sweep, steps: steps, names: names)
        #expect(audit.jobs == jobs, "\(audit)", sourceLocation: sourceLocation)
        #expect(audit.finalAttemptRows == jobs * steps * names.count, "\(audit)", sourceLocation: sourceLocation)
        #expect(audit.distinctFinalPoints == audit.finalAttemptRows, "\(audit)", sourceLocation: sourceLocation)
        #expect(audit.jobsWithWrongCount == 0, "\(audit)", sourceLocation: sourceLocation)
        #expect(audit.unexpectedRows == 0, "\(audit)", sourceLocation: sourceLocation)
        #expect(audit.succeededAttempts == jobs, "\(audit)", sourceLocation: sourceLocation)
        return audit
    }
}
