import Foundation
import PostgresNIO
import SweepCore
import SweepWire
import Testing

extension Cluster {
    /// Attempts of `worker` not yet ended: the leases the database gives it.
    func openAttempts(of worker: String) async throws -> Int64 {
        try await scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker = \(worker) AND ended_at IS NULL", as: Int64.self) ?? -1
    }
}

extension SystemTests {
    @Test("Short jobs: the coordinator keeps jobs ready for a worker and never sends it more than its slots; a drain hands the ready ones back unfailed")
    func readyJobs() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            let sweep = try await cluster.submit("ready", yaml: SweepFiles.sleep(jobs: 60, seconds: 0))
            let context = try ZMQContext()
            let raw = try RawPeer.worker("quick", connectingTo: cluster.endpoint, context: context)
            defer { raw.close() }
            let slots = 2
            raw.send(Hello(worker: "quick", host: "test", pid: 1, slots: slots, gpus: [], labels: [:], kernels: ["noop", "sleep", "synthetic-curve"], running: []).message)
            _ = try #require(await raw.next(.welcome), "no WELCOME for HELLO")

            // Answer every ASSIGN at once with a RESULT: jobs that take a few milliseconds.
            var holding: Set<AttemptID> = []
            var most = 0
            var sequence: Int64 = 0
            func finish(_ attempt: AttemptID) {
                sequence += 1
                raw.send(AttemptResult(seq: sequence, attempt: attempt, outcome: .succeeded, exitStatus: nil, error: nil, logTail: nil, finalMetrics: [:]).message)
                holding.remove(attempt)
            }
            for finished in 0..<30 {
                let next = try #require(await raw.next(within: .seconds(10), skipping: [.heartbeat, .ack, .welcome]), "no ASSIGN after \(finished) results")
                let assign = try Assign(try next.message.get())
                holding.insert(assign.attempt)
                most = max(most, holding.count)
                finish(assign.attempt)
            }
            #expect(most <= slots, "the worker held \(most) jobs at once with \(slots) slots")

            // Stop answering: the slots fill, and then the coordinator keeps jobs ready (leased to
            // this worker in the database) without sending them.
            while holding.count < slots {
                let next = try #require(await raw.next(within: .seconds(10), skipping: [.heartbeat, .ack, .welcome]), "no ASSIGN for a free slot")
                holding.insert(try Assign(try next.message.get()).attempt)
            }
            try await cluster.waitUntil("jobs are kept ready for the worker", timeout: .seconds(10)) {
                raw.send(WorkerHeartbeat(freeSlots: 0, running: Array(holding)).message)
                return try await cluster.openAttempts(of: "quick") > Int64(holding.count)
            } progress: { "the database never gave the worker more open attempts than the \(holding.count) it holds" }
            let unsent = await raw.next(within: .milliseconds(500), skipping: [.heartbeat, .ack]) { $0.command == .assign }
            #expect(unsent == nil, "an ASSIGN beyond the worker's free slots")

            // A RESULT frees a slot: the next ASSIGN comes, still never more than the slots.
            let freed = try #require(holding.first)
            finish(freed)
            let refill = try #require(await raw.next(.assign, within: .seconds(5)), "no ASSIGN for the freed slot")
            holding.insert(try Assign(refill).attempt)
            #expect(holding.count == slots)

            // DRAIN: the ready jobs go back to the queue, released and not failed.
            raw.send(WireMessage(.drain))
            try await cluster.waitUntil("the ready jobs are handed back", timeout: .seconds(10)) {
                raw.send(WorkerHeartbeat(freeSlots: 0, running: Array(holding)).message)
                return try await cluster.openAttempts(of: "quick") == Int64(holding.count)
            }
            let released = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.attempts WHERE worker = 'quick' AND outcome = 'released'", as: Int64.self) ?? 0
            #expect(released >= 1, "ready jobs handed back as released")
            for attempt in holding { finish(attempt) }
            raw.send(WireMessage(.bye))

            // A real worker runs the rest; every job succeeded once and nothing failed.
            try cluster.startWorker("finisher", slots: 4)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 60], "\(states)")
            let jobs = try await cluster.jobs(ofSweep: sweep)
            #expect(jobs.allSatisfy { $0.failures == 0 }, "no job failed")
            let bad = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep) AND a.outcome IN ('failed', 'expired')",
                as: Int64.self)
            #expect(bad == 0, "attempts failed or expired: \(bad ?? -1)")
            let succeeded = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep) AND a.outcome = 'succeeded'",
                as: Int64.self)
            #expect(succeeded == 60, "one successful attempt per job: \(succeeded ?? -1)")
        }
    }

    @Test("The coordinator killed with SIGKILL while it holds ready jobs: a restarted coordinator hands them back as released, every job succeeds once")
    func coordinatorKilledHoldingReadyJobs() async throws {
        try await Cluster.run { cluster in
            let first = try await cluster.startCoordinator()
            let slots = 2
            try cluster.startWorker("w1", slots: slots)
            let total = 4_000
            let sweep = try await cluster.submit("ready-kill", yaml: SweepFiles.sleep(jobs: total, seconds: 0))
            func succeeded() async throws -> Int64 {
                try await cluster.scalar("SELECT count(*)::bigint FROM sweep.jobs WHERE state = 'succeeded'", as: Int64.self) ?? 0
            }
            try await cluster.waitUntil("jobs flow", timeout: .seconds(60)) { try await succeeded() >= 200 }
            // Freeze the coordinator at a moment when it holds more leases for w1 than w1 has
            // slots: those beyond the slots are ready jobs that were never sent. Then kill it.
            var held: Int64 = 0
            for _ in 0..<50 {
                first.signal(SIGSTOP)
                try await Task.sleep(for: .milliseconds(100))  // writes in flight land
                held = try await cluster.openAttempts(of: "w1")
                if held > Int64(slots) { break }
                first.signal(SIGCONT)
                try await Task.sleep(for: .milliseconds(20))
            }
            first.killAndReap()
            #expect(held > Int64(slots), "never caught the coordinator holding ready jobs (open attempts \(held))")
            let atKill = try await succeeded()
            try await cluster.startCoordinator()

            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(120))
            #expect(states == ["succeeded": total], "\(states)")
            #expect(atKill < Int64(total), "the sweep ended before the coordinator was killed; the test proves nothing")
            let attempts = try await cluster.scalar("""
                SELECT count(*) FILTER (WHERE a.outcome = 'succeeded')::bigint * 1000000
                     + count(*) FILTER (WHERE a.outcome IN ('failed', 'expired'))::bigint * 1000
                     + count(*) FILTER (WHERE a.ended_at IS NULL)::bigint
                FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep)
                """, as: Int64.self) ?? -1
            #expect(attempts / 1_000_000 == Int64(total), "one successful attempt per job")
            #expect(attempts % 1_000_000 / 1_000 == 0, "no attempt failed or expired")
            #expect(attempts % 1_000 == 0, "no attempt left open")
            // The ready jobs the dead coordinator held were handed back as never started.
            let released = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep) AND a.outcome = 'released'",
                as: Int64.self) ?? 0
            #expect(released >= 1, "no released attempt")
        }
    }
}
