import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Cancelling jobs and sweeps, pausing and resuming sweeps.
@Suite("Cancel, pause and resume", .timeLimit(.minutes(1)))
struct CancelTests {
    @Test("cancelling a leased job returns the lease to revoke, and the worker's later reports are stale")
    func cancelDuringLease() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("cancel-one", SweepYAML.grid(values: [1, 2]))
            let claimed = try await store.claim("w7", limit: 2)
            #expect(claimed.map(\.id) == sweep.jobIDs)
            let (leased, running) = (claimed[0], claimed[1])
            #expect(try await store.markRunning(job: running.id, attempt: 1) == .applied)

            for job in [leased, running] {
                #expect(try await store.cancel(job: job.id).map(Revoked.init) == [Revoked(job: job.id, attempt: 1, worker: "w7")])
                let row = try await store.jobRow(job.id)
                #expect(row.state == .cancelled && row.leaseOwner == nil && !row.leaseExpiresAt && row.finishedAt)
                #expect(row.stopReason == "cancelled")
                #expect(try await store.attemptRows(job.id).map(\.outcome) == ["cancelled"])

                // The worker has not heard yet and reports: nothing changes.
                #expect(try await store.complete(job: job.id, attempt: 1, finalMetrics: ["val_loss": 1]) == .stale(state: .cancelled, attempt: 1))
                #expect(try await store.fail(job: job.id, attempt: 1, end: AttemptEnd(error: "killed")) == .stale(state: .cancelled, attempt: 1))
                #expect(try await store.jobRow(job.id) == row)
                #expect(try await store.cancel(job: job.id).isEmpty)
            }
            #expect(try await store.renewLeases(worker: "w7", leaseDuration: .seconds(60)) == 0)
        }
    }

    @Test("cancelling a sweep cancels its unfinished jobs, revokes its leases, and leaves other sweeps alone")
    func cancelSweep() async throws {
        try await TestDatabase.withStore { store in
            let doomed = try await store.submit("doomed", SweepYAML.grid(values: [1, 2, 3, 4], retries: "{max_attempts: 3, backoff: 5m}"))
            let other = try await store.submit("other", SweepYAML.grid(values: [1], priority: -1))
            let ids = doomed.jobIDs

            // succeeded, failed (waiting to retry), running, queued.
            let claimed = try await store.claim("w1", limit: 3)
            #expect(claimed.map(\.id) == Array(ids[0..<3]))
            #expect(try await store.complete(job: ids[0], attempt: 1) == .applied)
            #expect(try await store.fail(job: ids[1], attempt: 1, end: AttemptEnd(error: "nan")) == .applied)
            #expect(try await store.markRunning(job: ids[2], attempt: 1) == .applied)

            let revoked = try await store.cancelSweep(named: "doomed")
            #expect(revoked.map(Revoked.init) == [Revoked(job: ids[2], attempt: 1, worker: "w1")])
            var states: [JobState] = []
            for id in ids { states.append(try await store.state(of: id)) }
            #expect(states == [.succeeded, .cancelled, .cancelled, .cancelled])
            #expect(try await store.scalar("SELECT state FROM sweep.sweeps WHERE name = 'doomed'", as: String.self) == "cancelled")

            // The other sweep still runs; the cancelled one cannot be resumed.
            #expect(try await store.claim("w1", limit: 10).map(\.id) == other.jobIDs)
            await #expect(throws: StoreError.self) { try await store.resumeSweep(named: "doomed") }
            await #expect(throws: StoreError.self) { try await store.cancelSweep(named: "no-such-sweep") }
        }
    }

    @Test("a paused sweep's jobs are not claimed until it is resumed; its running jobs may finish")
    func pauseAndResume() async throws {
        try await TestDatabase.withStore { store in
            let paused = try await store.submit("paused", SweepYAML.grid(values: [1, 2, 3], priority: 10))
            let active = try await store.submit("active", SweepYAML.grid(values: [1, 2]))
            let running = try #require(try await store.claim("w1").first)
            #expect(running.id == paused.jobIDs[0])

            try await store.pauseSweep(named: "paused")
            #expect(try await store.scalar("SELECT state FROM sweep.sweeps WHERE name = 'paused'", as: String.self) == "paused")
            // Despite its higher priority, only the active sweep's jobs are handed out.
            #expect(try await store.claim("w2", limit: 10).map(\.id) == active.jobIDs)
            #expect(try await store.claim("w2", limit: 10).isEmpty)
            #expect(try await store.complete(job: running.id, attempt: 1) == .applied)

            do {
                try await store.pauseSweep(named: "paused")
                Issue.record("pausing a paused sweep succeeded")
            } catch let error as StoreError {
                #expect(error.code == .unknownSweep)
                #expect(error.description == "sweep 'paused' is not active, so it cannot become paused")
            }

            try await store.resumeSweep(named: "paused")
            #expect(try await store.claim("w2", limit: 10).map(\.id) == Array(paused.jobIDs[1...]))
            await #expect(throws: StoreError.self) { try await store.resumeSweep(named: "paused") }
            do {
                try await store.pauseSweep(named: "missing")
                Issue.record("pausing an unknown sweep succeeded")
            } catch let error as StoreError {
                #expect(error.code == .unknownSweep)
                #expect(error.description.contains("no sweep named 'missing'"))
            }
        }
    }
}
