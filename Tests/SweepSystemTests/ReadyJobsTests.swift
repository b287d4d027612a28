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

    /// Attempts of `worker` that ended with `outcome`.
    func attempts(of worker: String, outcome: String) async throws -> Int64 {
        try await scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker = \(worker) AND outcome = \(outcome)", as: Int64.self) ?? -1
    }

    /// Attempts of the jobs of `sweep` that satisfy `condition` (SQL over `a`, sweep.attempts).
    func sweepAttempts(_ sweep: Int64, where condition: String) async throws -> Int64? {
        try await scalar("""
            SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id
            WHERE j.sweep_id = \(sweep) AND (\(unescaped: condition))
            """, as: Int64.self)
    }
}

/// A one-kernel worker played by the test over a raw socket, so that the test knows exactly
/// which jobs it holds: HELLO, RESULTs numbered in sequence, HEARTBEATs listing what it holds.
private final class ScriptedWorker {
    let id: String
    let slots: Int
    let raw: RawPeer
    /// Attempts it was sent and has not answered.
    var holding: Set<AttemptID> = []
    /// RESULTs sent, and ACKs seen by `nextAssign`.
    private(set) var sequence: Int64 = 0
    private(set) var acknowledged = 0

    init(_ id: String, slots: Int, cluster: Cluster, context: ZMQContext) throws {
        self.id = id
        self.slots = slots
        raw = try RawPeer.worker(id, connectingTo: cluster.endpoint, context: context)
    }

    func close() { raw.close() }

    /// HELLO, listing what it holds.
    func hello() {
        raw.send(Hello(worker: id, host: "test", pid: 1, slots: slots, gpus: [], labels: [:], kernels: ["sleep"], running: Array(holding)).message)
    }

    /// HELLO, then waits for WELCOME.
    func join() async throws {
        hello()
        _ = try #require(await raw.next(.welcome), "no WELCOME for HELLO")
    }

    /// The next ASSIGN (its attempt), counting the ACKs that come before it, heartbeating
    /// every 100 ms while it waits (on a loaded machine an ASSIGN can take longer than the
    /// coordinator's liveness window); nil after 10 s.
    func nextAssign() async throws -> AttemptID? {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            heartbeat()
            guard let next = await raw.next(within: .milliseconds(100), skipping: [.heartbeat, .welcome]) else { continue }
            let message = try next.message.get()
            if message.command == .ack { acknowledged += 1 } else { return try Assign(message).attempt }
        }
        return nil
    }

    /// A successful RESULT for `attempt`, which it no longer holds.
    func succeed(_ attempt: AttemptID) {
        sequence += 1
        raw.send(AttemptResult(seq: sequence, attempt: attempt, outcome: .succeeded, exitStatus: nil, error: nil, logTail: nil, finalMetrics: [:]).message)
        holding.remove(attempt)
    }

    /// Answers `count` ASSIGNs at once with a RESULT (jobs of a few milliseconds); returns the
    /// most it held at once.
    @discardableResult
    func runQuickJobs(_ count: Int) async throws -> Int {
        var most = 0
        for finished in 0..<count {
            let attempt = try #require(try await nextAssign(), "no ASSIGN after \(finished) results")
            holding.insert(attempt)
            most = max(most, holding.count)
            succeed(attempt)
        }
        return most
    }

    /// Answers `count` ASSIGNs one after another, each `taking` long (heartbeating meanwhile).
    func runSlowJobs(_ count: Int, taking: Duration) async throws {
        for finished in 0..<count {
            let attempt = try #require(try await nextAssign(), "no ASSIGN after \(finished) results")
            holding.insert(attempt)
            let done = ContinuousClock.now + taking
            while ContinuousClock.now < done {
                heartbeat()
                try await Task.sleep(for: .milliseconds(50))
            }
            succeed(attempt)
        }
    }

    /// Stops answering: takes ASSIGNs until every slot holds one.
    func fillSlots() async throws {
        while holding.count < slots {
            holding.insert(try #require(try await nextAssign(), "no ASSIGN for a free slot"))
        }
    }

    func heartbeat() {
        raw.send(WorkerHeartbeat(freeSlots: slots - holding.count, running: Array(holding)).message)
    }

    /// Answers `count` ASSIGNs at once (never holding more than its slots), then stops
    /// answering and holds as many as it has slots.
    func runQuickJobsThenHold(_ count: Int) async throws {
        let most = try await runQuickJobs(count)
        #expect(most <= slots, "the worker held \(most) jobs at once with \(slots) slots")
        try await fillSlots()
    }

    /// No ASSIGN comes beyond the free slots (none, with every slot held) within half a second.
    func expectNoAssignBeyondSlots() async {
        let unsent = await raw.next(within: .milliseconds(500), skipping: [.heartbeat, .ack]) { $0.command == .assign }
        #expect(unsent == nil, "an ASSIGN beyond the worker's free slots")
    }
}

