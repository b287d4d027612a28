import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Every report quotes the attempt number it was leased under; a superseded attempt changes
/// nothing and is told so.
@Suite("Fencing", .timeLimit(.minutes(1)))
struct FencingTests {
    @Test("reports quoting a superseded or unknown attempt return stale and change nothing")
    func supersededAttemptIsStale() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("fenced", SweepYAML.grid(values: [1], retries: "{max_attempts: 3, backoff: 5m}"))
            let job = try #require(sweep.jobIDs.first)

            // Attempt 1 by w1 is handed back; attempt 2 goes to w2.
            #expect(try await store.claim("w1").map(\.attempt) == [1])
            #expect(try await store.release(job: job, attempt: 1) == .applied)
            let second = try #require(try await store.claim("w2").first)
            #expect(second.id == job && second.attempt == 2)

            let row = try await store.jobRow(job)
            let attempts = try await store.attemptRows(job)
            #expect(row.leaseOwner == "w2" && row.state == .leased)
            #expect(attempts.map(\.outcome) == ["released", nil])

            let reports: [(String, @Sendable (Int) async throws -> ReportOutcome)] = [
                ("markRunning", { try await store.markRunning(job: job, attempt: $0) }),
                ("complete", { try await store.complete(job: job, attempt: $0, finalMetrics: ["val_loss": 0.1]) }),
                ("fail", { try await store.fail(job: job, attempt: $0, end: AttemptEnd(exitStatus: 1, error: "late failure")) }),
                ("stop", { try await store.stop(job: job, attempt: $0, reason: "late stop") }),
                ("release", { try await store.release(job: job, attempt: $0) }),
            ]
            for (name, report) in reports {
                for staleAttempt in [0, 1, 3] {
                    #expect(try await report(staleAttempt) == .stale(state: .leased, attempt: 2), "\(name) with attempt \(staleAttempt)")
                    #expect(try await store.jobRow(job) == row, "\(name) with attempt \(staleAttempt) changed the job")
                    #expect(try await store.attemptRows(job) == attempts, "\(name) with attempt \(staleAttempt) changed an attempt")
                }
            }

            // The current attempt still reports normally, and the superseded one stays stale.
            #expect(try await store.markRunning(job: job, attempt: 2) == .applied)
            #expect(try await store.complete(job: job, attempt: 1) == .stale(state: .running, attempt: 2))
            #expect(try await store.complete(job: job, attempt: 2, finalMetrics: ["val_loss": 0.2], end: AttemptEnd(exitStatus: 0, logTail: "done")) == .applied)
            let finished = try await store.jobRow(job)
            #expect(finished.state == .succeeded && finished.finalMetrics == #"{"val_loss": 0.2}"#)
            let closed = try await store.attemptRows(job)
            #expect(closed.map(\.outcome) == ["released", "succeeded"])
            #expect(closed.map(\.worker) == ["w1", "w2"])
            #expect(closed.last?.exitStatus == 0)
        }
    }

    @Test("a worker whose lease expired and was retried elsewhere is fenced off")
    func expiredLeaseIsFenced() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("expired", SweepYAML.grid(values: [1], retries: "{max_attempts: 3, backoff: 100ms}"))
            let job = try #require(sweep.jobIDs.first)
            #expect(try await store.claim("slow", lease: .milliseconds(100)).map(\.attempt) == [1])
            try await Task.sleep(for: .milliseconds(200))
            let first = try await store.reclaimExpiredLeases()
            #expect(first.expired == 1)
            try await Task.sleep(for: .milliseconds(200))
            // On a loaded machine the first pass may already have found the backoff passed.
            #expect(try await first.requeued + store.reclaimExpiredLeases().requeued == 1)
            #expect(try await store.claim("fast").map(\.attempt) == [2])

            // The slow worker comes back and reports: nothing changes.
            let before = try await store.jobRow(job)
            #expect(try await store.complete(job: job, attempt: 1, finalMetrics: ["val_loss": 9]) == .stale(state: .leased, attempt: 2))
            #expect(try await store.renewLeases(worker: "slow", leaseDuration: .seconds(60)) == 0)
            #expect(try await store.jobRow(job) == before)
            #expect(try await store.attemptRows(job).map(\.outcome) == ["expired", nil])
        }
    }
}
