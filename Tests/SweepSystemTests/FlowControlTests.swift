import Foundation
import SweepCore
import SweepWire
import Testing

/// A worker keeps at most 64 reliable messages unacknowledged; the rest wait, in order, and
/// an attempt whose RESULT waits is still listed as held.
@Suite("Flow control", .serialized, .timeLimit(.minutes(2)))
struct FlowControlTests {
    @Test("A job logging faster than it is acknowledged: 64 messages in flight, the rest in order after ACKs, the ended attempt still listed")
    func workerWindowHoldsBackReliableMessages() async throws {
        try await Cluster.run { cluster in
            let context = try ZMQContext()
            let fake = try RawPeer.coordinator(context: context)
            defer { fake.close() }
            let worker = try cluster.startWorker("w1", slots: 1, coordinator: fake.endpoint)
            let hello = try #require(await fake.next(within: .seconds(20)), "no HELLO from the worker")
            let identity = try #require(hello.sender)
            // A resend timeout longer than the test: every copy seen is a first sending.
            fake.send(Welcome(coordinator: "fake", heartbeatMilliseconds: 200, liveness: 50, ackTimeoutMilliseconds: 600_000).message, to: identity)
            let attempt = AttemptID(job: 9, attempt: 1)
            // 4,000 steps × 10 values = 40,000 points = 80 batches of 500, at full speed.
            fake.send(Assign(
                attempt: attempt, sweep: 1, seed: 0, params: .object(["x": .int(1)]),
                work: .kernel(name: "synthetic-curve", settings: ["steps": .int(4_000), "values_per_step": .int(10), "step_ms": .int(0)]),
                slots: 1, gpus: 0, maxSteps: nil).message, to: identity)

            // Acknowledge nothing for two seconds: exactly a window's worth arrives.
            var held: [WireMessage] = []
            var lastHeartbeat: WorkerHeartbeat?
            let quiet = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < quiet {
                guard let next = await fake.next(within: .milliseconds(200), skipping: [.hello]) else { continue }
                let message = try next.message.get()
                if message.command == .heartbeat { lastHeartbeat = try WorkerHeartbeat(message) } else { held.append(message) }
            }
            #expect(held.count == 64, "reliable messages in flight: \(held.count)")
            #expect(held.first?.command == .started)
            #expect(!held.contains { $0.command == .result }, "the RESULT waits behind the job's points")
            // The kernel has long finished, but its RESULT is not acknowledged: still held.
            #expect(lastHeartbeat?.running == [attempt], "\(String(describing: lastHeartbeat))")

            // Acknowledge as a coordinator does: the rest follows, in order, RESULT last.
            var seqs: [Int64] = []
            var steps: [Int64: Int] = [:]
            var result: AttemptResult?
            func take(_ message: WireMessage) throws {
                let seq = try message.integer("seq")
                seqs.append(seq)
                if message.command == .metrics { for point in try MetricBatch(message).points { steps[point.step, default: 0] += 1 } }
                if message.command == .result {
                    #expect(result == nil, "one RESULT")
                    result = try AttemptResult(message)
                }
                fake.send(Ack(seq: seq, status: .ok).message, to: identity)
            }
            for message in held { try take(message) }
            while result == nil {
                let next = try #require(await fake.next(within: .seconds(20), skipping: [.heartbeat, .hello]), "the worker went quiet after \(seqs.count) messages")
                try take(try next.message.get())
            }
            #expect(seqs == Array(seqs.sorted()), "reliable messages arrive in sequence order")
            #expect(Set(seqs).count == seqs.count, "none sent twice")
            #expect(steps.count == 4_000 && steps.values.allSatisfy { $0 == 10 }, "every step's 10 values once: \(steps.count) steps")
            #expect(result?.attempt == attempt && result?.outcome == .succeeded)

            // Acknowledged: the attempt is no longer held.
            var released = false
            let deadline = ContinuousClock.now + .seconds(5)
            while !released, ContinuousClock.now < deadline {
                if let beat = await fake.next(.heartbeat, within: .seconds(1)) { released = try WorkerHeartbeat(beat).running.isEmpty }
            }
            #expect(released, "heartbeats stop listing the attempt once its RESULT is acknowledged")
            #expect(worker.isRunning)
        }
    }
}

