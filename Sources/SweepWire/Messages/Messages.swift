public import SweepCore

/// A job and the attempt a message refers to.
public struct AttemptID: Sendable, Hashable {
    /// Job id.
    public var job: Int64
    /// Attempt number (fencing token).
    public var attempt: Int

    /// Creates an attempt reference.
    public init(job: Int64, attempt: Int) {
        self.job = job
        self.attempt = attempt
    }

    var value: ParamValue { .object(["job": .int(job), "attempt": .int(Int64(attempt))]) }

    init(_ value: ParamValue, in command: WireCommand) throws(WireError) {
        guard case .object(let fields) = value, case .int(let job)? = fields["job"], case .int(let attempt)? = fields["attempt"] else {
            throw .malformedBody("\(command.rawValue) lists a running job without integer 'job' and 'attempt'")
        }
        self.init(job: job, attempt: Int(attempt))
    }
}

/// HELLO, worker → coordinator: who the worker is and what it offers.
public struct Hello: Sendable, Equatable {
    public var worker: String
    public var host: String
    public var pid: Int
    public var slots: Int
    public var gpus: [Int]
    public var labels: [String: String]
    public var kernels: [String]
    /// Attempts still running from before a reconnect, which the coordinator adopts.
    public var running: [AttemptID]
    /// Protocol extensions this worker can receive (`WireFeature`); absent = none.
    public var features: [String]
    /// Numbering of this worker's HELLOs (protocol.md §2.3), absent from workers that do not
    /// number them: `session` names the worker process (new at each start), `number` counts
    /// its HELLOs from 1, `welcomed` is the number the last WELCOME it accepted answered (0:
    /// none yet). A HELLO whose `welcomed` is below the number of the HELLO that made the
    /// coordinator's current session with it was sent before the worker saw that WELCOME: a
    /// repeat, not a new session.
    public var numbering: Numbering?

    /// See `numbering`.
    public struct Numbering: Sendable, Equatable {
        public var session: String
        public var number: Int64
        public var welcomed: Int64

        public init(session: String, number: Int64, welcomed: Int64) {
            self.session = session
            self.number = number
            self.welcomed = welcomed
        }
    }

    public init(worker: String, host: String, pid: Int, slots: Int, gpus: [Int], labels: [String: String], kernels: [String], running: [AttemptID],
                features: [String] = [], numbering: Numbering? = nil) {
        self.features = features
        self.numbering = numbering
        self.worker = worker
        self.host = host
        self.pid = pid
        self.slots = slots
        self.gpus = gpus
        self.labels = labels
        self.kernels = kernels
        self.running = running
    }

    public var message: WireMessage {
        WireMessage(.hello, [
            "protocol": .int(Int64(WireProtocol.version)), "worker": .string(worker), "host": .string(host), "pid": .int(Int64(pid)),
            "slots": .int(Int64(slots)), "gpus": .array(gpus.map { .int(Int64($0)) }),
            "labels": .object(labels.mapValues { .string($0) }), "kernels": .array(kernels.map { .string($0) }),
            "running": .array(running.map(\.value)),
        ].merging(features.isEmpty ? [:] : ["features": .array(features.map { .string($0) })]) { first, _ in first }
         .merging(numbering.map { ["session": .string($0.session), "hello": .int($0.number), "welcomed": .int($0.welcomed)] } ?? [:]) { first, _ in first })
    }

    public init(_ message: WireMessage) throws(WireError) {
        let version = try message.integer("protocol")
        guard version == Int64(WireProtocol.version) else { throw .unsupportedVersion("protocol \(version) in HELLO") }
        worker = try message.string("worker")
        host = try message.string("host")
        pid = Int(try message.integer("pid"))
        slots = Int(try message.integer("slots"))
        guard slots >= 0, slots <= 4096 else { throw .malformedBody("'slots' of HELLO must be between 0 and 4096") }
        gpus = try message.list("gpus").map { value throws(WireError) in
            guard case .int(let index) = value else { throw .malformedBody("'gpus' of HELLO must list integers") }
            return Int(index)
        }
        guard case .object(let labelFields)? = message.body["labels"] else { throw .malformedBody("HELLO needs 'labels' (an object)") }
        labels = labelFields.compactMapValues(\.stringValue)
        kernels = try message.list("kernels").compactMap(\.stringValue)
        running = try message.list("running").map { value throws(WireError) in try AttemptID(value, in: .hello) }
        features = try message.features()
        numbering = try Self.numbering(of: message)
    }

