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

    @Test("The coordinator killed with SIGKILL while it holds ready jobs: a restarted coordinator hands exactly those back as released, every job succeeds once")
    func coordinatorKilledHoldingReadyJobs() async throws {
        try await Cluster.run { cluster in
            let first = try await cluster.startCoordinator()
            let total = 40
            let sweep = try await cluster.submit("ready-kill", yaml: SweepFiles.sleep(jobs: total, seconds: 0))
            let context = try ZMQContext()
            let raw = try RawPeer.worker("quick", connectingTo: cluster.endpoint, context: context)
            defer { raw.close() }
            let slots = 2
            raw.send(Hello(worker: "quick", host: "test", pid: 1, slots: slots, gpus: [], labels: [:], kernels: ["sleep"], running: []).message)
            _ = try #require(await raw.next(.welcome), "no WELCOME for HELLO")
            // Short jobs until the coordinator keeps some ready; every RESULT acknowledged, so that
            // no lease is only waiting for its result to be recorded.
            var holding: Set<AttemptID> = []
            var sequence: Int64 = 0
            var acknowledged = 0
            /// The next ASSIGN, counting the ACKs that come before it.
            func nextAssign() async throws -> AttemptID? {
                while let next = await raw.next(within: .seconds(10), skipping: [.heartbeat, .welcome]) {
                    let message = try next.message.get()
                    if message.command == .ack { acknowledged += 1 } else { return try Assign(message).attempt }
                }
                return nil
            }
            for finished in 0..<15 {
                let attempt = try #require(try await nextAssign(), "no ASSIGN after \(finished) results")
                sequence += 1
                raw.send(AttemptResult(seq: sequence, attempt: attempt, outcome: .succeeded, exitStatus: nil, error: nil, logTail: nil, finalMetrics: [:]).message)
            }
            while holding.count < slots {
                holding.insert(try #require(try await nextAssign(), "no ASSIGN for a free slot"))
            }
            while acknowledged < Int(sequence) {
                _ = try #require(await raw.next(.ack, within: .seconds(10)), "RESULTs not acknowledged: \(acknowledged) of \(sequence)")
                acknowledged += 1
            }
            var open: Int64 = 0
            try await cluster.waitUntil("jobs are kept ready for the worker", timeout: .seconds(10)) {
                raw.send(WorkerHeartbeat(freeSlots: 0, running: Array(holding)).message)
                open = try await cluster.openAttempts(of: "quick")
                return open > Int64(slots)
            }
            let ready = open - Int64(slots)
            first.killAndReap()
            try await cluster.startCoordinator()

            // The worker says HELLO to the new coordinator, listing what it holds; the leases it
            // does not list (the ready jobs, never sent) are handed back, released.
            var welcomed = false
            try await cluster.waitUntil("the ready jobs are handed back", timeout: .seconds(30)) {
                if !welcomed {
                    if let refusal = await raw.next(.error, within: .milliseconds(100)), (try? ErrorReport(refusal).code) == "hello_first" {
                        raw.send(Hello(worker: "quick", host: "test", pid: 1, slots: slots, gpus: [], labels: [:], kernels: ["sleep"], running: Array(holding)).message)
                    }
                    welcomed = await raw.next(.welcome, within: .milliseconds(100)) != nil
                }
                raw.send(WorkerHeartbeat(freeSlots: 0, running: Array(holding)).message)
                return try await cluster.openAttempts(of: "quick") == Int64(slots)
            }
            let released = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.attempts WHERE worker = 'quick' AND outcome = 'released'", as: Int64.self) ?? -1
            #expect(released == ready, "the \(ready) ready jobs are released")
            // Finish what it holds and leave: DRAIN first, so that the freed slots get no new job.
            raw.send(WireMessage(.drain))
            for attempt in holding {
                sequence += 1
                raw.send(AttemptResult(seq: sequence, attempt: attempt, outcome: .succeeded, exitStatus: nil, error: nil, logTail: nil, finalMetrics: [:]).message)
            }
            try await cluster.waitUntil("the held jobs are recorded", timeout: .seconds(10)) {
                raw.send(WorkerHeartbeat(freeSlots: 0, running: Array(holding)).message)
                return try await cluster.openAttempts(of: "quick") == 0
            }
            raw.send(WireMessage(.bye))

            try cluster.startWorker("finisher", slots: 4)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": total], "\(states)")
            let bad = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep) AND (a.outcome IN ('failed', 'expired') OR a.ended_at IS NULL)",
                as: Int64.self)
            let summary = try await cluster.scalar(
                "SELECT coalesce(string_agg(a.worker || ':' || coalesce(a.outcome, 'open') || ':' || coalesce(a.error, ''), '; '), '') FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep) AND (a.outcome IN ('failed', 'expired') OR a.ended_at IS NULL)",
                as: String.self)
            #expect(bad == 0, "attempts failed, expired or left open: \(bad ?? -1): \(summary ?? "")")
            let succeeded = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep) AND a.outcome = 'succeeded'",
                as: Int64.self)
            #expect(succeeded == Int64(total), "one successful attempt per job: \(succeeded ?? -1)")
        }
    }

    @Test("A worker presumed dead while jobs are kept ready for it: the ready ones are released, only the ones it held expire")
    func workerDiesWithReadyJobs() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            let sweep = try await cluster.submit("ready-dead", yaml: SweepFiles.sleep(jobs: 40, seconds: 0))
            let context = try ZMQContext()
            let raw = try RawPeer.worker("doomed", connectingTo: cluster.endpoint, context: context)
            defer { raw.close() }
            let slots = 2
            raw.send(Hello(worker: "doomed", host: "test", pid: 1, slots: slots, gpus: [], labels: [:], kernels: ["sleep"], running: []).message)
            _ = try #require(await raw.next(.welcome), "no WELCOME for HELLO")
            // Short jobs until the coordinator keeps some ready, then hold the last ones and fall silent.
            var holding: Set<AttemptID> = []
            var sequence: Int64 = 0
            for finished in 0..<15 {
                let next = try #require(await raw.next(within: .seconds(10), skipping: [.heartbeat, .ack, .welcome]), "no ASSIGN after \(finished) results")
                let attempt = try Assign(try next.message.get()).attempt
                sequence += 1
                raw.send(AttemptResult(seq: sequence, attempt: attempt, outcome: .succeeded, exitStatus: nil, error: nil, logTail: nil, finalMetrics: [:]).message)
            }
            while holding.count < slots {
                let next = try #require(await raw.next(within: .seconds(10), skipping: [.heartbeat, .ack, .welcome]), "no ASSIGN for a free slot")
                holding.insert(try Assign(try next.message.get()).attempt)
            }
            try await cluster.waitUntil("jobs are kept ready for the worker", timeout: .seconds(10)) {
                raw.send(WorkerHeartbeat(freeSlots: 0, running: Array(holding)).message)
                return try await cluster.openAttempts(of: "doomed") > Int64(slots)
            }
            // Silence: presumed dead after the liveness window, its leases end.
            try await cluster.waitUntil("the worker's leases end", timeout: .seconds(30)) {
                try await cluster.openAttempts(of: "doomed") == 0
            }
            func outcomes(_ outcome: String) async throws -> Int64 {
                try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker = 'doomed' AND outcome = \(outcome)", as: Int64.self) ?? -1
            }
            #expect(try await outcomes("expired") == Int64(slots), "the attempts it held expire (counted as failures)")
            #expect(try await outcomes("released") >= 1, "the ready ones are handed back unfailed")
            #expect(try await outcomes("failed") == 0)

            try cluster.startWorker("rescuer", slots: 4)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 40], "\(states)")
        }
    }
}
