import Foundation
import Logging
import SweepCore
import SweepWire

/// The conversation with the coordinator: handshake, heartbeats, acknowledgements, liveness.
extension Worker {
    func receive(_ frames: [[UInt8]]) {
        lastHeard = ContinuousClock.now
        let message: WireMessage
        switch FrameCodec.decode(frames) {
        case .success(let decoded):
            message = decoded
        case .failure(let error):
            refuse(error)
            return
        }
        guard message.command == .batch else {
            handle(message)
            return
        }
        // Each message of a BATCH is processed as if it had arrived alone, in order.
        do {
            for entry in try FrameCodec.unpack(message) {
                switch entry {
                case .success(let inner): handle(inner)
                case .failure(let error): refuse(error)
                }
            }
        } catch {
            refuse(error)
        }
    }

    /// Counts, logs and answers a message that cannot be processed.
    private func refuse(_ error: WireError) {
        counters.malformed.count(code: error.code)
        logger.warning("dropped a malformed message from the coordinator", metadata: ["sweep.wire.error": "\(error)"])
        send(ErrorReport(code: error.code, detail: error.description).message)
    }

    /// Processes one message (alone or from a BATCH).
    private func handle(_ message: WireMessage) {
        do {
            switch message.command {
            case .welcome:
                let welcome = try Welcome(message)
                heartbeatInterval = .milliseconds(welcome.heartbeatMilliseconds)
                liveness = welcome.liveness
                ackTimeout = .milliseconds(welcome.ackTimeoutMilliseconds)
                guard !welcomed else {
                    // An answer to a HELLO repeated before the first WELCOME came (§6.1): the
                    // session stands; only the timings are taken.
                    counters.repeatedWelcomes += 1
                    return
                }
                // The number of the HELLO it answers goes into the next HELLO's `welcomed`
                // (§6.1); a number this worker never sent is not one to remember.
                if let number = welcome.hello, number <= helloNumber { welcomedHello = number }
                welcomed = true
                counters.welcomes += 1
                coordinatorBatches = welcome.features.contains(WireFeature.batch)
                helloInterval = .seconds(1)
                logger.info("welcomed", metadata: ["sweep.coordinator.id": "\(welcome.coordinator)", "sweep.worker.unacked": "\(unacknowledged.count)"])
                // Everything not yet acknowledged goes again, in order.
                resendAll()
                if draining { send(WireMessage(.drain)) }
            case .assign:
                accept(try Assign(message))
            case .stop:
                stop(try StopRequest(message))
            case .ack:
                let ack = try Ack(message)
                acknowledged(ack.seq)
                if ack.status != .ok {
                    logger.debug("report not applied", metadata: ["sweep.wire.seq": "\(ack.seq)", "sweep.wire.status": "\(ack.status.rawValue)"])
                }
            case .heartbeat:
                break
            case .error:
                let report = try ErrorReport(message)
                if report.code == "hello_first" {
                    welcomed = false
                    lastHelloSent = ContinuousClock.now - .seconds(3600)
                } else {
                    logger.warning("coordinator refused a message", metadata: ["sweep.wire.code": "\(report.code)", "sweep.wire.message": "\(report.detail)"])
                }
            case .batch:
                throw WireError.malformedBody("BATCH cannot travel inside a BATCH")
            case .hello, .ready, .started, .metrics, .result, .drain, .bye:
                throw WireError.malformedBody("\(message.command.rawValue) is sent by workers, not to them")
            }
        } catch {
            counters.malformed.count(code: (error as? WireError)?.code ?? "malformed_body")
            logger.warning("dropped a message from the coordinator", metadata: ["sweep.wire.error": "\(error)"])
            send(ErrorReport(code: (error as? WireError)?.code ?? "malformed_body", detail: "\(error)").message)
        }
    }

    /// Periodic work: handshake and heartbeats, liveness, resends, metric flushes, kills.
    func tick() {
        let now = ContinuousClock.now
        if welcomed, now - lastHeard > heartbeatInterval * liveness {
            logger.warning("coordinator silent; reconnecting", metadata: ["sweep.worker.silence": "\(now - lastHeard)"])
            welcomed = false
            helloInterval = .seconds(1)
            lastHelloSent = now - .seconds(3600)
        }
        if !welcomed {
            if now - lastHelloSent >= helloInterval {
                if sendHello() {
                    lastHelloSent = now
                    helloInterval = min(helloInterval * 2, configuration.maxHelloInterval)
                } else {
                    // No connection yet (the socket queues to completed connections only), so
                    // nothing is waiting to arrive late: try again shortly, without backing off.
                    lastHelloSent = now - helloInterval + configuration.helloRetryWhileDisconnected
                }
            }
        } else {
            if now - lastHeartbeatSent >= heartbeatInterval {
                let heartbeat = WorkerHeartbeat(freeSlots: draining ? 0 : freeSlots, running: heldAttempts)
                send(heartbeat.message)
                lastHeartbeatSent = now
            }
            // Sent and not acknowledged in time: again (the coordinator dropped it, or the ACK
            // was lost; it is idempotent). Waiting ones go when the window has room, unless
            // they are lingering for company (`scheduleSend`).
            for (sequence, entry) in unacknowledged where entry.sentAt.map({ now - $0 >= ackTimeout }) ?? false {
                socket.send(entry.frames)
                unacknowledged[sequence]!.sentAt = now
            }
            if !lingerScheduled { sendWaiting() }
        }
        flushMetrics(olderThan: configuration.metricFlushInterval, now: now)
        escalateStops(now: now)
        if draining, running.isEmpty {
            let timedOut = drainStarted.map { now - $0 > configuration.drainTimeout } ?? false
            if unacknowledged.isEmpty || timedOut {
                if timedOut { logger.warning("drain timed out with unacknowledged reports", metadata: ["sweep.worker.unacked": "\(unacknowledged.count)"]) }
                send(WireMessage(.bye))
                finished = true
            }
        }
    }

    /// Sends HELLO; false when no connection took it.
    @discardableResult
    func sendHello() -> Bool {
        let hello = Hello(
            worker: configuration.workerID, host: configuration.host, pid: Int(getpid()), slots: configuration.slots,
            gpus: configuration.gpus, labels: configuration.labels, kernels: kernels.names, running: heldAttempts,
            features: [WireFeature.batch],
            numbering: Hello.Numbering(session: helloSession, number: helloNumber + 1, welcomed: welcomedHello))
        guard socket.sendIfTaken(FrameCodec.encode(hello.message)) else { return false }
        helloNumber += 1
        return true
    }
}