    /// Whether this HELLO repeats the one that made the coordinator's `current` session with
    /// the worker: the same worker process sent it before it had seen the WELCOME to
    /// `current` (its `welcomed` is below `current`'s number). Unnumbered HELLOs repeat nothing.
    public func repeats(_ current: Hello) -> Bool {
        guard let mine = numbering, let theirs = current.numbering, mine.session == theirs.session else { return false }
        return mine.welcomed < theirs.number
    }

    /// `session`, `hello` and `welcomed` come together or not at all.
    private static func numbering(of message: WireMessage) throws(WireError) -> Numbering? {
        let fields = ["session", "hello", "welcomed"]
        let present = fields.filter { message.body[$0] != nil }
        guard !present.isEmpty else { return nil }
        guard present.count == fields.count else {
            throw .malformedBody("HELLO has \(present.map { "'\($0)'" }.joined(separator: " and ")) without \(fields.filter { !present.contains($0) }.map { "'\($0)'" }.joined(separator: " and ")): the three come together")
        }
        let session = try message.string("session")
        let number = try message.integer("hello")
        let welcomed = try message.integer("welcomed")
        guard !session.isEmpty, session.utf8.count <= 128 else { throw .malformedBody("'session' of HELLO must be 1 to 128 bytes") }
        guard number >= 1, welcomed >= 0, welcomed < number else {
            throw .malformedBody("HELLO numbers must satisfy hello >= 1 and 0 <= welcomed < hello (got hello \(number), welcomed \(welcomed))")
        }
        return Numbering(session: session, number: number, welcomed: welcomed)
    }
}

/// WELCOME, coordinator → worker: the timing both sides keep.
public struct Welcome: Sendable, Equatable {
    public var coordinator: String
    public var heartbeatMilliseconds: Int
    public var liveness: Int
    public var ackTimeoutMilliseconds: Int
    /// Protocol extensions this coordinator can receive (`WireFeature`); absent = none.
    public var features: [String]
    /// The `hello` number of the HELLO this answers, when that HELLO was numbered.
    public var hello: Int64?

    public init(coordinator: String, heartbeatMilliseconds: Int, liveness: Int, ackTimeoutMilliseconds: Int, features: [String] = [], hello: Int64? = nil) {
        self.features = features
        self.hello = hello
        self.coordinator = coordinator
        self.heartbeatMilliseconds = heartbeatMilliseconds
        self.liveness = liveness
        self.ackTimeoutMilliseconds = ackTimeoutMilliseconds
    }

    public var message: WireMessage {
        WireMessage(.welcome, [
            "coordinator": .string(coordinator), "heartbeat_ms": .int(Int64(heartbeatMilliseconds)),
            "liveness": .int(Int64(liveness)), "ack_timeout_ms": .int(Int64(ackTimeoutMilliseconds)),
        ].merging(features.isEmpty ? [:] : ["features": .array(features.map { .string($0) })]) { first, _ in first }
         .merging(hello.map { ["hello": .int($0)] } ?? [:]) { first, _ in first })
    }

    public init(_ message: WireMessage) throws(WireError) {
        coordinator = try message.string("coordinator")
        heartbeatMilliseconds = Int(try message.integer("heartbeat_ms"))
        liveness = Int(try message.integer("liveness"))
        ackTimeoutMilliseconds = Int(try message.integer("ack_timeout_ms"))
        guard heartbeatMilliseconds > 0, liveness > 0, ackTimeoutMilliseconds > 0 else { throw .malformedBody("WELCOME timings must be positive") }
        features = try message.features()
        hello = try message.optionalInteger("hello", atLeast: 1)
    }
}

/// HEARTBEAT, worker → coordinator (the coordinator's own HEARTBEAT has an empty body).
public struct WorkerHeartbeat: Sendable, Equatable {
    public var freeSlots: Int
    public var running: [AttemptID]

    public init(freeSlots: Int, running: [AttemptID]) {
        self.freeSlots = freeSlots
        self.running = running
    }

    public var message: WireMessage {
        WireMessage(.heartbeat, ["free_slots": .int(Int64(freeSlots)), "running": .array(running.map(\.value))])
    }

    public init(_ message: WireMessage) throws(WireError) {
        freeSlots = Int(try message.integer("free_slots"))
        running = try message.list("running").map { value throws(WireError) in try AttemptID(value, in: .heartbeat) }
    }
}

/// ASSIGN, coordinator → worker: run this attempt.
public struct Assign: Sendable, Equatable {
    /// What to run.
    public enum Work: Sendable, Equatable {
        /// A program: argv[0] is looked up in PATH; never a shell.
        case command(argv: [String])
        /// A built-in kernel with fixed settings.
        case kernel(name: String, settings: [String: ParamValue])
    }

    public var attempt: AttemptID
    public var sweep: Int64
    public var seed: Int64
    public var params: ParamValue
    public var work: Work
    public var slots: Int
    public var gpus: Int
    public var maxSteps: Int?

