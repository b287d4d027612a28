import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Leases expire unless renewed; failed attempts are retried after exponential backoff with
/// jitter, and a job with no attempt left is dead.
@Suite("Leases and retries", .timeLimit(.minutes(1)))
struct LeaseTests {
    /// The delay the store chose for the retry after `attempt`: scheduled_at minus the moment
    /// the attempt was closed (both set by the same statement, so `now()` is the same).
    private static func retryDelay(_ store: SweepStore, job: Int64, attempt: Int) async throws -> Double {
        try #require(try await store.scalar("""
            SELECT extract(epoch FROM j.scheduled_at - a.ended_at)::float8
            FROM sweep.jobs j JOIN sweep.attempts a ON a.job_id = j.id AND a.attempt = \(attempt)
            WHERE j.id = \(job)
            """, as: Double.self))
    }

    /// Whether the database's clock is still before `moment` (an expression over the job `j`
    /// and its attempt `a`). Checks that something has not happened yet are only sound while
    /// this holds: on a loaded machine the time may have passed before the check ran.
    private static func stillBefore(_ moment: String, _ store: SweepStore, job: Int64, attempt: Int) async throws -> Bool {
        try await store.scalar(PostgresQuery(unsafeSQL: """
            SELECT clock_timestamp() < \(moment)
            FROM sweep.jobs j JOIN sweep.attempts a ON a.job_id = j.id AND a.attempt = \(attempt)
            WHERE j.id = \(job)
            """), as: Bool.self) ?? false
    }

    /// Sleeps until every failed job of the database is due, plus a margin.
    private static func waitForBackoff(_ store: SweepStore) async throws {
        let remaining = try await store.scalar(
            "SELECT coalesce(extract(epoch FROM max(scheduled_at) - clock_timestamp()), 0)::float8 FROM sweep.jobs WHERE state = 'failed'",
            as: Double.self) ?? 0
        try await Task.sleep(for: .milliseconds(Int(max(remaining, 0) * 1000) + 50))
    }

    @Test("an expired lease is retried after 0.5–1 × backoff, and the job is dead when its attempts are spent")
    func expiryRetryAndDeath() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("retry", SweepYAML.grid(values: [1], retries: "{max_attempts: 2, backoff: 500ms}"))
            let job = try #require(sweep.jobIDs.first)
            let lease = Duration.milliseconds(400)
            // Totals over every pass: on a loaded machine a pass may come later than planned
            // and find more to do, so timing-dependent checks are guarded by the clock.
            var total = [0, 0, 0]
            func reclaim() async throws -> [Int] {
                let counts = try await store.reclaimExpiredLeases().counts
                total = zip(total, counts).map { $0 + $1 }
                return counts
            }

            #expect(try await store.claim("w1", lease: lease).map(\.attempt) == [1])
            let early = try await reclaim()
            if try await Self.stillBefore("a.started_at + interval '400 milliseconds'", store, job: job, attempt: 1) {
                #expect(early == [0, 0, 0], "the lease has not expired yet")
            }
            try await Task.sleep(for: lease + .milliseconds(150))

            _ = try await reclaim()
            #expect(total[0] == 1 && total[2] == 0)
            let failed = try await store.jobRow(job)
            #expect(failed.failures == 1 && failed.attempt == 1)
            #expect(failed.leaseOwner == nil && !failed.leaseExpiresAt)
            #expect(failed.error?.contains("lease expired: worker w1") == true)
            let delay = try await Self.retryDelay(store, job: job, attempt: 1)
            #expect(delay >= 0.25 && delay <= 0.5, "first retry after \(delay) s; expected 0.5–1 × 500 ms")
            #expect(try await store.attemptRows(job).map(\.outcome) == ["expired"])

            // Not before its time: a failed job is never claimed, and stays failed until due.
            if try await Self.stillBefore("j.scheduled_at", store, job: job, attempt: 1) {
                #expect(total[1] == 0 && failed.state == .failed)
            }
            if try await store.state(of: job) == .failed {
                #expect(try await store.claim("w2").isEmpty)
            }
            let requeuedEarly = try await reclaim()[1]
            if try await Self.stillBefore("j.scheduled_at", store, job: job, attempt: 1) {
                #expect(requeuedEarly == 0)
                #expect(try await store.state(of: job) == .failed)
            }

            try await Self.waitForBackoff(store)
            _ = try await reclaim()
            #expect(total == [1, 1, 0])
            let requeued = try await store.jobRow(job)
            #expect(requeued.state == .queued && !requeued.finishedAt)

            // The second and last attempt expires too: dead at once, no backoff.
            #expect(try await store.claim("w2", lease: lease).map(\.attempt) == [2])
            try await Task.sleep(for: lease + .milliseconds(150))
            #expect(try await reclaim() == [1, 0, 1])
            let dead = try await store.jobRow(job)
            #expect(dead.state == .dead && dead.failures == 2 && dead.attempt == 2 && dead.finishedAt)
            #expect(try await store.attemptRows(job).map(\.outcome) == ["expired", "expired"])
            #expect(try await store.attemptRows(job).map(\.worker) == ["w1", "w2"])
            #expect(try await store.claim("w3").isEmpty)
            #expect(try await reclaim() == [0, 0, 0])
            #expect(try await store.scalar("SELECT dead FROM sweep_progress WHERE sweep = 'retry'", as: Int64.self) == 1)
        }
    }

    @Test("reported failures back off exponentially with jitter; the last one makes the job dead")
    func failuresBackOffExponentially() async throws {
        try await TestDatabase.withStore { store in
            let count = 20
            let sweep = try await store.submit("backoff", SweepYAML.grid(values: Array(1...count), retries: "{max_attempts: 3, backoff: 500ms}"))

            for (attempt, ceiling) in [(1, 0.5), (2, 1.0)] {
                let claimed = try await store.claim(limit: count)
                #expect(claimed.count == count && claimed.allSatisfy { $0.attempt == attempt })
                for job in claimed {
                    #expect(try await store.fail(job: job.id, attempt: attempt, end: AttemptEnd(exitStatus: 1, error: "diverged")) == .applied)
                }
                var delays: [Double] = []
                for job in sweep.jobIDs {
                    delays.append(try await Self.retryDelay(store, job: job, attempt: attempt))
                    #expect(try await store.state(of: job) == .failed)
                }
                #expect(delays.allSatisfy { $0 >= ceiling / 2 && $0 <= ceiling }, "retry \(attempt): \(delays); expected within [\(ceiling / 2), \(ceiling)] s")
                #expect(Set(delays).count > count / 2, "retry delays are not jittered: \(delays)")
                try await Self.waitForBackoff(store)
                #expect(try await store.reclaimExpiredLeases().requeued == count)
            }

            // The third failure is the last allowed attempt: dead without waiting.
            let last = try await store.claim(limit: count)
            #expect(last.count == count && last.allSatisfy { $0.attempt == 3 })
            for job in last {
                #expect(try await store.fail(job: job.id, attempt: 3, end: AttemptEnd(exitStatus: 1, error: "diverged")) == .applied)
                let row = try await store.jobRow(job.id)
                #expect(row.state == .dead && row.failures == 3 && row.finishedAt && row.error == "diverged")
            }
            #expect(try await store.attemptRows(last[0].id).map(\.outcome) == ["failed", "failed", "failed"])
            #expect(try await store.attemptRows(last[0].id).map(\.exitStatus) == [1, 1, 1])
        }
    }

    @Test("renewing a worker's leases keeps its jobs past the first expiry; other workers' leases lapse")
    func renewalKeepsLeases() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.submit("renew", SweepYAML.grid(values: [1, 2, 3]))
            let lease = Duration.milliseconds(400)
            let kept = try await store.claim("steady", limit: 2, lease: lease)
            let lost = try await store.claim("silent", limit: 1, lease: lease)
            #expect(kept.count == 2 && lost.count == 1)
            #expect(try await store.markRunning(job: kept[1].id, attempt: 1) == .applied)

            #expect(try await store.renewLeases(worker: "steady", leaseDuration: .seconds(60)) == 2)
            try await Task.sleep(for: lease + .milliseconds(150))
            #expect(try await store.reclaimExpiredLeases().expired == 1)
            #expect(try await store.state(of: kept[0].id) == .leased)
            #expect(try await store.state(of: kept[1].id) == .running)
            #expect(try await store.state(of: lost[0].id) == .failed)
            #expect(try await store.renewLeases(worker: "silent", leaseDuration: .seconds(60)) == 0)
        }
    }
}
