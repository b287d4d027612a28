import Foundation
public import Logging
public import SweepCore
import SweepWire
public import ServiceLifecycle

/// A worker: connects to the coordinator, runs up to `slots` attempts at once (commands as
/// child processes, kernels in process), streams their metrics, and reports how they end.
/// Everything it must not lose (STARTED, METRICS, RESULT) is kept until acknowledged and
/// resent after a reconnect.
public actor Worker: Service {
    /// Something that happened to a running attempt, delivered in order.
    enum Event: Sendable {
        case output(AttemptID, ChildProcess.Output)
        case exited(AttemptID, Int32)
        case kernelReport(AttemptID, Int64, [String: Double])
        case kernelFinished(AttemptID, [String: Double]?, String?)
    }

    let configuration: WorkerConfiguration
    let kernels: KernelRegistry
    let logger: Logger
    let context: ZMQContext
    let socket: SocketLoop
    let events: AsyncStream<Event>
    let eventSink: AsyncStream<Event>.Continuation

    // Protocol state.
    var welcomed = false
    var heartbeatInterval: Duration = .seconds(1)
    var liveness = 3
    var ackTimeout: Duration = .seconds(5)
    var lastHeard = ContinuousClock.now
    var lastHeartbeatSent = ContinuousClock.now - .seconds(3600)
    var lastHelloSent = ContinuousClock.now - .seconds(3600)
    var helloInterval: Duration = .seconds(1)
    /// This process's HELLO numbering (protocol.md §2.3): a session name new at each start,
    /// the number of the last HELLO sent, and the number the last WELCOME taken answered.
    let helloSession = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    var helloNumber: Int64 = 0
    var welcomedHello: Int64 = 0
    var nextSequence: Int64 = 1
    /// Reliable messages not yet acknowledged; `sentAt` nil: not sent yet (waiting for a
    /// connection, or for room in the window).
    var unacknowledged: [Int64: (frames: [[UInt8]], sentAt: ContinuousClock.Instant?)] = [:]
    /// Every reliable message below this sequence number has been sent (or acknowledged).
    var nextToSend: Int64 = 1
    /// Reliable messages sent and not acknowledged (at most `maxUnacknowledged`).
    var inFlight = 0
    /// Whether the coordinator receives BATCH (its WELCOME said so).
    var coordinatorBatches = false
    /// Whether a send of waiting reliable messages is scheduled (`scheduleSend`).
    var sendScheduled = false
    /// Whether a send after `reportLinger` is scheduled (`scheduleSend`).
    var lingerScheduled = false
    /// How long this worker's recent attempts ran, from ASSIGN accepted to their end (an
    /// exponentially weighted average); nil before the first ends.
    var recentRunTime: Duration?
    /// The STARTED of each running attempt, by attempt, until the attempt ends: one not yet
    /// sent when its RESULT is made is dropped (the RESULT says the attempt ran).
    var startedSequences: [AttemptID: Int64] = [:]
    /// Attempts that ended whose RESULT is not acknowledged yet, by the RESULT's sequence
    /// number. The worker still holds them: HEARTBEAT and HELLO list them with the running
    /// ones, or a RESULT waiting behind metrics would make the coordinator hand back a lease
    /// whose job has in fact finished, and run it again.
    var unreportedEnds: [Int64: AttemptID] = [:]

    /// The attempts this worker holds: running, or ended with the RESULT unacknowledged.
    var heldAttempts: [AttemptID] {
        Array(running.keys) + unreportedEnds.values.filter { running[$0] == nil }
    }
    var draining = false
    var finished = false

    // Jobs.
    var running: [AttemptID: RunningAttempt] = [:]
    var usedGPUs: Set<Int> = []

    /// Counters for logs, monitoring and tests.
    public struct Counters: Sendable {
        public var assigned = 0
        public var succeeded = 0
        public var failed = 0
        public var stopped = 0
        public var refused = 0
        /// Messages from the coordinator refused as malformed, in all and by ERROR code.
        public var malformed = RefusalCounts()
        public var malformedMessages: Int { malformed.total }
        /// Handshakes completed (WELCOMEs taken): 1 plus the reconnections.
        public var welcomes = 0
        /// WELCOMEs that came while connected (answers to HELLOs repeated before the first
        /// WELCOME): only their timings were taken.
        public var repeatedWelcomes = 0
    }

    /// What the worker has done so far.
    public internal(set) var counters = Counters()
    /// When it was made (for monitoring).
    let startTime = Date()

    /// Connects (libzmq retries by itself) and prepares the worker; `run()` starts it.
    public init(configuration: WorkerConfiguration, kernels: KernelRegistry = .builtIn, logger: Logger) throws {
        self.configuration = configuration
        self.kernels = kernels
        var logger = logger
        logger[metadataKey: "sweep.worker.id"] = "\(configuration.workerID)"
        self.logger = logger
        context = try ZMQContext()
        var options = SocketOptions()
        options.identity = Array(configuration.workerID.utf8)
        options.immediate = true
        options.curve = configuration.curve.map { .client(serverKey: $0.serverKey, secretKey: $0.secretKey) }
        socket = try SocketLoop(
            context: context, kind: .dealer, options: options, connect: [configuration.coordinator],
            onHandshakeFailure: Self.handshakeFailureLogger(curve: configuration.curve != nil, logger: logger))
        (events, eventSink) = AsyncStream<Event>.makeStream()
    }

    /// Runs until drained: SIGTERM (through the service group) or `drain()` starts the
    /// drain; cancellation stops at once.
    public func run() async {
        await withGracefulShutdownHandler {
            await self.work()
        } onGracefulShutdown: {
            Task { await self.drain() }
        }
    }

    private func work() async {
        logger.info("worker starting", metadata: ["sweep.worker.slots": "\(configuration.slots)", "sweep.coordinator": "\(configuration.coordinator)"])
        await withTaskGroup(of: Void.self) { group in
            // Both loops run on the actor, so that messages and events already waiting are
            // handled in one go, and what they make is sent together (`scheduleSend`).
            group.addTask { await self.receiveLoop() }
            group.addTask { await self.eventLoop() }
            group.addTask {
                while !(await self.isFinished), !Task.isCancelled {
                    await self.tick()
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            // The ticker ends when the worker is finished; then stop the others.
            _ = await group.next()
            group.cancelAll()
            socket.close()
            eventSink.finish()
        }
        let traffic = socket.stats
        logger.info("worker stopped", metadata: [
            "sweep.worker.succeeded": "\(counters.succeeded)", "sweep.worker.failed": "\(counters.failed)",
            "sweep.worker.messages_received": "\(traffic.received)", "sweep.worker.messages_sent": "\(traffic.sent)",
        ])
    }

    var isFinished: Bool { finished }

    private func receiveLoop() async {
        for await frames in socket.incoming { receive(frames) }
    }

    private func eventLoop() async {
        for await event in events { handle(event) }
    }

    /// Takes no new jobs, finishes those running, waits for acknowledgements, says BYE.
    public func drain() {
        guard !draining else { return }
        draining = true
        drainStarted = ContinuousClock.now
        logger.info("draining", metadata: ["sweep.worker.running": "\(running.count)"])
        if welcomed { send(WireMessage(.drain)) }
    }

    var drainStarted: ContinuousClock.Instant?

    /// Free slots now.
    var freeSlots: Int {
        configuration.slots - running.values.reduce(0) { $0 + $1.slots }
    }

    func send(_ message: WireMessage) {
        socket.send(FrameCodec.encode(message))
    }

    /// Keeps a reliable message (STARTED, METRICS, RESULT) until acknowledged and schedules
    /// its sending (`scheduleSend`). Reliable messages go out in sequence order.
    @discardableResult
    func sendReliable(_ build: (Int64) -> WireMessage) -> Int64 {
        let sequence = nextSequence
        nextSequence += 1
        unacknowledged[sequence] = (FrameCodec.encode(build(sequence)), nil)
        scheduleSend(lingering: true)
        return sequence
    }

    /// Sends the waiting reliable messages once the work already queued on the actor is done:
    /// the reports of a burst of ASSIGNs, ACKs or ended attempts then go out together (one
    /// BATCH), and a STARTED whose attempt has already ended is not sent at all. With a
    /// `reportLinger`, a new report (`lingering`) and attempts still running, the send waits
    /// that long, so the reports of attempts ending close together go out together too; once
    /// nothing runs, what waits goes at once. Messages that waited for room in the window go
    /// when ACKs make room (`lingering` false), or with the lingering send if one is pending.
    /// Only while recent attempts ran less than `lingerRunTimeFactor` times the linger: a
    /// linger costs a slot up to its length per job, which only short jobs repay.
    func scheduleSend(lingering: Bool = false) {
        guard nextToSend < nextSequence else { return }
        let linger = configuration.reportLinger
        if lingering, Self.lingers(linger, recentRunTime: recentRunTime, othersRunning: !running.isEmpty) {
            guard !lingerScheduled else { return }
            lingerScheduled = true
            Task {
                try? await Task.sleep(for: linger)
                self.sendLingered()
            }
        } else {
            guard !sendScheduled else { return }
            sendScheduled = true
            Task { self.sendScheduledMessages() }
        }
    }

    /// Reports linger only while recent attempts ran less than this many lingers (so a
    /// linger costs a slot at most about 3% of its time).
    static let lingerRunTimeFactor = 30

    /// Whether a new report waits `linger` for company: only when attempts are still running
    /// (their reports may follow) and recent attempts were short enough to repay it (none
    /// has ended yet: not known, so no).
    static func lingers(_ linger: Duration, recentRunTime: Duration?, othersRunning: Bool) -> Bool {
        guard linger > .zero, othersRunning, let recent = recentRunTime else { return false }
        return recent < linger * lingerRunTimeFactor
    }

    private func sendScheduledMessages() {
        sendScheduled = false
        sendWaiting()
    }

    private func sendLingered() {
        lingerScheduled = false
        sendWaiting()
    }

    /// Sends waiting reliable messages, in order, while the window has room: as BATCH when
    /// the coordinator receives it.
    func sendWaiting() {
        guard welcomed else { return }
        var outgoing: [[[UInt8]]] = []
        let now = ContinuousClock.now
        while inFlight < configuration.maxUnacknowledged, nextToSend < nextSequence {
            defer { nextToSend += 1 }
            guard let entry = unacknowledged[nextToSend], entry.sentAt == nil else { continue }
            outgoing.append(entry.frames)
            unacknowledged[nextToSend]!.sentAt = now
            inFlight += 1
        }
        for frames in coordinatorBatches ? FrameCodec.batched(outgoing) : outgoing { socket.send(frames) }
    }

    /// A reliable message was acknowledged: it leaves the window.
    func acknowledged(_ sequence: Int64) {
        guard let entry = unacknowledged.removeValue(forKey: sequence) else { return }
        if entry.sentAt != nil { inFlight -= 1 }
        unreportedEnds[sequence] = nil
        // Room in the window: send what waits, unless it lingers for company (the lingering
        // send takes everything waiting with it, at most a linger later).
        if !lingerScheduled { scheduleSend() }
    }

    /// After a (re)connection everything not acknowledged goes again, in order, through the window.
    func resendAll() {
        for sequence in unacknowledged.keys { unacknowledged[sequence]!.sentAt = nil }
        inFlight = 0
        nextToSend = unacknowledged.keys.min() ?? nextSequence
        sendWaiting()
    }
}