    public init(attempt: AttemptID, sweep: Int64, seed: Int64, params: ParamValue, work: Work, slots: Int, gpus: Int, maxSteps: Int?) {
        self.attempt = attempt
        self.sweep = sweep
        self.seed = seed
        self.params = params
        self.work = work
        self.slots = slots
        self.gpus = gpus
        self.maxSteps = maxSteps
    }

    public var message: WireMessage {
        var body: [String: ParamValue] = [
            "job": .int(attempt.job), "attempt": .int(Int64(attempt.attempt)), "sweep": .int(sweep), "seed": .int(seed),
            "params": params, "slots": .int(Int64(slots)), "gpus": .int(Int64(gpus)),
        ]
        if let maxSteps { body["max_steps"] = .int(Int64(maxSteps)) }
        switch work {
        case .command(let argv):
            body["kind"] = .string("command")
            body["argv"] = .array(argv.map { .string($0) })
        case .kernel(let name, let settings):
            body["kind"] = .string("kernel")
            body["kernel"] = .string(name)
            body["settings"] = .object(settings)
        }
        return WireMessage(.assign, body)
    }

    public init(_ message: WireMessage) throws(WireError) {
        attempt = AttemptID(job: try message.integer("job"), attempt: Int(try message.integer("attempt")))
        sweep = try message.integer("sweep")
        seed = try message.integer("seed")
        guard let params = message.body["params"], case .object = params else { throw .malformedBody("ASSIGN needs 'params' (an object)") }
        self.params = params
        slots = Int(try message.integer("slots"))
        gpus = Int(try message.integer("gpus"))
        maxSteps = message.body["max_steps"].flatMap { if case .int(let value) = $0 { Int(value) } else { nil } }
        switch try message.string("kind") {
        case "command":
            let argv = try message.list("argv").compactMap(\.stringValue)
            guard !argv.isEmpty else { throw .malformedBody("ASSIGN of a command needs a non-empty 'argv' of strings") }
            work = .command(argv: argv)
        case "kernel":
            guard case .object(let settings)? = message.body["settings"] ?? .object([:]) else { throw .malformedBody("'settings' of ASSIGN must be an object") }
            work = .kernel(name: try message.string("kernel"), settings: settings)
        default:
            throw .malformedBody("'kind' of ASSIGN must be command or kernel")
        }
    }
}

/// STARTED, worker → coordinator (acknowledged).
public struct Started: Sendable, Equatable {
    public var seq: Int64
    public var attempt: AttemptID

    public init(seq: Int64, attempt: AttemptID) {
        self.seq = seq
        self.attempt = attempt
    }

    public var message: WireMessage {
        WireMessage(.started, ["seq": .int(seq), "job": .int(attempt.job), "attempt": .int(Int64(attempt.attempt))])
    }

    public init(_ message: WireMessage) throws(WireError) {
        seq = try message.integer("seq")
        attempt = AttemptID(job: try message.integer("job"), attempt: Int(try message.integer("attempt")))
    }
}

/// METRICS, worker → coordinator (acknowledged): points of one attempt.
public struct MetricBatch: Sendable, Equatable {
    /// One value: step, metric name, value.
    public struct Point: Sendable, Equatable {
        public var step: Int64
        public var name: String
        public var value: Double

        public init(step: Int64, name: String, value: Double) {
            self.step = step
            self.name = name
            self.value = value
        }
    }

    public var seq: Int64
    public var attempt: AttemptID
    public var points: [Point]

    public init(seq: Int64, attempt: AttemptID, points: [Point]) {
        self.seq = seq
        self.attempt = attempt
        self.points = points
    }

    public var message: WireMessage {
        WireMessage(.metrics, [
            "seq": .int(seq), "job": .int(attempt.job), "attempt": .int(Int64(attempt.attempt)),
            "points": .array(points.map { .array([.int($0.step), .string($0.name), .double($0.value)]) }),
        ])
    }

    public init(_ message: WireMessage) throws(WireError) {
        seq = try message.integer("seq")
        attempt = AttemptID(job: try message.integer("job"), attempt: Int(try message.integer("attempt")))
        points = try message.list("points").map { value throws(WireError) in
            guard case .array(let triple) = value, triple.count == 3, case .int(let step) = triple[0], step >= 0,
                  case .string(let name) = triple[1], let number = triple[2].numberValue, number.isFinite else {
                throw .malformedBody("each METRICS point is [step ≥ 0, name, finite value]")
            }
            return Point(step: step, name: name, value: number)
        }
    }
}

