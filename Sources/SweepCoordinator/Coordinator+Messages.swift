import Foundation
import Logging
import SweepCore
import SweepStore
import SweepWire

/// Handling what workers send.
extension Coordinator {
    func receive(_ frames: [[UInt8]]) async {
        guard let identity = frames.first, frames.count > 1 else { return }
        let workerID = String(decoding: identity, as: UTF8.self)
        let message: WireMessage
        switch FrameCodec.decode(Array(frames.dropFirst())) {
        case .success(let decoded):
            message = decoded
        case .failure(let error):
            refuse(error, from: identity, workerID: workerID)
            return
        }
        // ASSIGNs of ready jobs for the slots this message frees go out once it is handled.
        defer { sendReadyOutbox() }
        guard message.command == .batch else {
            await handle(message, from: identity, workerID: workerID)
            return
        }
        // Each message of a BATCH is processed as if it had arrived alone, in order.
        if workers[workerID] == nil {
            askForHello(identity, workerID: workerID)
            return
        }
        let entries: [Result<WireMessage, WireError>]
        do {
            entries = try FrameCodec.unpack(message)
        } catch {
            refuse(error, from: identity, workerID: workerID)
            return
        }
        for entry in entries {
            switch entry {
            case .success(let inner): await handle(inner, from: identity, workerID: workerID)
            case .failure(let error): refuse(error, from: identity, workerID: workerID)
            }
        }
    }

    /// Answers a message from a worker this coordinator does not know: HELLO first.
    private func askForHello(_ identity: [UInt8], workerID: String) {
        send(ErrorReport(code: "hello_first", detail: "this coordinator does not know worker '\(workerID.prefix(64))'; send HELLO").message, to: identity)
    }

    /// Counts, logs and answers a message that cannot be processed.
    private func refuse(_ error: WireError, from identity: [UInt8], workerID: String) {
        counters.malformed.count(code: error.code)
        logger.warning("dropped a malformed message", metadata: ["sweep.worker.id": "\(workerID.prefix(64))", "sweep.wire.error": "\(error)"])
        send(ErrorReport(code: error.code, detail: error.description).message, to: identity)
    }

