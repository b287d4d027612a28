import Foundation
import SweepCore
import SweepWire
import Testing

/// Defective messages: each with the ERROR code the receiver must answer.
enum Garbage {
    static let signature = Array("SWP1".utf8)

    /// Frames a broken or hostile peer might send, and the code each must be refused with.
    static let cases: [(name: String, frames: [[UInt8]], code: String)] = [
        ("a single garbage frame", [[0xDE, 0xAD, 0xBE, 0xEF]], "frame_count"),
        ("a message cut after its command", [signature, Array("HELLO".utf8)], "frame_count"),
        ("a truncated JSON body", [signature, Array("HELLO".utf8), Array(#"{"worker":"raw","host":"#.utf8)], "malformed_body"),
        ("a wrong protocol version", [Array("SWP2".utf8), Array("HELLO".utf8), Array("{}".utf8)], "unsupported_version"),
        ("another protocol", [Array("HTTP/1.1".utf8), Array("GET".utf8), Array("/".utf8)], "not_sweep_protocol"),
        ("an unknown command", [signature, Array("FROBNICATE".utf8), Array("{}".utf8)], "unknown_command"),
        ("a 10 MB body", [signature, Array("METRICS".utf8), [UInt8](repeating: 0x20, count: 10 << 20)], "oversized"),
        ("invalid UTF-8", [signature, Array("HELLO".utf8), [0x7B, 0xC3, 0x28, 0x7D]], "malformed_body"),
    ]
}

extension SystemTests {
    @Test("Garbage, truncated and 10 MB frames and a wrong version: the coordinator answers ERROR and keeps serving")
    func coordinatorRefusesMalformedFramesAndKeepsServing() async throws {
        try await Cluster.run { cluster in
            let coordinator = try await cluster.startCoordinator()
            let context = try ZMQContext()
            let raw = try RawPeer.worker("raw", connectingTo: cluster.endpoint, context: context)
            defer { raw.close() }
            for garbage in Garbage.cases {
                raw.send(frames: garbage.frames)
                let answer = try #require(await raw.next(within: .seconds(10)), "no answer to \(garbage.name)")
                let error = try ErrorReport(try answer.message.get())
                #expect(error.code == garbage.code, "\(garbage.name): \(error.detail)")
            }
            // Well-formed, but wrong: a HELLO without its fields or of a later protocol, a
            // RESULT before HELLO, a message only a coordinator sends.
            raw.send(WireMessage(.hello, ["worker": .string("raw")]))
            #expect(try ErrorReport(try #require(await raw.next(.error))).code == "malformed_body")
            var newer = Hello(worker: "raw", host: "test", pid: 1, slots: 0, gpus: [], labels: [:], kernels: [], running: []).message
            newer.body["protocol"] = .int(2)
            raw.send(newer)
            #expect(try ErrorReport(try #require(await raw.next(.error))).code == "unsupported_version")
            raw.send(AttemptResult(seq: 1, attempt: AttemptID(job: 1, attempt: 1), outcome: .succeeded, exitStatus: 0, error: nil, logTail: nil, finalMetrics: [:]).message)
            #expect(try ErrorReport(try #require(await raw.next(.error))).code == "hello_first")
            raw.send(Hello(worker: "raw", host: "test", pid: 1, slots: 0, gpus: [], labels: [:], kernels: [], running: []).message)
            _ = try #require(await raw.next(.welcome), "no WELCOME after the garbage")
            raw.send(Welcome(coordinator: "impostor", heartbeatMilliseconds: 100, liveness: 3, ackTimeoutMilliseconds: 100).message)
            #expect(try ErrorReport(try #require(await raw.next(.error))).code == "malformed_body")
            #expect(coordinator.isRunning)

            // The same coordinator still runs a sweep with a real worker.
            try cluster.startWorker("w1", slots: 4)
            let sweep = try await cluster.submit("after-garbage", yaml: SweepFiles.syntheticCurve(jobs: 8, steps: 3))
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(30)) == ["succeeded": 8])
            _ = try await cluster.expectComplete(sweep: sweep, jobs: 8, steps: 3, names: ["val_loss"])
            #expect(coordinator.isRunning)
            #expect(coordinator.logTail(bytes: 1 << 22).contains("dropped a malformed message"))
        }
    }

    /// The worker's side, with the test playing the coordinator on a raw ROUTER.
    @Test("Garbage from a coordinator: the worker answers ERROR and still runs the jobs it is given")
    func workerRefusesMalformedFramesAndKeepsServing() async throws {
        try await Cluster.run { cluster in
            let context = try ZMQContext()
            let fake = try RawPeer.coordinator(context: context)
            defer { fake.close() }
            let worker = try cluster.startWorker("w1", slots: 2, coordinator: fake.endpoint)
            let hello = try #require(await fake.next(within: .seconds(20)), "no HELLO from the worker")
            let identity = try #require(hello.sender)
            #expect(try Hello(try hello.message.get()).worker == "w1")

            let cases = Garbage.cases + [
                ("an ASSIGN without its fields", FrameCodec.encode(WireMessage(.assign, ["job": .int(1)])), "malformed_body"),
                ("a message only workers send", FrameCodec.encode(WireMessage(.bye)), "malformed_body"),
            ]
            for garbage in cases {
                fake.send(frames: [identity] + garbage.frames)
                let answer = try #require(await fake.next(within: .seconds(10), skipping: [.heartbeat, .hello]), "no answer to \(garbage.name)")
                let error = try ErrorReport(try answer.message.get())
                #expect(error.code == garbage.code, "\(garbage.name): \(error.detail)")
            }
            #expect(worker.isRunning)

            // Now a proper conversation: WELCOME, ASSIGN, and the worker runs the job.
            fake.send(Welcome(coordinator: "fake", heartbeatMilliseconds: 200, liveness: 50, ackTimeoutMilliseconds: 5_000).message, to: identity)
            let attempt = AttemptID(job: 7, attempt: 1)
            let assign = Assign(
                attempt: attempt, sweep: 1, seed: 0, params: .object(["x": .int(1)]),
                // 20 ms a step: the job outlives its STARTED (a worker leaves out the STARTED of a
                // job that ended before it went out).
                work: .kernel(name: "synthetic-curve", settings: ["step_ms": .int(20)]), slots: 1, gpus: 0, maxSteps: 4)
            fake.send(assign.message, to: identity)
            var received: [WireCommand: WireMessage] = [:]
            var steps: [Int64] = []
            while received[.result] == nil {
                let next = try #require(await fake.next(within: .seconds(10), skipping: [.heartbeat, .hello]), "the worker went quiet; got \(received.keys)")
                let message = try next.message.get()
                received[message.command] = message
                if message.command == .metrics { steps += try MetricBatch(message).points.map(\.step) }
                // Acknowledge what must be, as a coordinator does.
                if let seq = try? message.integer("seq") { fake.send(Ack(seq: seq, status: .ok).message, to: identity) }
            }
            #expect(try Started(try #require(received[.started])).attempt == attempt)
            #expect(steps == [0, 1, 2, 3])
            let result = try AttemptResult(try #require(received[.result]))
            #expect(result.attempt == attempt && result.outcome == .succeeded)
            #expect(worker.isRunning)
            #expect(worker.logTail(bytes: 1 << 22).contains("dropped a"))
        }
    }
}
