import Foundation
public import Logging
import PostgresNIO
public import ServiceLifecycle
public import SweepCore
import SweepPrediction
public import SweepStore
import SweepWire

/// The coordinator: hands jobs from PostgreSQL to workers over ZeroMQ, collects their
/// metrics and results, renews leases while workers live, retries the jobs of workers that
/// die, and forwards cancellations. Everything it needs lives in PostgreSQL, so a restarted
/// coordinator carries on where the last one stopped.
public actor Coordinator: Service {
    /// A connected worker, as the coordinator tracks it. A class, so that the loops over all
    /// workers (dispatch, heartbeats, lease checks) copy a reference each: as a struct every
    /// copy retained its dictionaries, and with 1,000 workers that was a fifth of the
    /// coordinator's CPU (`perf` during `sweep bench dispatch`). Only this actor touches it.
    final class WorkerState {
        var identity: [UInt8]
        var hello: Hello
        var lastHeard: ContinuousClock.Instant
        var freeSlots: Int { didSet { mayHaveRoom() } }
        var freeGPUs: Int { didSet { mayHaveRoom() } }
        /// Attempts assigned to it, with the slots and GPUs each holds.
        var assigned: [AttemptID: (slots: Int, gpus: Int)] = [:]
        /// Attempts the worker reported as started.
        var started: Set<AttemptID> = []
        var draining = false { didSet { mayHaveRoom() } }
        /// Whether its row in sweep.workers is written: until then it is given no job, because
        /// each attempt records the host of its worker from that row.
        var registered = false { didSet { mayHaveRoom() } }
        /// When it last said HELLO.
        var joinedAt = ContinuousClock.now
        /// The attempts it last said it runs (in HELLO, then in every HEARTBEAT).
        var reportedRunning: Set<AttemptID> = []
        /// When each attempt of `assigned` was sent to it.
        var assignedAt: [AttemptID: ContinuousClock.Instant] = [:]
        /// Its labels and kernels, as dispatch groups workers by them.
        let offer: Offer
        /// Whether it receives BATCH (announced in HELLO).
        let batches: Bool
        /// When it is next sent HEARTBEAT.
        var heartbeatDue: ContinuousClock.Instant
        /// Jobs claimed for it and kept until a slot frees (Coordinator+Ready), oldest first.
        var ready: [ReadyJob] = [] { didSet { mayHaveRoom() } }
        /// Its recent jobs' time from ASSIGN to RESULT (weighted average; nil before the first).
        var recentJobTime: Duration? { didSet { mayHaveRoom() } }
        /// Where a change that may give it room for a job is noted (`RoomWatch`).
        var roomWatch: RoomWatch?

        init(identity: [UInt8], hello: Hello, lastHeard: ContinuousClock.Instant, freeSlots: Int, freeGPUs: Int, heartbeatInterval: Duration) {
            self.identity = identity
            self.hello = hello
            self.lastHeard = lastHeard
            self.freeSlots = freeSlots
            self.freeGPUs = freeGPUs
            offer = Offer(labels: hello.labels, kernels: hello.kernels.sorted())
            batches = hello.features.contains(WireFeature.batch)
            heartbeatDue = lastHeard + heartbeatInterval * Double.random(in: 0..<1)
        }

        private func mayHaveRoom() {
            roomWatch?.workers.insert(hello.worker)
        }
    }

    /// The workers that may have room for a job or a ready job: each change to what gives a
    /// worker room (free slots or GPUs, ready jobs, job time, registration, draining) adds it,
    /// and dispatch looks at these instead of every worker (a scan of 1,000 workers on every
    /// dispatch was 4% of the coordinator's CPU in `sweep bench dispatch`), dropping those it
    /// finds without room. Only this actor touches it.
    final class RoomWatch {
        var workers: Set<String> = []
    }

    /// What a worker offers beyond slots: jobs are claimed for all workers of one offer at once.
    struct Offer: Hashable {
        var labels: [String: String]
        var kernels: [String]
    }

    let configuration: CoordinatorConfiguration
    let store: SweepStore
    let logger: Logger
    let context: ZMQContext
    let socket: SocketLoop
    /// The ZAP handler admitting worker keys (CURVE only; Coordinator+Security).
    let authentication: ZAPHandler?

    var workers: [String: WorkerState] = [:]
    /// Sessions opened by HELLO and not yet registered (`registerJoining`).
    var joining: [JoiningWorker] = []
    /// Wakes `registrationLoop` when `joining` has entries.
    let joiningSignal: AsyncStream<Void>.Continuation
    let joiningSignals: AsyncStream<Void>

    /// A session waiting for registration: the HELLO, the session it opened and the one it
    /// replaced.
    struct JoiningWorker {
        let hello: Hello
        let identity: [UInt8]
        let state: WorkerState
        let previous: WorkerState?
    }
    var specs: [Int64: SweepSpec] = [:]
    /// The sweep of each job assigned or reporting (until its result is recorded).
    var jobSweeps: [Int64: Int64] = [:]
    /// Early stopping per sweep; `.some(nil)` for a sweep with neither a policy nor a target.
    var earlyStopping: [Int64: EarlyStoppingState?] = [:]
    /// When each sweep of `earlyStopping` last had points judged (Coordinator+Forgetting).
    var sweepStateUsed: [Int64: ContinuousClock.Instant] = [:]
    /// Points written and results recorded that early stopping has yet to take in, and the
    /// task taking them (Coordinator+EarlyStopping).
    var stoppingEvents: [StoppingEvent] = []
    var judgeTask: Task<Void, Never>?
    var lastStoppingRound: ContinuousClock.Instant?
    /// Why the coordinator stopped an attempt, recorded as the job's stop reason.
    var stopReasons: [AttemptID: String] = [:]
    var stopsSent: Set<AttemptID> = []
    /// Ladder sweeps waiting for a refit, and when each was last fitted (Coordinator+Ladder).
    var ladderRefits = LadderRefits()

    // Work waiting to be written, with the acknowledgements owed once it is.
    var pendingPoints: [MetricPoint] = []
    var pendingPointAcks: [(identity: [UInt8], seq: Int64)] = []
    var pendingPointsSince: ContinuousClock.Instant?
    var pendingReports: [(identity: [UInt8], seq: Int64, report: AttemptReport)] = []
    var pendingStarts: [(identity: [UInt8], seq: Int64, attempt: AttemptID)] = []
    var pendingReportsSince: ContinuousClock.Instant?
    /// Attempts whose RESULT arrived and is not yet recorded (waiting, or its write failed and
    /// the worker will resend it), and when it arrived: their leases are not handed back.
    var unrecordedResults: [AttemptID: ContinuousClock.Instant] = [:]
    /// Attempts with points whose write failed (the worker resends them): their results are
    /// not recorded before the points are.
    var metricsUnwritten: Set<AttemptID> = []
    var flushing = false

    // Dispatch.
    var wantDispatch = true {
        didSet { if wantDispatch { nudge() } }
    }
    /// ASSIGNs of ready jobs for the slots the message being handled freed (Coordinator+Ready).
    var readyOutbox = Outbox()
    /// The hot loop, idle, waiting for work or its next timer (`waitForWork`).
    var idleWaiter: CheckedContinuation<Void, Never>?
    /// The flush running in the background of the hot loop, if any (shutDown waits for it).
    var flushTask: Task<Void, Never>?
    var dispatchesInFlight = 0
    /// A dispatch is looking for jobs that need several slots or GPUs (one at a time).
    var wideClaiming = false
    /// When jobs needing several slots or GPUs were last looked for (one claim per worker),
    /// and whether that found any: the search runs at once after a wake-up or a find, else
    /// at most once per poll interval, so that many workers do not cost a claim each on
    /// every dispatch.
    var lastWideClaim: ContinuousClock.Instant?
    let roomWatch = RoomWatch()
    /// When dispatch last looked at every worker (once a second, whatever `roomWatch` says).
    var lastFullRoomScan: ContinuousClock.Instant?
    var wideClaimFound = false
    var wokenSinceWideClaim = true
    /// A large sweep arrived: the queue's statistics need a refresh (one at a time).
    var statisticsWanted = false
    /// A check of the statistics' age is due (Coordinator+Tick.maintain).
    var statisticsChecked = false
    var refreshingStatistics = false
    var statisticsWatch = QueueStatisticsWatch()
    /// When the statistics' age was last checked (nil: at start).
    var lastStatisticsCheck: ContinuousClock.Instant?
    var lastPoll = ContinuousClock.now
    var lastHeartbeat = ContinuousClock.now
    /// When leases were last renewed (nil: the first heartbeat renews them).
    var lastRenewal: ContinuousClock.Instant?
    var lastReclaim = ContinuousClock.now
    var lastSupersededCheck = ContinuousClock.now
    var lastLeaseCheck = ContinuousClock.now
    var lastForget = ContinuousClock.now
    /// When held ladder rungs were last looked for (`.distantPast`: at start).
    var lastHeldRungCheck: ContinuousClock.Instant?
    /// Leases that a worker did not list as running when last checked, and since when.
    var unlistedLeases: [AttemptID: ContinuousClock.Instant] = [:]
    var stopping = false

    /// Counters for logs, status and tests.
    public struct Counters: Sendable {
        /// HELLOs handled: workers joining, or joining again after a reconnection.
        public var hellos = 0
        /// HELLOs recognised as repeats of the one that made the worker's session (§2.3).
        public var repeatedHellos = 0
        public var assigned = 0
        public var results = 0
        public var staleReports = 0
        public var metricPoints = 0
        /// Messages refused as malformed, in all and by ERROR code.
        public var malformed = RefusalCounts()
        public var malformedMessages: Int { malformed.total }
        public var workersPresumedDead = 0
        public var earlyStops = 0
        /// Ready jobs handed back so that free slots of other workers get them (the queue ran dry).
        public var readyRedistributed = 0
        /// Points early stopping took in while too far behind to judge each (only each run's
        /// newest was judged).
        public var stoppingPointsThinned = 0
        /// ASSIGNs sent from ready jobs, the moment a slot freed (Coordinator+Ready).
        public var assignedFromReady = 0
        /// Ready jobs handed back to the queue unsent.
        public var readyReleased = 0
        /// Claims of single-slot jobs made by dispatches, and the jobs they returned.
        public var claims = 0
        public var claimedJobs = 0

        /// Database calls that failed, and those abandoned after `databaseCallLimit`.
        public var databaseCallsFailed = 0
        public var databaseCallsAbandoned = 0
        /// How long each kind of database call took, by its description (the label is made
        /// from it when rendered: `Coordinator.callLabel`), failures included.
        public var databaseCalls: [String: DurationHistogram] = [:]
    }

    /// What the coordinator has done so far.
    public internal(set) var counters = Counters()
    /// When it was made (for monitoring: its start time and so its counters' age).
    let startTime = Date()

    /// Binds the ROUTER socket; `run()` starts serving.
    public init(configuration: CoordinatorConfiguration, store: SweepStore, logger: Logger) throws {
        self.configuration = configuration
        self.store = store
        (joiningSignals, joiningSignal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var logger = logger
        logger[metadataKey: "sweep.coordinator.id"] = "\(configuration.coordinatorID)"
        self.logger = logger
        context = try ZMQContext()
        authentication = try Self.startAuthentication(context: context, curve: configuration.curve, logger: logger)
        var options = SocketOptions()
        options.routerMandatory = true
        options.routerHandover = true
        options.curve = configuration.curve.map { .server(secretKey: $0.secretKey, zapDomain: $0.zapDomain) }
        let warn = logger
        socket = try SocketLoop(
            context: context, kind: .router, options: options, bind: [configuration.bind],
            onSendError: { error, frames in
                warn.debug("could not send to a worker", metadata: ["sweep.wire.error": "\(error)", "sweep.worker.id": "\(String(decoding: frames.first ?? [], as: UTF8.self))"])
            },
            onHandshakeFailure: Self.handshakeFailureLogger(curve: configuration.curve, logger: logger))
    }

    /// The endpoint actually bound.
    public nonisolated var endpoint: String { socket.boundEndpoints.first ?? configuration.bind }

    /// Serves until the task is cancelled, then shuts down gracefully: stops claiming,
    /// writes what is pending, hands back attempts that had not started.
    public func run() async throws {
        try await store.migrate()
        logger.info("coordinator listening", metadata: ["sweep.coordinator.endpoint": "\(endpoint)"])
        // SIGTERM (through the service group) cancels the loops; then shut down gracefully.
        await cancelWhenGracefulShutdown {
            await self.serve()
        }
        await shutDown()
    }

    private func serve() async {
        // Each loop is a method of the actor, so that it runs on the actor's executor from
        // one round to the next instead of hopping to the global pool and back on every call.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.receiveLoop() }
            group.addTask { await self.registrationLoop() }
            group.addTask { await self.listenForJobs() }
            group.addTask { await self.hotLoop() }
            group.addTask { await self.tickerLoop() }
            group.addTask { await self.maintenanceLoop() }
            // Cancelling run() cancels these children; each loop ends when cancelled.
            await group.waitForAll()
        }
    }

    /// What workers send, in the order it arrives.
    private func receiveLoop() async {
        for await frames in socket.incoming { await receive(frames) }
    }

    /// Writing reports and dispatching, round after round while there is work.
    private func hotLoop() async {
        while !Task.isCancelled {
            if await tick() {
                await Task.yield()
            } else {
                await waitForWork()
            }
        }
    }

    /// The flush timers and the poll interval: the hot loop looks every 2 ms.
    private func tickerLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(2))
            nudge()
        }
    }

    /// The slower bookkeeping, every 10 ms.
    private func maintenanceLoop() async {
        while !Task.isCancelled {
            await maintain()
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Wakes dispatch on `NOTIFY sweep_jobs` (new sweeps, resumed sweeps, retries due).
    func listenForJobs() async {
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: "sweep_jobs") { notifications in
                        for try await notification in notifications {
                            self.wake()
                            if let sweep = SweepStore.newSweep(inNotification: notification.payload), sweep.jobs >= SweepStore.largeSweepJobs {
                                self.refreshStatistics(force: true, reason: "sweep \(sweep.sweep) of \(sweep.jobs) jobs")
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("LISTEN ended; polling meanwhile", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Analyzes sweep.jobs in the background, one ANALYZE at a time: at once (`force`) when a
    /// large sweep has arrived, else only when its statistics have gone stale (checked at
    /// start and every `statisticsCheckInterval`: jobs enqueued while no coordinator listened
    /// announce themselves to nobody). A request during a refresh runs once it ends.
    func refreshStatistics(force: Bool, reason: String) {
        statisticsWanted = statisticsWanted || force
        statisticsChecked = statisticsChecked || !force
        guard !refreshingStatistics else { return }
        refreshingStatistics = true
        Task {
            while self.statisticsWanted || self.statisticsChecked {
                let forced = self.statisticsWanted
                self.statisticsWanted = false
                self.statisticsChecked = false
                let start = ContinuousClock.now
                do {
                    guard let age = try await self.store.queueStatisticsAge() else { continue }
                    guard forced || self.statisticsWatch.check(age) else { continue }
                    let newRows = self.statisticsWatch.rowsSinceAnalyze(age)
                    try await self.store.refreshQueueStatistics()
                    if forced { self.statisticsWatch.analyzedEarly(after: age) } else { self.statisticsWatch.analyzed(after: age) }
                    self.logger.info("queue statistics refreshed", metadata: [
                        "sweep.statistics.reason": "\(forced ? reason : "stale")",
                        "sweep.statistics.new_rows": "\(newRows)",
                        "sweep.duration": "\(ContinuousClock.now - start)",
                    ])
                } catch {
                    self.logger.warning("could not refresh the queue's statistics", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
                }
            }
            self.refreshingStatistics = false
        }
    }

    /// Waits until something brings work: a message that frees a slot, a finished write or
    /// claim, or the 2 ms ticker (the flush timers). Waking at once, instead of sleeping out a
    /// fixed interval, takes that wait off a slot's way to its next job. (A timer per wait
    /// instead of the ticker cost more than it saved: a timerfd update on every message.)
    func waitForWork() async {
        guard !Task.isCancelled, !stopping else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                idleWaiter?.resume()
                idleWaiter = continuation
            }
        } onCancel: {
            Task { await self.nudge() }
        }
    }

    /// Wakes the hot loop if it waits.
    func nudge() {
        if let waiter = idleWaiter {
            idleWaiter = nil
            waiter.resume()
        }
    }

    func wake() {
        wantDispatch = true
        wokenSinceWideClaim = true
    }

    func send(_ message: WireMessage, to identity: [UInt8]) {
        socket.send([identity] + FrameCodec.encode(message))
    }

    /// Messages for several workers, collected and then sent together: several for one
    /// worker that receives BATCH go as one message.
    struct Outbox {
        fileprivate var order: [[UInt8]] = []
        fileprivate var messages: [[UInt8]: [[[UInt8]]]] = [:]

        var isEmpty: Bool { order.isEmpty }

        mutating func add(_ message: WireMessage, to identity: [UInt8]) {
            let frames = FrameCodec.encode(message)
            if messages[identity]?.append(frames) == nil {
                order.append(identity)
                messages[identity] = [frames]
            }
        }
    }

    /// Sends what `outbox` collected, in order per worker.
    func deliver(_ outbox: Outbox) {
        for identity in outbox.order {
            guard let messages = outbox.messages[identity] else { continue }
            let batches = workers[String(decoding: identity, as: UTF8.self)]?.batches ?? false
            for frames in batches ? FrameCodec.batched(messages) : messages {
                socket.send([identity] + frames)
            }
        }
    }

    /// Runs one step of `shutDown` under a `SlowStepWatch`.
    private func shutdownStep(_ what: String, _ step: () async -> Void) async {
        await SlowStepWatch(logger: logger).run(what, step)
    }

    func shutDown() async {
        stopping = true
        nudge()
        logger.info("coordinator stopping", metadata: [
            "sweep.coordinator.workers": "\(workers.count)", "sweep.coordinator.dispatches_in_flight": "\(dispatchesInFlight)",
            "sweep.coordinator.stopping_events": "\(stoppingEvents.count)",
        ])
        // Each step is timed: one that takes long is named in the log (a shutdown that does
        // not end then shows where it waits).
        await shutdownStep("finishing dispatches in flight") {
            // Dispatches in flight finish assigning first, so that what they claimed is handed
            // back below if it has not started.
            while self.dispatchesInFlight > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        }
        await shutdownStep("writing the last reports") {
            while let running = self.flushTask { await running.value; if self.flushTask == running { self.flushTask = nil } }
            await self.flush(force: true)
        }
        await shutdownStep("judging the last reports for early stopping") {
            // Early stopping takes in what the last flush wrote: its decisions are stored.
            while let judging = self.judgeTask { await judging.value }
        }
        await shutdownStep("handing back jobs not started") {
            // Attempts assigned but not yet started go back to the queue at once, and so do ready jobs.
            for (_, worker) in self.workers {
                await self.releaseReady(of: worker, why: "the coordinator stops")
                for (attempt, _) in worker.assigned where !worker.started.contains(attempt) {
                    _ = try? await self.bounded("handing back a job") { [store = self.store] in try await store.release(job: attempt.job, attempt: attempt.attempt) }
                }
            }
        }
        socket.close()
        let traffic = socket.stats
        logger.info("coordinator stopped", metadata: [
            "sweep.coordinator.messages_received": "\(traffic.received)", "sweep.coordinator.messages_sent": "\(traffic.sent)",
            "sweep.coordinator.assigned": "\(counters.assigned)", "sweep.coordinator.results": "\(counters.results)",
            "sweep.coordinator.assigned_from_ready": "\(counters.assignedFromReady)", "sweep.coordinator.ready_released": "\(counters.readyReleased)",
            "sweep.coordinator.ready_redistributed": "\(counters.readyRedistributed)",
            "sweep.coordinator.claims": "\(counters.claims)", "sweep.coordinator.claimed_jobs": "\(counters.claimedJobs)",
            "sweep.coordinator.early_stops": "\(counters.earlyStops)", "sweep.coordinator.stopping_points_thinned": "\(counters.stoppingPointsThinned)",
            "sweep.coordinator.remembered": "\(remembered.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
        ])
    }
}