extension SystemTests {
    @Test("The queue runs dry while a worker has a free slot: jobs kept ready for a busy worker go to it instead of waiting")
    func readyJobsGoToFreeSlots() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            // One slot: two jobs of 1.5 s (so ready jobs may wait about 6 s for it), one held,
            // two kept ready. Five jobs: then the queue is dry.
            let sweep = try await cluster.submit("ready-dry", yaml: SweepFiles.sleep(jobs: 5, seconds: 0))
            let context = try ZMQContext()
            let busy = try ScriptedWorker("busy", slots: 1, cluster: cluster, context: context)
            defer { busy.close() }
            try await busy.join()
            try await busy.runSlowJobs(2, taking: .milliseconds(1500))
            busy.holding.insert(try #require(try await busy.nextAssign(), "no ASSIGN for the free slot"))
            try await cluster.waitUntil("jobs are kept ready for the busy worker", timeout: .seconds(10)) {
                busy.heartbeat()
                let succeeded = try await cluster.sweepAttempts(sweep, where: "a.outcome = 'succeeded'")
                let open = try await cluster.openAttempts(of: "busy")
                return succeeded == 2 && open == 3
            } progress: { "the busy worker's attempts never reached 2 succeeded, 1 held and 2 ready" }
            let queuedHistory = try await cluster.scalar("""
                SELECT string_agg(a.job_id || '/' || a.attempt || ':' || coalesce(a.outcome, 'open'), ' ' ORDER BY a.job_id, a.attempt)
                FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep)
                """, as: String.self) ?? ""
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.jobs WHERE state = 'queued'", as: Int64.self) == 0, "\(queuedHistory)")

            // A worker with a free slot joins: the coordinator finds the queue dry and hands a
            // ready job back, and the next claim gives it to the free slot, seconds before
            // the ready job's hold limit would have.
            let idle = try ScriptedWorker("idle", slots: 1, cluster: cluster, context: context)
            defer { idle.close() }
            try await idle.join()
            var given: AttemptID?
            let deadline = ContinuousClock.now + .milliseconds(2000)
            while given == nil, ContinuousClock.now < deadline {
                busy.heartbeat()
                idle.heartbeat()
                if let assign = await idle.raw.next(.assign, within: .milliseconds(100)) { given = try Assign(assign).attempt }
            }
            let attempt = try #require(given, "the idle worker got no job within 2 s while ready jobs waited for the busy one")
            idle.holding.insert(attempt)
            // It went back unclaimed: the idle worker has it as attempt 1, and the busy worker
            // never had an attempt of it.
            #expect(attempt.attempt == 1, "the ready job's attempt number was used up: \(attempt)")
            #expect(try await cluster.attempts(ofJob: attempt.job).map(\.worker) == ["idle"])
            #expect(try await cluster.attempts(of: "busy", outcome: "released") == 0)

            // Both workers run what they are sent until every job has succeeded (the last ready
            // job goes to whichever slot frees first), then leave.
            idle.succeed(attempt)
            for held in busy.holding { busy.succeed(held) }
            let finish = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < finish,
                  try await cluster.scalar("SELECT count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(sweep) AND state <> 'succeeded'", as: Int64.self) != 0 {
                for peer in [busy, idle] {
                    peer.heartbeat()
                    if let assign = await peer.raw.next(.assign, within: .milliseconds(50)) { peer.succeed(try Assign(assign).attempt) }
                }
            }
            idle.raw.send(WireMessage(.bye))
            busy.raw.send(WireMessage(.bye))
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 5], "\(states)")
            let bad = try await cluster.sweepAttempts(sweep, where: "a.outcome IN ('failed', 'expired')")
            let history = try await cluster.scalar("""
                SELECT string_agg(a.job_id || '/' || a.attempt || ':' || a.worker || ':' || coalesce(a.outcome, 'open') || ':' || coalesce(a.error, ''), ' ' ORDER BY a.job_id, a.attempt)
                FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep)
                """, as: String.self) ?? ""
            #expect(bad == 0, "attempts failed or expired: \(history)")
        }
    }

    @Test("Short jobs: the coordinator keeps jobs ready for a worker and never sends it more than its slots; a drain hands the ready ones back unfailed")
    func readyJobs() async throws {
        try await Cluster.run { cluster in
            // Two per slot, however short the jobs (the deeper room of very short jobs is
            // veryShortJobsKeepMore's).
            try await cluster.startCoordinator(extraArguments: ["--max-ready-jobs-per-slot", "2"])
            let sweep = try await cluster.submit("ready", yaml: SweepFiles.sleep(jobs: 60, seconds: 0))
            let worker = try ScriptedWorker("quick", slots: 2, cluster: cluster, context: try ZMQContext())
            defer { worker.close() }
            try await worker.join()

            // Then stop answering: the slots fill, and the coordinator keeps jobs ready (leased to
            // this worker in the database) without sending them.
            try await worker.runQuickJobsThenHold(30)
            try await cluster.waitUntil("jobs are kept ready for the worker", timeout: .seconds(10)) {
                worker.heartbeat()
                return try await cluster.openAttempts(of: "quick") > Int64(worker.holding.count)
            } progress: { "the database never gave the worker more open attempts than the \(worker.holding.count) it holds" }
            await worker.expectNoAssignBeyondSlots()
            // At most two ready jobs per slot (--ready-jobs-per-slot, not deepened here).
            let open = try await cluster.openAttempts(of: "quick")
            #expect(open <= Int64(worker.holding.count + 2 * worker.slots), "\(open) open attempts for \(worker.holding.count) held and \(worker.slots) slots")

            // A RESULT frees a slot: the next ASSIGN comes, still never more than the slots.
            worker.succeed(try #require(worker.holding.first))
            let refill = try #require(await worker.raw.next(.assign, within: .seconds(5)), "no ASSIGN for the freed slot")
            worker.holding.insert(try Assign(refill).attempt)
            #expect(worker.holding.count == worker.slots)
            // Wait until the ready room is full again (two per slot): then no claim for it is on
            // its way, which could otherwise commit between the counts below.
            try await cluster.waitUntil("the ready room refills", timeout: .seconds(10)) {
                worker.heartbeat()
                return try await cluster.openAttempts(of: "quick") == Int64(worker.holding.count + 2 * worker.slots)
            }

            // DRAIN: the ready jobs go back to the queue unclaimed: no failure, no attempt left behind.
            let readyCount = try await cluster.openAttempts(of: "quick") - Int64(worker.holding.count)
            let rowsBefore = try #require(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker = 'quick'", as: Int64.self))
            #expect(readyCount >= 1, "no job was kept ready when the worker drained")
            worker.raw.send(WireMessage(.drain))
            try await cluster.waitUntil("the ready jobs are handed back", timeout: .seconds(10)) {
                worker.heartbeat()
                return try await cluster.openAttempts(of: "quick") == Int64(worker.holding.count)
            }
            #expect(try await cluster.attempts(of: "quick", outcome: "released") == 0)
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker = 'quick'", as: Int64.self) == rowsBefore - readyCount,
                    "the ready jobs' attempts are undone")
            for attempt in worker.holding { worker.succeed(attempt) }
            worker.raw.send(WireMessage(.bye))

            // A real worker runs the rest; every job succeeded once and nothing failed.
            try cluster.startWorker("finisher", slots: 4)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 60], "\(states)")
            let jobs = try await cluster.jobs(ofSweep: sweep)
            #expect(jobs.allSatisfy { $0.failures == 0 }, "no job failed")
            let bad = try await cluster.sweepAttempts(sweep, where: "a.outcome IN ('failed', 'expired')")
            #expect(bad == 0, "attempts failed or expired: \(bad ?? -1)")
            let succeeded = try await cluster.sweepAttempts(sweep, where: "a.outcome = 'succeeded'")
            #expect(succeeded == 60, "one successful attempt per job: \(succeeded ?? -1)")
        }
    }

    @Test("Very short jobs: the coordinator keeps more ready (as many as make up 20 ms of work, at most 8 per slot), still never sending more than the slots")
    func veryShortJobsKeepMore() async throws {
        try await Cluster.run { cluster in
            // 2 s of work per slot instead of 20 ms, so that jobs answered at once count as very
            // short however slow this machine is (under 250 ms: eight per slot).
            try await cluster.startCoordinator(extraArguments: ["--ready-work-ms", "2000"])
            let sweep = try await cluster.submit("ready-deep", yaml: SweepFiles.sleep(jobs: 80, seconds: 0))
            let worker = try ScriptedWorker("instant", slots: 2, cluster: cluster, context: try ZMQContext())
            defer { worker.close() }
            try await worker.join()
            // Jobs answered at once (milliseconds from ASSIGN to RESULT), then held.
            try await worker.runQuickJobsThenHold(30)
            try await cluster.waitUntil("more than two jobs per slot are kept ready", timeout: .seconds(10)) {
                worker.heartbeat()
                return try await cluster.openAttempts(of: "instant") > Int64(worker.holding.count + 2 * worker.slots)
            } progress: { "the ready room never grew past two per slot for jobs answered at once" }
            await worker.expectNoAssignBeyondSlots()
            let open = try await cluster.openAttempts(of: "instant")
            #expect(open <= Int64(worker.holding.count + 8 * worker.slots), "\(open) open attempts for \(worker.holding.count) held and \(worker.slots) slots")

            // The rest run through: every job succeeds once, nothing failed or was left behind.
            worker.raw.send(WireMessage(.drain))
            for attempt in worker.holding { worker.succeed(attempt) }
            worker.raw.send(WireMessage(.bye))
            try cluster.startWorker("finisher", slots: 4)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 80], "\(states)")
            let bad = try await cluster.sweepAttempts(sweep, where: "a.outcome IS DISTINCT FROM 'succeeded'")
            #expect(bad == 0, "attempts that did not succeed: \(bad ?? -1)")
        }
    }

    @Test("The coordinator killed with SIGKILL while it holds ready jobs: a restarted coordinator hands exactly those back as released, every job succeeds once")
    func coordinatorKilledHoldingReadyJobs() async throws {
        try await Cluster.run { cluster in
            let first = try await cluster.startCoordinator(extraArguments: ["--max-ready-jobs-per-slot", "2"])
            let total = 40
            let sweep = try await cluster.submit("ready-kill", yaml: SweepFiles.sleep(jobs: total, seconds: 0))
            let worker = try ScriptedWorker("quick", slots: 2, cluster: cluster, context: try ZMQContext())
            defer { worker.close() }
            try await worker.join()
            // Short jobs until the coordinator keeps some ready; every RESULT acknowledged, so that
            // no lease is only waiting for its result to be recorded.
            try await worker.runQuickJobsThenHold(15)
            var acknowledged = worker.acknowledged
            while acknowledged < Int(worker.sequence) {
                _ = try #require(await worker.raw.next(.ack, within: .seconds(10)), "RESULTs not acknowledged: \(acknowledged) of \(worker.sequence)")
                acknowledged += 1
            }
            // Wait until its ready room is full (two per slot): then no claim is on its way,
            // which could otherwise commit after the count below and be handed back too.
            try await cluster.waitUntil("jobs are kept ready for the worker", timeout: .seconds(10)) {
                worker.heartbeat()
                return try await cluster.openAttempts(of: "quick") == Int64(3 * worker.slots)
            }
            first.killAndReap()
            // Counted once the coordinator is dead: a claim could still land between a count
            // and the kill, and ready jobs kept over a second go back (released) and are
            // claimed again, so only what the restart hands back is compared.
            let ready = try await cluster.openAttempts(of: "quick") - Int64(worker.slots)
            let releasedBefore = try await cluster.attempts(of: "quick", outcome: "released")
            #expect(ready > 0)
            try await cluster.startCoordinator()

            // The worker says HELLO to the new coordinator, listing what it holds; the leases it
            // does not list (the ready jobs, never sent) are handed back, released.
            var welcomed = false
            try await cluster.waitUntil("the ready jobs are handed back", timeout: .seconds(30)) {
                if !welcomed {
                    if let refusal = await worker.raw.next(.error, within: .milliseconds(100)), (try? ErrorReport(refusal).code) == "hello_first" {
                        worker.hello()
                    }
                    welcomed = await worker.raw.next(.welcome, within: .milliseconds(100)) != nil
                }
                worker.heartbeat()
                return try await cluster.openAttempts(of: "quick") == Int64(worker.slots)
            }
            let released = try await cluster.attempts(of: "quick", outcome: "released") - releasedBefore
            #expect(released == ready, "the \(ready) ready jobs are released")
            // Finish what it holds and leave: DRAIN first, so that the freed slots get no new job.
            worker.raw.send(WireMessage(.drain))
            for attempt in worker.holding { worker.succeed(attempt) }
            try await cluster.waitUntil("the held jobs are recorded", timeout: .seconds(10)) {
                worker.heartbeat()
                return try await cluster.openAttempts(of: "quick") == 0
            }
            worker.raw.send(WireMessage(.bye))

            try cluster.startWorker("finisher", slots: 4)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": total], "\(states)")
            let badCondition = "a.outcome IN ('failed', 'expired') OR a.ended_at IS NULL"
            let bad = try await cluster.sweepAttempts(sweep, where: badCondition)
            let summary = try await cluster.scalar("""
                SELECT coalesce(string_agg(a.worker || ':' || coalesce(a.outcome, 'open') || ':' || coalesce(a.error, ''), '; '), '')
                FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep) AND (\(unescaped: badCondition))
                """, as: String.self)
            #expect(bad == 0, "attempts failed, expired or left open: \(bad ?? -1): \(summary ?? "")")
            let succeeded = try await cluster.sweepAttempts(sweep, where: "a.outcome = 'succeeded'")
            #expect(succeeded == Int64(total), "one successful attempt per job: \(succeeded ?? -1)")
        }
    }

    @Test("A worker presumed dead while jobs are kept ready for it: the ready ones are released, only the ones it held expire")
    func workerDiesWithReadyJobs() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            let sweep = try await cluster.submit("ready-dead", yaml: SweepFiles.sleep(jobs: 40, seconds: 0))
            let worker = try ScriptedWorker("doomed", slots: 2, cluster: cluster, context: try ZMQContext())
            defer { worker.close() }
            try await worker.join()
            // Short jobs until the coordinator keeps some ready, then hold the last ones and fall silent.
            try await worker.runQuickJobsThenHold(15)
            try await cluster.waitUntil("jobs are kept ready for the worker", timeout: .seconds(10)) {
                worker.heartbeat()
                return try await cluster.openAttempts(of: "doomed") > Int64(worker.slots)
            }
            // Silence: presumed dead after the liveness window, its leases end.
            try await cluster.waitUntil("the worker's leases end", timeout: .seconds(30)) {
                try await cluster.openAttempts(of: "doomed") == 0
            }
            #expect(try await cluster.attempts(of: "doomed", outcome: "expired") == Int64(worker.slots), "the attempts it held expire (counted as failures)")
            // The ready ones went back unclaimed: besides its successes, only the held ones' attempts remain.
            #expect(try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.attempts WHERE worker = 'doomed' AND outcome IS DISTINCT FROM 'succeeded' AND outcome IS DISTINCT FROM 'expired'
                """, as: Int64.self) == 0, "the ready ones are handed back without an attempt")
            #expect(try await cluster.attempts(of: "doomed", outcome: "failed") == 0)

            try cluster.startWorker("rescuer", slots: 4)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 40], "\(states)")
        }
    }
}
