import Foundation
import PostgresNIO
import SweepStore
import Testing

/// The claim's plan depends on sweep.jobs' statistics; the coordinator analyzes the table when
/// many jobs arrived since they were taken.
@Suite("Queue statistics", .timeLimit(.minutes(1)))
struct QueueStatisticsTests {
    @Test("before its first ANALYZE the watch counts every modification, afterwards only new rows")
    func watchCountsNewRows() {
        var watch = QueueStatisticsWatch(minimumRows: 1_000, fraction: 0.1)
        // Never analyzed by anyone: 5,000 rows inserted since.
        let fresh = QueueStatisticsAge(inserted: 5_000, modifiedSinceAnalyze: 5_000, estimatedRows: -1)
        #expect(watch.isStale(fresh))
        watch.analyzed(after: fresh)
        #expect(watch.rowsSinceAnalyze(fresh) == 0)
        // 10,000 claims and results later (updates) and 400 new jobs: fresh enough.
        let busy = QueueStatisticsAge(inserted: 5_400, modifiedSinceAnalyze: 10_400, estimatedRows: 5_000)
        #expect(watch.rowsSinceAnalyze(busy) == 400)
        #expect(!watch.isStale(busy))
        // 1,500 more than the planner knows of 5,000: beyond 1,000 + 10 %.
        let grown = QueueStatisticsAge(inserted: 6_501, modifiedSinceAnalyze: 12_000, estimatedRows: 5_000)
        #expect(watch.isStale(grown))
        // The relative part: 100,000 known rows tolerate 11,000 new ones.
        let large = QueueStatisticsAge(inserted: 5_000 + 10_999, modifiedSinceAnalyze: 0, estimatedRows: 100_000)
        #expect(!watch.isStale(large))
        // Analyzed at once on news of a 20,000-job submit whose rows the counts do not show
        // yet: the next read (which shows them) is what that ANALYZE saw, not new rows.
        var early = QueueStatisticsWatch()
        early.analyzedEarly(after: QueueStatisticsAge(inserted: 100, modifiedSinceAnalyze: 100, estimatedRows: 0))
        let first = early.check(QueueStatisticsAge(inserted: 20_100, modifiedSinceAnalyze: 20_100, estimatedRows: 20_100))
        #expect(!first)
        #expect(early.rowsSinceAnalyze(QueueStatisticsAge(inserted: 20_100, modifiedSinceAnalyze: 0, estimatedRows: 20_100)) == 0)
        // Later submits count as usual.
        let later = early.check(QueueStatisticsAge(inserted: 23_300, modifiedSinceAnalyze: 0, estimatedRows: 20_100))
        #expect(later)
        // Someone else analyzed the table before the watch ever did: only what changed since counts.
        let other = QueueStatisticsWatch()
        #expect(!other.isStale(QueueStatisticsAge(inserted: 1_000_000, modifiedSinceAnalyze: 900, estimatedRows: 1_000_000)))
    }

    @Test("a large submit leaves the statistics stale until refreshQueueStatistics analyzes the jobs")
    func submitMakesStatisticsStale() async throws {
        try await TestDatabase.withStore { store in
            // Autovacuum, which the test server runs often, could analyze the table between the
            // submit and the checks below (seen once: nothing then was stale, rightly).
            try await store.execute("ALTER TABLE sweep.jobs SET (autovacuum_enabled = false)")
            _ = try await store.submit("many", SweepYAML.grid(values: Array(1...3_000)))
            // Backends report their counts when idle, within a second or so; a new one at once.
            var age = try #require(try await store.queueStatisticsAge())
            let deadline = ContinuousClock.now + .seconds(20)
            while age.inserted < 3_000, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                age = try #require(try await store.queueStatisticsAge())
            }
            #expect(age.inserted >= 3_000)
            var watch = QueueStatisticsWatch()
            #expect(watch.isStale(age), "\(age)")

            try await store.refreshQueueStatistics()
            watch.analyzed(after: age)
            let after = try #require(try await store.queueStatisticsAge())
            #expect(!watch.isStale(after), "\(after)")
            #expect(after.estimatedRows >= 2_900, "the planner now knows the jobs: \(after)")
            // An ANALYZE of some columns leaves n_mod_since_analyze as it was (autovacuum still
            // analyzes the whole table later): the watch must count inserts, not that.
            #expect(after.modifiedSinceAnalyze >= 3_000)
        }
    }
}