/// RESULT, worker → coordinator (acknowledged): how an attempt ended.
public struct AttemptResult: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case succeeded, failed, stopped, released
    }

    public var seq: Int64
    public var attempt: AttemptID
    public var outcome: Outcome
    public var exitStatus: Int?
    public var error: String?
    public var logTail: String?
    public var finalMetrics: [String: Double]
    /// How long the attempt ran, by the worker's clock, from taking the ASSIGN to its end
    /// (`run_ms`; absent from workers that do not measure it).
    public var runMilliseconds: Int64?

    public init(seq: Int64, attempt: AttemptID, outcome: Outcome, exitStatus: Int?, error: String?, logTail: String?, finalMetrics: [String: Double],
                runMilliseconds: Int64? = nil) {
        self.runMilliseconds = runMilliseconds
        self.seq = seq
        self.attempt = attempt
        self.outcome = outcome
        self.exitStatus = exitStatus
        self.error = error
        self.logTail = logTail
        self.finalMetrics = finalMetrics
    }

    public var message: WireMessage {
        var body: [String: ParamValue] = [
            "seq": .int(seq), "job": .int(attempt.job), "attempt": .int(Int64(attempt.attempt)), "outcome": .string(outcome.rawValue),
            "final": .object(finalMetrics.filter { $0.value.isFinite }.mapValues { .double($0) }),
        ]
        if let exitStatus { body["exit_status"] = .int(Int64(exitStatus)) }
        if let error { body["error"] = .string(error) }
        if let logTail { body["log_tail"] = .string(logTail) }
        if let runMilliseconds { body["run_ms"] = .int(runMilliseconds) }
        return WireMessage(.result, body)
    }

    public init(_ message: WireMessage) throws(WireError) {
        seq = try message.integer("seq")
        attempt = AttemptID(job: try message.integer("job"), attempt: Int(try message.integer("attempt")))
        guard let outcome = Outcome(rawValue: try message.string("outcome")) else {
            throw .malformedBody("'outcome' of RESULT must be succeeded, failed, stopped or released")
        }
        self.outcome = outcome
        exitStatus = message.body["exit_status"].flatMap { if case .int(let value) = $0 { Int(value) } else { nil } }
        error = message.body["error"]?.stringValue
        logTail = message.body["log_tail"]?.stringValue
        guard case .object(let final)? = message.body["final"] ?? .object([:]) else { throw .malformedBody("'final' of RESULT must be an object") }
        finalMetrics = final.compactMapValues(\.numberValue)
        runMilliseconds = try message.optionalInteger("run_ms", atLeast: 0)
    }
}

/// ACK, coordinator → worker: a reliable message was processed.
public struct Ack: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Recorded.
        case ok
        /// From a superseded attempt: nothing changed; forget it.
        case stale
        /// Refused for good (malformed content); forget it.
        case error
    }

    public var seq: Int64
    public var status: Status

    public init(seq: Int64, status: Status) {
        self.seq = seq
        self.status = status
    }

    public var message: WireMessage { WireMessage(.ack, ["seq": .int(seq), "status": .string(status.rawValue)]) }

    public init(_ message: WireMessage) throws(WireError) {
        seq = try message.integer("seq")
        guard let status = Status(rawValue: try message.string("status")) else { throw .malformedBody("'status' of ACK must be ok, stale or error") }
        self.status = status
    }
}

/// STOP, coordinator → worker: end this attempt (SIGTERM, then SIGKILL after the grace).
public struct StopRequest: Sendable, Equatable {
    public var attempt: AttemptID
    public var reason: String
    public var graceMilliseconds: Int

    public init(attempt: AttemptID, reason: String, graceMilliseconds: Int) {
        self.attempt = attempt
        self.reason = reason
        self.graceMilliseconds = graceMilliseconds
    }

    public var message: WireMessage {
        WireMessage(.stop, ["job": .int(attempt.job), "attempt": .int(Int64(attempt.attempt)), "reason": .string(reason), "grace_ms": .int(Int64(graceMilliseconds))])
    }

    public init(_ message: WireMessage) throws(WireError) {
        attempt = AttemptID(job: try message.integer("job"), attempt: Int(try message.integer("attempt")))
        reason = try message.string("reason")
        graceMilliseconds = Int(try message.integer("grace_ms"))
    }
}

/// ERROR, either way: a message was refused.
public struct ErrorReport: Sendable, Equatable {
    /// `WireError.code`, or `hello_first` when a worker that has not said HELLO sends anything else.
    public var code: String
    public var detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var message: WireMessage { WireMessage(.error, ["code": .string(code), "message": .string(detail)]) }

    public init(_ message: WireMessage) throws(WireError) {
        code = try message.string("code")
        detail = message.body["message"]?.stringValue ?? ""
    }
}
