import SweepCore
import SweepWire
import Testing

/// Every typed message of SWP1 through frames and back, and the bodies each one refuses.
@Suite("Message round trips")
struct MessageRoundTripTests {
    /// Encodes to frames, decodes, and checks the command.
    static func wire(_ message: WireMessage) throws -> WireMessage {
        let frames = FrameCodec.encode(message)
        #expect(frames.count == 3)
        #expect(frames[0] == Array("SWP1".utf8))
        let decoded = try FrameCodec.decode(frames).get()
        #expect(decoded.command == message.command)
        return decoded
    }

    static let attempt = AttemptID(job: 9_007_199_254_740_993, attempt: 3)

    @Test func hello() throws {
        let hellos = [
            Hello(worker: "gpu01-4242-k3x9q", host: "gpu01", pid: 4242, slots: 2, gpus: [0, 1], labels: ["zone": "a", "kind": "h100"],
                  kernels: ["noop", "sleep", "synthetic-curve"], running: [Self.attempt, AttemptID(job: 1, attempt: 1)]),
            Hello(worker: "w", host: "h", pid: 1, slots: 0, gpus: [], labels: [:], kernels: [], running: []),
        ]
        for hello in hellos {
            #expect(try Hello(try Self.wire(hello.message)) == hello)
        }
        #expect(hellos[0].message.body["protocol"] == .int(Int64(WireProtocol.version)))
    }

    @Test func welcome() throws {
        let welcome = Welcome(coordinator: "head-1", heartbeatMilliseconds: 1_000, liveness: 3, ackTimeoutMilliseconds: 5_000)
        #expect(try Welcome(try Self.wire(welcome.message)) == welcome)
    }

    @Test func heartbeat() throws {
        for heartbeat in [WorkerHeartbeat(freeSlots: 3, running: [Self.attempt]), WorkerHeartbeat(freeSlots: 0, running: [])] {
            #expect(try WorkerHeartbeat(try Self.wire(heartbeat.message)) == heartbeat)
        }
    }

    @Test func assign() throws {
        let params = ParamValue.object([
            "lr": .double(0.001), "width": .int(64), "name": .string("a b; $(c) \"d\" 'e'"), "flag": .bool(true),
            "nested": .object(["momentum": .double(0.9), "list": .array([.int(1), .null])]),
        ])
        let assigns = [
            Assign(attempt: Self.attempt, sweep: 4, seed: 17, params: params,
                   work: .command(argv: ["/usr/bin/env", "python3", "train.py", "--name=a b; $(c)", "", WireProtocol.paramsFilePlaceholder]),
                   slots: 2, gpus: 1, maxSteps: nil),
            Assign(attempt: Self.attempt, sweep: 4, seed: -1, params: .object([:]),
                   work: .kernel(name: "synthetic-curve", settings: ["step_ms": .int(5), "metric": .string("loss")]),
                   slots: 1, gpus: 0, maxSteps: 500),
            Assign(attempt: Self.attempt, sweep: 4, seed: 0, params: .object([:]), work: .kernel(name: "noop", settings: [:]),
                   slots: 1, gpus: 0, maxSteps: nil),
        ]
        for assign in assigns {
            #expect(try Assign(try Self.wire(assign.message)) == assign)
        }
    }

    @Test func started() throws {
        let started = Started(seq: 41, attempt: Self.attempt)
        #expect(try Started(try Self.wire(started.message)) == started)
    }

    @Test func metrics() throws {
        let batch = MetricBatch(seq: 42, attempt: Self.attempt, points: [
            MetricBatch.Point(step: 0, name: "val_loss", value: 0.41),
            MetricBatch.Point(step: 0, name: "tokens", value: 4096),
            MetricBatch.Point(step: 1, name: "tiny", value: 1e-300),
            MetricBatch.Point(step: 1, name: "négatif", value: -123.456),
            MetricBatch.Point(step: 9_007_199_254_740_993, name: "big-step", value: 0.1 + 0.2),
        ])
        #expect(try MetricBatch(try Self.wire(batch.message)) == batch)
        let empty = MetricBatch(seq: 1, attempt: Self.attempt, points: [])
        #expect(try MetricBatch(try Self.wire(empty.message)) == empty)
    }

    @Test func result() throws {
        let results = [
            AttemptResult(seq: 43, attempt: Self.attempt, outcome: .succeeded, exitStatus: 0, error: nil, logTail: "done\n", finalMetrics: ["val_loss": 0.2]),
            AttemptResult(seq: 44, attempt: Self.attempt, outcome: .failed, exitStatus: 137, error: "killed by signal 9", logTail: nil, finalMetrics: [:]),
            AttemptResult(seq: 45, attempt: Self.attempt, outcome: .stopped, exitStatus: nil, error: nil, logTail: nil, finalMetrics: ["loss": 1]),
            AttemptResult(seq: 46, attempt: Self.attempt, outcome: .released, exitStatus: nil, error: "no free slot", logTail: nil, finalMetrics: [:]),
        ]
        for result in results {
            #expect(try AttemptResult(try Self.wire(result.message)) == result)
        }
    }