/// `--report-linger-microseconds`: while other attempts still run, reports wait so that those
/// of attempts ending close together travel in one BATCH.
@Suite("Report linger", .serialized, .timeLimit(.minutes(2)))
struct ReportLingerTests {
    /// `sleep` jobs 1, 2, … of the given lengths, assigned at once to a worker with a slot for
    /// each, against a fake coordinator that receives BATCH and acknowledges everything.
    /// Returns, for each message the worker sent, the RESULTs in it (by job), in arrival
    /// order, and when the last RESULT arrived after the ASSIGNs.
    private func resultsAsSent(lingerMicroseconds: Int, seconds: [Double]) async throws -> (groups: [[Int64]], lastAfter: Duration) {
        var groups: [[Int64]] = []
        var lastAfter = Duration.zero
        try await Cluster.run { cluster in
            let context = try ZMQContext()
            let fake = try RawPeer.coordinator(context: context)
            defer { fake.close() }
            let worker = try cluster.startWorker(
                "linger", slots: seconds.count, coordinator: fake.endpoint,
                extraArguments: ["--report-linger-microseconds", "\(lingerMicroseconds)"])
            let hello = try #require(await fake.next(within: .seconds(20)), "no HELLO from the worker")
            let identity = try #require(hello.sender)
            fake.send(Welcome(coordinator: "fake", heartbeatMilliseconds: 1_000, liveness: 50, ackTimeoutMilliseconds: 600_000,
                              features: [WireFeature.batch]).message, to: identity)
            let assigned = ContinuousClock.now
            for (index, duration) in seconds.enumerated() {
                fake.send(Assign(
                    attempt: AttemptID(job: Int64(index + 1), attempt: 1), sweep: 1, seed: 0, params: .object([:]),
                    work: .kernel(name: "sleep", settings: ["seconds": .double(duration)]),
                    slots: 1, gpus: 0, maxSteps: nil).message, to: identity)
            }
            var reported = Set<Int64>()
            while reported.count < seconds.count {
                let next = try #require(await fake.next(within: .seconds(20), skipping: [.heartbeat, .hello]), "RESULTs so far: \(reported.sorted())")
                let message = try next.message.get()
                let inside = message.command == .batch ? try FrameCodec.unpack(message).map { try $0.get() } : [message]
                var results: [Int64] = []
                for entry in inside {
                    fake.send(Ack(seq: try entry.integer("seq"), status: .ok).message, to: identity)
                    if entry.command == .result { results.append(try AttemptResult(entry).attempt.job) }
                }
                if !results.isEmpty { groups.append(results) }
                reported.formUnion(results)
                if reported.count == seconds.count { lastAfter = ContinuousClock.now - assigned }
            }
            #expect(worker.isRunning)
        }
        return (groups, lastAfter)
    }

    @Test("With a 500 ms linger the RESULTs of jobs ending 100 ms apart travel together")
    func lingerGroupsResults() async throws {
        // The STARTEDs go at once (no attempt has ended yet, so none is known to be short);
        // job 1's RESULT, at 0.1 s, waits until 0.6 s and takes jobs 2's and 3's with it.
        let (groups, _) = try await resultsAsSent(lingerMicroseconds: 500_000, seconds: [0.1, 0.2, 0.3, 1.2])
        #expect(groups == [[1, 2, 3], [4]], "RESULTs per message: \(groups)")
    }

    @Test("The RESULT that leaves nothing running is not held back: it goes at once with those waiting")
    func lastResultIsNotHeld() async throws {
        // A 1 s linger from the STARTEDs' making, jobs of 0.1 and 0.2 s: held, the RESULTs
        // could not arrive before 1 s; sent when the second job ends, they arrive after about
        // 0.2 s (the bound leaves room for a loaded machine).
        let (groups, lastAfter) = try await resultsAsSent(lingerMicroseconds: 1_000_000, seconds: [0.1, 0.2])
        #expect(groups == [[1, 2]], "RESULTs per message: \(groups)")
        #expect(lastAfter < .milliseconds(900), "\(lastAfter)")
    }

    @Test("Without a linger each RESULT goes as soon as it is made")
    func noLingerSendsEachResult() async throws {
        let (groups, _) = try await resultsAsSent(lingerMicroseconds: 0, seconds: [0.05, 0.15, 0.25, 1.0])
        #expect(groups == [[1], [2], [3], [4]], "RESULTs per message: \(groups)")
    }
}
