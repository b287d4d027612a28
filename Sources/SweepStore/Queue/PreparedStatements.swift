import PostgresNIO

// The statements the coordinator sends for every job, as prepared statements: PostgresNIO
// prepares each once per connection and then only binds and executes it, where an unnamed
// statement is parsed and planned on every call. While slots free up a few at a time the
// coordinator claims and records in small batches, and planning was then a large part of
// the server's work per job (see BENCHMARKS.md).

/// `claimJobs(forSlots:)`: single-slot, GPU-free jobs for one slot owner each, through
/// `sweep.claim_for_slots` (migration 0013), which keeps one generic plan per connection: as
/// a prepared statement of its own the claim was planned again on nearly every call.
///
/// The eligible sweeps (active, with a kernel the workers have) are an array the jobs are
/// filtered by, and an EXISTS is a one-time filter: with no eligible sweep nothing is
/// scanned. The plan reads `jobs_claimable` in order and stops after the jobs needed.
struct ClaimForSlotsStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT lease_owner, id, sweep_id, attempt, params, seed, rung, config_hash, slots, gpus
        FROM \(call { "$\($0)" })
        """

    /// The function call, its parameter n written as `p(n)`; its rows also carry `priority`.
    static func call(_ p: (Int) -> String) -> String {
        "sweep.claim_for_slots(\(p(1))::jsonb, \(p(2))::text[], \(p(3))::text[], \(p(4))::double precision, \(p(5))::text)"
    }
    typealias Row = (String, Int64, Int64, Int32, String, Int64, Int32?, String, Int32, Int32)

    var labelsJSON: String
    var kernels: [String]?
    var owners: [String]
    var host: String
    var leaseSeconds: Double

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        appendBindings(to: &bindings)
        return bindings
    }

    func appendBindings(to bindings: inout PostgresBindings) {
        bindings.append(labelsJSON)
        if let kernels { bindings.append(kernels) } else { bindings.appendNull() }
        bindings.append(owners)
        bindings.append(leaseSeconds)
        bindings.append(host)
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

/// `record(_:)`: many successes, each fenced on its attempt.
struct RecordSuccessesStatement: PostgresPreparedStatement {
    static let sql = """
        WITH \(ctes { "$\($0)" })
        SELECT id FROM changed
        """

    /// The statement's common table expressions, its parameter n written as `p(n)`: `changed`
    /// lists the jobs whose success was recorded.
    static func ctes(_ p: (Int) -> String) -> String {
        """
        input AS (
            SELECT t.*, t.run_ms * interval '1 millisecond' AS run
            FROM unnest(\(p(1))::bigint[], \(p(2))::integer[], \(p(3))::text[], \(p(4))::integer[], \(p(5))::text[], \(p(6))::bigint[])
                AS t(job, attempt, metrics, exit_status, log_tail, run_ms)
        ), changed AS (
            UPDATE sweep.jobs j SET state = 'succeeded', started_at = \(SweepStore.startAtTheLatest),
                finished_at = now(),
                final_metrics = input.metrics::jsonb, lease_owner = NULL, lease_expires_at = NULL
            FROM input
            WHERE j.id = input.job AND j.attempt = input.attempt AND j.state::text IN ('leased', 'running')
            RETURNING j.id, j.attempt
        ), closed AS (
            UPDATE sweep.attempts a SET ended_at = now(), outcome = 'succeeded', exit_status = input.exit_status,
                log_tail = nullif(input.log_tail, '')
            FROM changed JOIN input ON input.job = changed.id AND input.attempt = changed.attempt
            WHERE a.job_id = changed.id AND a.attempt = changed.attempt
        )
        """
    }
    typealias Row = Int64

    var jobs: [Int64]
    var attempts: [Int32]
    var metrics: [String]
    var exitStatuses: [Int32]
    var logTails: [String]
    /// The workers' run times in milliseconds, 0 where not known.
    var runMilliseconds: [Int64]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        appendBindings(to: &bindings)
        return bindings
    }

    func appendBindings(to bindings: inout PostgresBindings) {
        bindings.append(jobs)
        bindings.append(attempts)
        bindings.append(metrics)
        bindings.append(exitStatuses)
        bindings.append(logTails)
        bindings.append(runMilliseconds)
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

/// `record(_:andClaim:…)`: `RecordSuccessesStatement` and `ClaimForSlotsStatement` as one
/// statement, so one round trip and one commit where the two take two of each. The rows
/// recorded and the rows claimed are different rows (a claim takes queued jobs, a success
/// ends a leased or running one), so the two parts cannot conflict. Rows with a NULL owner
/// are the jobs whose success was recorded; the others are the claimed jobs, in claim order.
struct RecordAndClaimStatement: PostgresPreparedStatement {
    static let sql = """
        WITH \(RecordSuccessesStatement.ctes { "$\($0)" }),
        claimed AS (SELECT * FROM \(ClaimForSlotsStatement.call { "$\($0 + 6)" }))
        SELECT lease_owner, id, sweep_id, attempt, params, seed, rung, config_hash, slots, gpus FROM (
            SELECT lease_owner, id, sweep_id, attempt, params, seed, rung, config_hash, slots, gpus, priority FROM claimed
            UNION ALL
            SELECT NULL, id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM changed
        ) r
        ORDER BY lease_owner IS NULL, priority DESC, id
        """
    typealias Row = (String?, Int64, Int64?, Int32?, String?, Int64?, Int32?, String?, Int32?, Int32?)

    var record: RecordSuccessesStatement
    var claim: ClaimForSlotsStatement

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 11)
        record.appendBindings(to: &bindings)
        claim.appendBindings(to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

/// `markRunning(_:)`: leased → running for many attempts.
struct MarkRunningStatement: PostgresPreparedStatement {
    static let sql = """
        UPDATE sweep.jobs j SET state = 'running', started_at = coalesce(j.started_at, now())
        FROM unnest($1::bigint[], $2::integer[]) AS t(job, attempt)
        WHERE j.id = t.job AND j.attempt = t.attempt AND j.state = 'leased'
        """
    typealias Row = ()

    var jobs: [Int64]
    var attempts: [Int32]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(jobs)
        bindings.append(attempts)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

/// `ingest(_:)`'s fast path: a plain INSERT of a batch of points.
struct InsertPointsStatement: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO sweep.metrics (job_id, attempt, step, name, value)
        SELECT * FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::text[], $5::double precision[])
        """
    typealias Row = ()

    var jobs: [Int64]
    var attempts: [Int32]
    var steps: [Int64]
    var names: [String]
    var values: [Double]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(jobs)
        bindings.append(attempts)
        bindings.append(steps)
        bindings.append(names)
        bindings.append(values)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