    @Test func nonFiniteFinalMetricsAreLeftOut() throws {
        let result = AttemptResult(seq: 1, attempt: Self.attempt, outcome: .succeeded, exitStatus: 0, error: nil, logTail: nil,
                                   finalMetrics: ["loss": .nan, "acc": 0.5, "grad": .infinity])
        #expect(try AttemptResult(try Self.wire(result.message)).finalMetrics == ["acc": 0.5])
    }

    @Test func ack() throws {
        for status in [Ack.Status.ok, .stale, .error] {
            let ack = Ack(seq: 47, status: status)
            #expect(try Ack(try Self.wire(ack.message)) == ack)
        }
    }

    @Test func stop() throws {
        let stop = StopRequest(attempt: Self.attempt, reason: "cancelled", graceMilliseconds: 10_000)
        #expect(try StopRequest(try Self.wire(stop.message)) == stop)
    }

    @Test func error() throws {
        let report = ErrorReport(code: "malformed_body", detail: "HELLO needs 'worker'")
        #expect(try ErrorReport(try Self.wire(report.message)) == report)
    }

    @Test func everyCommandHasATypedMessageOrAnEmptyBody() throws {
        // READY, DRAIN, BYE and the coordinator's HEARTBEAT carry no fields.
        for command in [WireCommand.ready, .drain, .bye, .heartbeat] {
            #expect(try Self.wire(WireMessage(command)) == WireMessage(command))
        }
    }

    // MARK: Refusals

    static func body(_ command: WireCommand, _ json: String) throws -> WireMessage {
        try FrameCodec.decode([Array("SWP1".utf8), Array(command.rawValue.utf8), Array(json.utf8)]).get()
    }

    @Test func helloRefusesAnotherProtocolVersionAndBadFields() throws {
        var fields = Hello(worker: "w", host: "h", pid: 1, slots: 1, gpus: [], labels: [:], kernels: [], running: []).message.body
        fields["protocol"] = .int(2)
        #expect(throws: WireError.self) { try Hello(WireMessage(.hello, fields)) }
        fields["protocol"] = .int(1)
        fields["slots"] = .int(5_000)
        #expect(throws: WireError.self) { try Hello(WireMessage(.hello, fields)) }
        fields["slots"] = .int(1)
        fields["running"] = .array([.object(["job": .string("1"), "attempt": .int(1)])])
        #expect(throws: WireError.self) { try Hello(WireMessage(.hello, fields)) }
        fields["running"] = .array([])
        fields["gpus"] = .array([.string("0")])
        #expect(throws: WireError.self) { try Hello(WireMessage(.hello, fields)) }
        fields["gpus"] = .array([])
        #expect(try Hello(WireMessage(.hello, fields)).worker == "w")
    }

    @Test("Bodies that are refused", arguments: [
        (WireCommand.welcome, #"{"coordinator":"c","heartbeat_ms":0,"liveness":3,"ack_timeout_ms":5000}"#),
        (.assign, #"{"job":1,"attempt":1,"sweep":1,"seed":0,"params":{},"slots":1,"gpus":0,"kind":"shell","argv":["x"]}"#),
        (.assign, #"{"job":1,"attempt":1,"sweep":1,"seed":0,"params":{},"slots":1,"gpus":0,"kind":"command","argv":[]}"#),
        (.assign, #"{"job":1,"attempt":1,"sweep":1,"seed":0,"params":[],"slots":1,"gpus":0,"kind":"kernel","kernel":"noop"}"#),
        (.metrics, #"{"seq":1,"job":1,"attempt":1,"points":[[-1,"loss",0.5]]}"#),
        (.metrics, #"{"seq":1,"job":1,"attempt":1,"points":[[1,"loss","0.5"]]}"#),
        (.metrics, #"{"seq":1,"job":1,"attempt":1,"points":[[1,"loss"]]}"#),
        (.result, #"{"seq":1,"job":1,"attempt":1,"outcome":"exploded"}"#),
        (.result, #"{"seq":1,"job":1,"attempt":1,"outcome":"failed","final":[1]}"#),
        (.ack, #"{"seq":1,"status":"maybe"}"#),
        (.stop, #"{"job":1,"attempt":1,"reason":"x"}"#),
        (.started, #"{"seq":1,"job":1.5,"attempt":1}"#),
        (.error, #"{"message":"no code"}"#),
    ])
    func refused(command: WireCommand, json: String) throws {
        let message = try Self.body(command, json)
        #expect(throws: WireError.self) {
            switch command {
            case .welcome: _ = try Welcome(message)
            case .assign: _ = try Assign(message)
            case .metrics: _ = try MetricBatch(message)
            case .result: _ = try AttemptResult(message)
            case .ack: _ = try Ack(message)
            case .stop: _ = try StopRequest(message)
            case .started: _ = try Started(message)
            case .error: _ = try ErrorReport(message)
            default: Issue.record("no decoder for \(command)")
            }
        }
    }
}
