import PostgresNIO

/// How far the planner's statistics of sweep.jobs lag behind its rows, as the server's
/// cumulative statistics say.
public struct QueueStatisticsAge: Sendable, Equatable {
    /// Rows ever inserted into sweep.jobs (`n_tup_ins`).
    public var inserted: Int64
    /// Rows inserted, updated or deleted since the table was last analyzed (`n_mod_since_analyze`).
    public var modifiedSinceAnalyze: Int64
    /// The row count the planner believes (`reltuples`; negative: never analyzed).
    public var estimatedRows: Double

    public init(inserted: Int64, modifiedSinceAnalyze: Int64, estimatedRows: Double) {
        self.inserted = inserted
        self.modifiedSinceAnalyze = modifiedSinceAnalyze
        self.estimatedRows = estimatedRows
    }
}

/// Decides when the claim's statistics are stale enough to analyze sweep.jobs again.
///
/// What goes wrong with stale statistics is specific: after many jobs were inserted (a large
/// submit, or jobs enqueued while no coordinator ran, so that no notification announced
/// them), the planner underestimates the queued jobs of a sweep and fetches and sorts all of
/// them for every claim (63 ms per claim with 100,000 queued in `sweep bench dispatch`,
/// against a fraction of a millisecond) until autovacuum analyzes the table, a minute or
/// more later. So the watch counts rows inserted since the last ANALYZE it ran; before its
/// first one it counts every modification since the table's last ANALYZE, whoever ran it.
/// (It cannot rely on `n_mod_since_analyze` afterwards: an ANALYZE of some columns, as
/// `refreshQueueStatistics` runs, leaves that counter as it was.)
/// Updates are not counted afterwards: a job's claim and result change its state but move
/// the estimates toward fewer queued jobs, for which the planner's choice is the right one.
public struct QueueStatisticsWatch: Sendable, Equatable {
    /// Rows inserted when this watch last analyzed; nil before its first ANALYZE.
    public private(set) var insertedAtAnalyze: Int64?
    /// New rows beyond `minimumRows + fraction × the rows the planner believes` make the
    /// statistics stale.
    public var minimumRows: Int64
    public var fraction: Double

    public init(minimumRows: Int64 = 1_000, fraction: Double = 0.1) {
        self.minimumRows = minimumRows
        self.fraction = fraction
    }

    /// Rows added since the statistics were taken, as far as this watch can tell.
    public func rowsSinceAnalyze(_ age: QueueStatisticsAge) -> Int64 {
        insertedAtAnalyze.map { max(0, age.inserted - $0) } ?? age.modifiedSinceAnalyze
    }

    /// Whether sweep.jobs should be analyzed now.
    public func isStale(_ age: QueueStatisticsAge) -> Bool {
        let threshold = Double(minimumRows) + fraction * max(age.estimatedRows, 0)
        return Double(rowsSinceAnalyze(age)) > threshold
    }

    /// The next age read sets the count of rows inserted at the last ANALYZE (see `analyzedEarly`).
    public private(set) var awaitsCount = false

    /// Notes an ANALYZE run after `age` was read.
    public mutating func analyzed(after age: QueueStatisticsAge) {
        insertedAtAnalyze = age.inserted
        awaitsCount = false
    }

    /// Notes an ANALYZE run at once on news of a large submit, when the server's counts may
    /// not include the new rows yet (a backend reports them when idle, up to a second or more
    /// later): the next age read is taken as the state the ANALYZE saw, instead of counting
    /// the submit's rows as new and analyzing again.
    public mutating func analyzedEarly(after age: QueueStatisticsAge) {
        insertedAtAnalyze = age.inserted
        awaitsCount = true
    }

    /// Whether sweep.jobs should be analyzed now; after `analyzedEarly`, first takes `age` as
    /// what that ANALYZE saw.
    public mutating func check(_ age: QueueStatisticsAge) -> Bool {
        if awaitsCount {
            insertedAtAnalyze = max(insertedAtAnalyze ?? 0, age.inserted)
            awaitsCount = false
            return false
        }
        return isStale(age)
    }
}

extension SweepStore {
    /// The age of sweep.jobs' statistics (one cheap read of the server's statistics views);
    /// nil when the server keeps none for it.
    public func queueStatisticsAge() async throws -> QueueStatisticsAge? {
        let rows = try await client.query("""
            SELECT s.n_tup_ins, s.n_mod_since_analyze, c.reltuples::float8
            FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE s.relid = 'sweep.jobs'::regclass
            """, logger: logger)
        for try await (inserted, modified, estimated) in rows.decode((Int64, Int64, Double).self) {
            return QueueStatisticsAge(inserted: inserted, modifiedSinceAnalyze: modified, estimatedRows: estimated)
        }
        return nil
    }
}