    /// Processes one message (alone or from a BATCH).
    private func handle(_ message: WireMessage, from identity: [UInt8], workerID: String) async {
        if message.command != .hello, workers[workerID] == nil {
            askForHello(identity, workerID: workerID)
            return
        }
        workers[workerID]?.lastHeard = ContinuousClock.now
        do {
            switch message.command {
            case .hello:
                welcome(try Hello(message), identity: identity)
            case .heartbeat:
                workers[workerID]?.reportedRunning = Set(try WorkerHeartbeat(message).running)
            case .started:
                let started = try Started(message)
                workers[workerID]?.started.insert(started.attempt)
                pendingStarts.append((identity, started.seq, started.attempt))
                if pendingReportsSince == nil { pendingReportsSince = ContinuousClock.now }
            case .metrics:
                let batch = try MetricBatch(message)
                for point in batch.points {
                    pendingPoints.append(MetricPoint(job: batch.attempt.job, attempt: batch.attempt.attempt, step: point.step, name: point.name, value: point.value))
                }
                pendingPointAcks.append((identity, batch.seq))
                if pendingPointsSince == nil { pendingPointsSince = ContinuousClock.now }
                if pendingPoints.count >= configuration.metricFlushPoints { nudge() }
            case .result:
                let result = try AttemptResult(message)
                // Free the slots now (the worker has), once per attempt however often it is resent,
                // and fill them from the worker's ready jobs at once.
                if let worker = workers[workerID] {
                    noteJobTime(result.attempt, of: worker, now: ContinuousClock.now)
                    worker.assignedAt[result.attempt] = nil
                    if let held = worker.assigned.removeValue(forKey: result.attempt) {
                        worker.freeSlots += held.slots
                        worker.freeGPUs += held.gpus
                        worker.started.remove(result.attempt)
                        wantDispatch = true
                        sendReady(to: worker)
                    }
                }
                let outcome: AttemptReport.Outcome = switch result.outcome {
                case .succeeded: .succeeded
                case .failed: .failed
                case .stopped: .stopped
                case .released: .released
                }
                let report = AttemptReport(
                    job: result.attempt.job, attempt: result.attempt.attempt, outcome: outcome, finalMetrics: result.finalMetrics,
                    end: AttemptEnd(exitStatus: result.exitStatus, error: result.error, logTail: result.logTail, runMilliseconds: result.runMilliseconds),
                    stopReason: stopsSent.contains(result.attempt) ? stopReasons[result.attempt] ?? "stopped by the coordinator" : nil)
                pendingReports.append((identity, result.seq, report))
                unrecordedResults[result.attempt] = ContinuousClock.now
                if pendingReportsSince == nil { pendingReportsSince = ContinuousClock.now }
            case .drain:
                if let worker = workers[workerID] {
                    worker.draining = true
                    await releaseReady(of: worker, why: "the worker drains")
                }
                try? await bounded("recording a worker's state") { [store] in try await store.setWorkerState(workerID, to: "draining") }
            case .bye:
                if let worker = workers.removeValue(forKey: workerID) {
                    await releaseReady(of: worker, why: "the worker left")
                }
                try? await bounded("recording a worker's state") { [store] in try await store.setWorkerState(workerID, to: "gone") }
                logger.info("worker left", metadata: ["sweep.worker.id": "\(workerID)"])
            case .ready:
                wantDispatch = true
            case .batch:
                throw WireError.malformedBody("BATCH cannot travel inside a BATCH")
            case .welcome, .assign, .ack, .stop:
                throw WireError.malformedBody("\(message.command.rawValue) is sent by the coordinator, not to it")
            case .error:
                let report = try ErrorReport(message)
                logger.warning("worker refused a message", metadata: ["sweep.worker.id": "\(workerID)", "sweep.wire.code": "\(report.code)"])
            }
        } catch {
            counters.malformed.count(code: (error as? WireError)?.code ?? "malformed_body")
            logger.warning("dropped a message", metadata: ["sweep.worker.id": "\(workerID.prefix(64))", "sweep.wire.error": "\(error)"])
            send(ErrorReport(code: (error as? WireError)?.code ?? "malformed_body", detail: "\(error)").message, to: identity)
        }
    }

    /// Opens a worker's session (new or returning): the session replaces the one before at
    /// once, holding the attempts the worker still runs, and waits for `registerJoining` to
    /// write the worker's row, stop those attempts that are no longer its own and answer
    /// WELCOME. Nothing here waits for the database, so the messages of other workers are
    /// not held up while workers join, whether one or thousands at once (a start, a
    /// coordinator restart; BENCHMARKS.md, "Workers joining at once").
    func welcome(_ hello: Hello, identity: [UInt8]) {
        counters.hellos += 1
        guard hello.worker == String(decoding: identity, as: UTF8.self) else {
            send(ErrorReport(code: "malformed_body", detail: "HELLO 'worker' must equal the socket's routing id").message, to: identity)
            return
        }
        let previous = workers[hello.worker]
        if let previous, hello.repeats(previous.hello) {
            // Sent before the worker saw the WELCOME to the HELLO that made its session here
            // (that WELCOME is late, or was lost with a connection): the session stands. Once
            // registered, it is welcomed again, which the worker takes only if it has not been
            // yet; until then the WELCOME still to come answers both.
            counters.repeatedHellos += 1
            previous.lastHeard = ContinuousClock.now
            if previous.registered { send(welcomeMessage(answering: previous.hello), to: identity) }
            logger.debug("repeated HELLO", metadata: ["sweep.worker.id": "\(hello.worker)", "sweep.wire.hello": "\(hello.numbering?.number ?? 0)"])
            return
        }
        let state = WorkerState(identity: identity, hello: hello, lastHeard: ContinuousClock.now, freeSlots: hello.slots, freeGPUs: hello.gpus.count,
                                heartbeatInterval: configuration.heartbeatInterval)
        state.reportedRunning = Set(hello.running)
        for attempt in hello.running {
            // Every listed attempt holds its slots until its RESULT arrives, superseded or not
            // (a superseded one runs until the STOP takes effect): counting them free made the
            // coordinator assign jobs the worker had to hand back, over and over, for the
            // whole stop grace period (one job reached attempt 33 in the fault drill).
            let held = previous?.assigned[attempt] ?? (slots: 1, gpus: 0)
            state.assigned[attempt] = held
            state.started.insert(attempt)
            state.freeSlots -= held.slots
            state.freeGPUs -= held.gpus
        }
        // Attempts assigned before a reconnect that the worker no longer lists were lost in
        // transit: the leases will expire and they will be retried. Its ready jobs were never
        // sent: back to the queue (`registerJoining`).
        workers[hello.worker] = state
        state.roomWatch = roomWatch
        roomWatch.workers.insert(hello.worker)
        joining.append(JoiningWorker(hello: hello, identity: identity, state: state, previous: previous))
        joiningSignal.yield()
    }

    /// Finishes the sessions `welcome` opened, all waiting at once: one lookup of the attempts
    /// they list that are no longer theirs (STOP), one write of their rows, then WELCOME.
    /// A session replaced meanwhile (the worker restarted) is left to its successor.
    func registerJoining() async {
        while !joining.isEmpty {
            let batch = joining
            joining = []
            let running = batch.flatMap { $0.hello.running.map { ($0.job, $0.attempt) } }
            var superseded: Set<AttemptID> = []
            if !running.isEmpty {
                let stale = (try? await bounded("looking up superseded attempts") { [store] in try await store.supersededAttempts(running) }) ?? []
                superseded = Set(stale.map { AttemptID(job: $0.job, attempt: $0.attempt) })
            }
            await releaseReady(of: batch.compactMap(\.previous), why: "the worker said HELLO again")
            let records = batch.map { entry in
                WorkerRecord(id: entry.hello.worker, host: entry.hello.host, slots: entry.hello.slots, gpus: entry.hello.gpus,
                             labels: entry.hello.labels, kernels: entry.hello.kernels)
            }
            do {
                try await bounded("recording workers") { [store] in try await store.registerWorkers(records) }
            } catch {
                logger.warning("could not record workers", metadata: [
                    "sweep.workers": "\(records.count)", "sweep.error": "\(SweepStore.describe(error))",
                ])
            }
            for entry in batch where workers[entry.hello.worker] === entry.state {
                for attempt in entry.hello.running where superseded.contains(attempt) && !stopsSent.contains(attempt) {
                    send(StopRequest(attempt: attempt, reason: "not_adopted", graceMilliseconds: Int(configuration.stopGrace.milliseconds)).message, to: entry.identity)
                    stopsSent.insert(attempt)
                }
                // Until its row is written the worker is given no job: each attempt records
                // its worker's host from that row (a claim made meanwhile once recorded the
                // coordinator's fallback host instead, in the 500-job end-to-end test).
                entry.state.registered = true
                entry.state.lastHeard = ContinuousClock.now
                send(welcomeMessage(answering: entry.hello), to: entry.identity)
                logger.info("worker joined", metadata: [
                    "sweep.worker.id": "\(entry.hello.worker)", "sweep.worker.slots": "\(entry.hello.slots)",
                    "sweep.worker.adopted": "\(entry.state.assigned.count)",
                ])
            }
            wake()
        }
    }

    /// Waits for workers to join and registers them (`registerJoining`).
    func registrationLoop() async {
        for await _ in joiningSignals { await registerJoining() }
    }

    /// WELCOME for a worker's HELLO, echoing its number when it has one.
    func welcomeMessage(answering hello: Hello) -> WireMessage {
        Welcome(
            coordinator: configuration.coordinatorID, heartbeatMilliseconds: Int(configuration.heartbeatInterval.milliseconds),
            liveness: configuration.liveness, ackTimeoutMilliseconds: Int(configuration.ackTimeout.milliseconds),
            features: [WireFeature.batch], hello: hello.numbering?.number
        ).message
    }
}
