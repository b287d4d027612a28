import Foundation
import Logging
import SweepCore
import SweepStore
import SweepWire

/// The periodic work: writing batches, dispatching, heartbeats, liveness, leases, reclaims,
/// cancellations.
extension Coordinator {
    /// One round of the hot work: starts writing what workers reported and dispatching, both
    /// in the background; returns whether it started a dispatch, in which case the loop goes
    /// round again at once instead of waiting for work.
    @discardableResult
    func tick() async -> Bool {
        let now = ContinuousClock.now
        let metricsDue = pendingPoints.count >= configuration.metricFlushPoints
            || pendingPointsSince.map { now - $0 >= configuration.metricFlushInterval } ?? false
        let reportsDue = pendingReportsSince.map { now - $0 >= configuration.reportFlushInterval } ?? false
        if now - lastPoll >= configuration.pollInterval {
            lastPoll = now
            wantDispatch = true
        }
        let flushDue = metricsDue || reportsDue
        let dispatchDue = wantDispatch && !stopping
        // Writing what workers reported runs in the background, so that claiming for the
        // slots its reports freed never waits for it (one at a time; it nudges the loop when
        // done, for what arrived meanwhile).
        if flushDue, flushTask == nil {
            flushTask = Task {
                await self.flush(force: metricsDue)
                self.flushTask = nil
            }
        }
        var started = false
        if dispatchDue, dispatchesInFlight < Self.maxDispatches {
            dispatchesInFlight += 1
            wantDispatch = false  // the new dispatch reserves every slot free when it starts
            started = true
            Task {
                await self.dispatch()
                self.dispatchesInFlight -= 1
                if self.wantDispatch { self.nudge() }
            }
        }
        return started
    }

    /// Dispatches (claims) in flight at once at most.
    static let maxDispatches = 1

    /// The slower bookkeeping, in a loop of its own so that its round trips (which touch every
    /// worker's leases) never hold up writing reports and dispatching: heartbeats and
    /// liveness, lease renewal, reclaims, cancellations, leases nobody runs.
    func maintain() async {
        let now = ContinuousClock.now
        sendHeartbeats(now: now)
        if now - lastHeartbeat >= configuration.heartbeatInterval {
            lastHeartbeat = now
            await heartbeat(now: now)
        }
        if now - lastReclaim >= configuration.reclaimInterval {
            lastReclaim = now
            do {
                let result = try await bounded("reclaiming expired leases") { [store] in try await store.reclaimExpiredLeases() }
                if result.requeued > 0 { wantDispatch = true }
                if result.expired > 0 || result.dead > 0 {
                    logger.info("reclaimed leases", metadata: ["sweep.reclaim.expired": "\(result.expired)", "sweep.reclaim.requeued": "\(result.requeued)", "sweep.reclaim.dead": "\(result.dead)"])
                }
            } catch {
                logger.warning("could not reclaim leases", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
            }
        }
        if now - lastSupersededCheck >= configuration.supersededCheckInterval {
            lastSupersededCheck = now
            await stopSupersededAttempts()
        }
        if lastStatisticsCheck.map({ now - $0 >= configuration.statisticsCheckInterval }) ?? true {
            lastStatisticsCheck = now
            refreshStatistics(force: false, reason: "check")
        }
        if lastHeldRungCheck.map({ now - $0 >= .seconds(5) }) ?? true {
            lastHeldRungCheck = now
            await checkHeldRungs()
        }
        if now - lastForget >= configuration.forgetInterval {
            lastForget = now
            forgetEnded(now: now)
        }
        if now - lastLeaseCheck >= configuration.leaseCheckInterval {
            lastLeaseCheck = now
            await handBackUnrunLeases(now: now)
        }
        await releaseStaleReady(now: now)
    }

    /// Writes waiting metrics (then their ACKs), starts and results (then theirs). Metrics of
    /// an attempt are written before its result because workers send them first.
    func flush(force: Bool) async {
        guard !flushing else { return }
        flushing = true
        defer { flushing = false }
        // The ACKs of each part go out together when it is written: one message per worker
        // that receives BATCH.
        var outbox = Outbox()
        // Results that arrived after this flush took its points wait for the next one: their
        // job's last points may have come in since, behind the points being written, and a
        // result must never be recorded before its points (a flaky audit showed jobs
        // succeeded with half their points until the next flush).
        let reportsBefore = pendingReports.count
        if !pendingPoints.isEmpty {
            let points = pendingPoints, acks = pendingPointAcks
            pendingPoints = []
            pendingPointAcks = []
            pendingPointsSince = nil
            do {
                _ = try await bounded("writing metrics") { [store] in try await store.ingest(points) }
                counters.metricPoints += points.count
                if !metricsUnwritten.isEmpty {
                    metricsUnwritten.subtract(points.lazy.map { AttemptID(job: $0.job, attempt: $0.attempt) })
                }
                for ack in acks { outbox.add(Ack(seq: ack.seq, status: .ok).message, to: ack.identity) }
                deliver(outbox)
                outbox = Outbox()
                stoppingNeeds(points: points)
            } catch {
                // Not acknowledged: the workers resend, and ingestion is idempotent. Until
                // these attempts' points are written, their results wait too (below), so that
                // a job never ends succeeded with its curve missing.
                metricsUnwritten.formUnion(points.lazy.map { AttemptID(job: $0.job, attempt: $0.attempt) })
                logger.warning("could not write metrics; workers will resend", metadata: ["sweep.error": "\(SweepStore.describe(error))", "sweep.metrics.points": "\(points.count)"])
            }
        }
        if !pendingStarts.isEmpty {
            let starts = pendingStarts
            pendingStarts = []
            // An attempt whose result is already waiting goes from leased to its end in one
            // write (record() sets its start time too): a short job costs no separate write.
            let ending = Set(pendingReports.map { AttemptID(job: $0.report.job, attempt: $0.report.attempt) })
            let running = starts.filter { !ending.contains($0.attempt) }
            do {
                if !running.isEmpty {
                    let attempts = running.map { ($0.attempt.job, $0.attempt.attempt) }
                    try await bounded("marking attempts running") { [store] in try await store.markRunning(attempts) }
                }
                for start in starts { outbox.add(Ack(seq: start.seq, status: .ok).message, to: start.identity) }
            } catch {
                logger.warning("could not mark attempts running", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
            }
        }
        if !pendingReports.isEmpty {
            // Results of attempts whose points could not be written are dropped unacknowledged:
            // the worker resends its points and then its result (in order), and the result is
            // recorded once the points are in.
            var reports = Array(pendingReports.prefix(reportsBefore))
            pendingReports.removeFirst(reports.count)
            if !metricsUnwritten.isEmpty {
                let taken = reports.count
                reports.removeAll { metricsUnwritten.contains(AttemptID(job: $0.report.job, attempt: $0.report.attempt)) }
                logger.debug("results wait for their metrics", metadata: ["sweep.results": "\(taken - reports.count)"])
            }
            pendingReportsSince = pendingReports.isEmpty ? nil : ContinuousClock.now
            if !reports.isEmpty { do {
                let toRecord = reports.map(\.report)
                let outcomes = try await bounded("recording results") { [store] in try await store.record(toRecord) }
                for entry in reports {
                    // The attempt is over whatever the outcome: nothing about it is kept.
                    let attempt = AttemptID(job: entry.report.job, attempt: entry.report.attempt)
                    unrecordedResults[attempt] = nil
                    stopsSent.remove(attempt)
                    stopReasons[attempt] = nil
                }
                for (entry, outcome) in zip(reports, outcomes) {
                    if outcome == .applied, entry.report.outcome != .released {
                        stoppingNeeds(finished: entry.report)
                        noteLadderResult(entry.report)
                        jobSweeps[entry.report.job] = nil
                    }
                    counters.results += 1
                    if outcome != .applied {
                        counters.staleReports += 1
                        logger.info("refused a stale report", metadata: [
                            "sweep.job.id": "\(entry.report.job)", "sweep.job.attempt": "\(entry.report.attempt)",
                            "sweep.report.outcome": "\(entry.report.outcome)", "sweep.report.result": "\(outcome)",
                            "sweep.worker.id": "\(String(decoding: entry.identity, as: UTF8.self))",
                        ])
                    }
                    outbox.add(Ack(seq: entry.seq, status: outcome == .applied ? .ok : .stale).message, to: entry.identity)
                }
            } catch {
                logger.warning("could not record results; workers will resend", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
            } }
        }
        deliver(outbox)
        // Due again only while something waits: a flush that wrote only starts used to leave
        // the clock running, and the hot loop then spun on an empty flush until the next
        // result arrived.
        if pendingStarts.isEmpty && pendingReports.isEmpty {
            pendingReportsSince = nil
        } else {
            pendingReportsSince = pendingReportsSince ?? ContinuousClock.now
        }
    }

    /// Claims jobs for workers with free slots and sends them ASSIGN: first single-slot jobs
    /// for all workers of the same labels and kernels in one statement, then, one worker at a time, jobs
    /// that need more slots or GPUs.
    ///
    /// Several dispatches may be in flight (`maxDispatches`): each reserves the slots that are
    /// free when it starts, so that slots freed while a claim is on its way to the database
    /// get a claim of their own at once instead of waiting for it; each reserved slot is
    /// either given a job or handed back.
    func dispatch() async {
        wantDispatch = false
        // Workers grouped by labels and kernels; each contributes one entry per free slot,
        // reserved for this dispatch.
        // Also one entry per job to keep ready (Coordinator+Ready), after the free slots so
        // that a short queue goes to free slots first.
        var groups: [Offer: (slots: [String], ready: [String])] = [:]
        var reserved: [String: (worker: WorkerState, slots: Int)] = [:]
        // The workers that may have room (RoomWatch); every worker once a second besides.
        let scanned = ContinuousClock.now
        let everyone = lastFullRoomScan.map { scanned - $0 >= .seconds(1) } ?? true
        if everyone { lastFullRoomScan = scanned }
        let candidates = everyone ? Set(workers.keys) : roomWatch.workers
        // Those with room are added again below (reserving their slots changes them).
        roomWatch.workers.removeAll(keepingCapacity: true)
        for id in candidates {
            guard let worker = workers[id], worker.registered, !worker.draining else { continue }
            let room = readyRoom(worker)
            guard worker.freeSlots > 0 || room > 0 else { continue }
            groups[worker.offer, default: ([], [])].slots.append(contentsOf: repeatElement(id, count: worker.freeSlots))
            groups[worker.offer, default: ([], [])].ready.append(contentsOf: repeatElement(id, count: room))
            reserved[id] = (worker, worker.freeSlots)
            worker.freeSlots = 0
        }
        guard !groups.isEmpty else { return }
        for (offer, owners) in groups {
            // Interleave workers so that a short queue spreads over all of them.
            let spread = Self.interleave(owners.slots) + Self.interleave(owners.ready)
            let claimed: [(owner: String, job: ClaimedJob)]
            do {
                let (host, lease) = (configuration.coordinatorID, configuration.leaseDuration)
                claimed = try await bounded("claiming jobs") { [store] in
                    try await store.claimJobs(forSlots: spread, labels: offer.labels, kernels: offer.kernels, host: host, leaseDuration: lease)
                }
            } catch {
                logger.warning("could not claim jobs", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
                break
            }
            counters.claims += 1
            counters.claimedJobs += claimed.count
            var outbox = Outbox()
            for (owner, job) in claimed {
                guard let holder = reserved[owner] else { continue }
                if holder.slots > 0 {
                    reserved[owner]!.slots -= 1
                    await assign(job, to: owner, reservedFrom: holder.worker, outbox: &outbox)
                } else {
                    await keepReady(job, for: owner, outbox: &outbox)
                }
            }
            deliver(outbox)
            if claimed.count == spread.count { wantDispatch = true }  // there may be more
            // Fewer jobs than free slots: the queue is dry for these workers. Ready jobs kept
            // for others of them go to the free slots (through the queue) instead of waiting.
            if claimed.count < owners.slots.count {
                await redistributeReady(offer: offer, unfilled: owners.slots.count - claimed.count)
            }
        }
        for (_, holder) in reserved where holder.slots > 0 {
            holder.worker.freeSlots += holder.slots
            sendReady(to: holder.worker)
        }
        sendReadyOutbox()
        guard !wideClaiming else { return }
        wideClaiming = true
        defer { wideClaiming = false }

        // Jobs with larger needs, matched worker by worker: a claim per worker, so not on every
        // dispatch (see lastWideClaim).
        let now = ContinuousClock.now
        let wideDue = wideClaimFound || wokenSinceWideClaim || lastWideClaim.map { now - $0 >= configuration.pollInterval } ?? true
        guard wideDue else { return }
        lastWideClaim = now
        wokenSinceWideClaim = false
        var foundWide = false
        for (id, worker) in workers.filter({ $0.value.registered && !$0.value.draining && $0.value.freeSlots > 0 }) {
            guard worker.freeSlots > 1 || worker.freeGPUs > 0 else { continue }  // a single free slot was offered above
            let capacity = WorkerCapacity(worker: id, host: worker.hello.host, freeSlots: worker.freeSlots, freeGPUs: worker.freeGPUs,
                                          labels: worker.hello.labels, kernels: worker.hello.kernels)
            let (slots, lease) = (worker.freeSlots, configuration.leaseDuration)
            guard let jobs = try? await bounded("claiming jobs", { [store] in try await store.claimJobs(limit: slots, for: capacity, leaseDuration: lease) }),
                  !jobs.isEmpty else { continue }
            var outbox = Outbox()
            for job in jobs { await assign(job, to: id, outbox: &outbox) }
            deliver(outbox)
            foundWide = true
        }
        wideClaimFound = foundWide
    }

    /// [a, a, a, b, b] → [a, b, a, b, a].
    static func interleave(_ owners: [String]) -> [String] {
        var queues: [String: Int] = [:]
        var order: [String] = []
        for owner in owners {
            if queues[owner] == nil { order.append(owner) }
            queues[owner, default: 0] += 1
        }
        var result: [String] = []
        result.reserveCapacity(owners.count)
        while result.count < owners.count {
            for owner in order where queues[owner]! > 0 {
                result.append(owner)
                queues[owner]! -= 1
            }
        }
        return result
    }

    /// Sends ASSIGN for a claimed job, or hands it back when its worker is gone. With
    /// `reservedFrom`, the job's slot was taken from that worker state by a dispatch; it goes
    /// back there unless the job is sent to it.
    func assign(_ job: ClaimedJob, to id: String, reservedFrom holder: WorkerState? = nil, outbox: inout Outbox) async {
        var sent = false
        defer { if !sent { holder?.freeSlots += job.slots } }
        guard workers[id] != nil else {
            await handBackUnsent(job)
            return
        }
        guard let assign = await assignment(for: job) else {
            _ = try? await bounded("failing a job") { [store] in try await store.fail(job: job.id, attempt: job.attempt, end: AttemptEnd(error: "the sweep's spec could not be read")) }
            return
        }
        guard let worker = workers[id] else {
            await handBackUnsent(job)
            return
        }
        if let holder { holder.freeSlots += job.slots }  // the reservation ends here...
        give(assign, to: worker, outbox: &outbox)         // ...and the slot is taken by the job
        sent = true
    }

    /// A claimed job whose worker left before its ASSIGN went out goes back to the queue as if
    /// never claimed (`SweepStore.unclaim`): no worker heard of the attempt, so none is recorded
    /// and no attempt number is used up. Should that fail, its lease expires and it is retried.
    private func handBackUnsent(_ job: ClaimedJob) async {
        let pair = (job: job.id, attempt: job.attempt)
        _ = try? await bounded("handing back a job") { [store] in try await store.unclaim([pair]) }
    }

    /// Sends `assign` to `worker` (through `outbox`) and counts its slots and GPUs as taken.
    func give(_ assign: Assign, to worker: WorkerState, outbox: inout Outbox) {
        worker.assigned[assign.attempt] = (assign.slots, assign.gpus)
        jobSweeps[assign.attempt.job] = assign.sweep
        worker.assignedAt[assign.attempt] = ContinuousClock.now
        worker.freeSlots -= assign.slots
        worker.freeGPUs -= assign.gpus
        outbox.add(assign.message, to: worker.identity)
        counters.assigned += 1
    }

    /// The ASSIGN for a claimed job: the argv from the sweep's command template, or its kernel.
    func assignment(for job: ClaimedJob) async -> Assign? {
        let spec: SweepSpec
        if let cached = specs[job.sweepID] {
            spec = cached
        } else {
            let sweepID = job.sweepID
            guard let loaded = try? await bounded("reading a sweep's spec", { [store] in try await store.spec(ofSweep: sweepID) }) else { return nil }
            specs[job.sweepID] = loaded
            spec = loaded
        }
        let work: Assign.Work
        if let kernel = spec.kernel {
            work = .kernel(name: kernel.name, settings: kernel.settings)
        } else {
            let template = spec.command ?? .wandbDefault
            let argv = template.argv(params: job.params, context: .init(program: spec.program, interpreter: configuration.interpreter, argsJSONFile: WireProtocol.paramsFilePlaceholder))
            work = .command(argv: argv)
        }
        return Assign(
            attempt: AttemptID(job: job.id, attempt: job.attempt), sweep: job.sweepID, seed: job.seed, params: job.params,
            work: work, slots: job.slots, gpus: job.gpus, maxSteps: spec.maxSteps)
    }

    /// Heartbeats to every worker; workers silent too long are presumed dead and their
    /// attempts retried elsewhere; the leases of the living are renewed.
    /// Sends HEARTBEAT to each worker whose turn it is: every worker gets one per heartbeat
    /// interval, at its own phase (drawn when it joined), so that a thousand workers are not
    /// sent a thousand messages in one burst that holds up dispatch on both ends (the slowest
    /// 1 % of ASSIGNs in `sweep bench dispatch` came in the 100 ms after each burst).
    func sendHeartbeats(now: ContinuousClock.Instant) {
        var beat: [[UInt8]]?
        for worker in workers.values where worker.heartbeatDue <= now {
            let frames = beat ?? FrameCodec.encode(WireMessage(.heartbeat))
            beat = frames
            socket.send([worker.identity] + frames)
            worker.heartbeatDue += configuration.heartbeatInterval
            if worker.heartbeatDue <= now { worker.heartbeatDue = now + configuration.heartbeatInterval }
        }
    }

    /// Liveness (a worker silent for the liveness window is presumed dead) and lease renewal.
    func heartbeat(now: ContinuousClock.Instant) async {
        let window = configuration.heartbeatInterval * configuration.liveness
        // A session not yet registered waits for this coordinator, not the other way round:
        // its worker sends nothing but HELLO until WELCOME (its silence is counted from then).
        for (id, worker) in workers where worker.registered && now - worker.lastHeard > window {
            workers.removeValue(forKey: id)
            counters.workersPresumedDead += 1
            await releaseReady(of: worker, why: "the worker is presumed dead")
            let expired = (try? await bounded("expiring a dead worker's leases") { [store] in try await store.expireLeases(ofWorker: id) }) ?? 0
            logger.warning("worker presumed dead", metadata: ["sweep.worker.id": "\(id)", "sweep.worker.silence": "\(now - worker.lastHeard)", "sweep.worker.leases": "\(expired)"])
            lastReclaim = now - configuration.reclaimInterval  // reclaim at the next tick
        }
        guard lastRenewal.map({ now - $0 >= configuration.leaseRenewalInterval }) ?? true else { return }
        lastRenewal = now
        do {
            let (renewed, duration) = (Array(workers.keys), configuration.leaseDuration)
            _ = try await bounded("renewing leases") { [store] in try await store.renewLeases(workers: renewed, leaseDuration: duration) }
        } catch {
            logger.warning("could not renew leases", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
        }
    }

    /// Sends STOP for attempts the database no longer gives to their worker (cancelled, or
    /// taken over after an expired lease).
    func stopSupersededAttempts() async {
        var owners: [AttemptID: WorkerState] = [:]
        var ready: Set<AttemptID> = []
        for worker in workers.values {
            for attempt in worker.assigned.keys where !stopsSent.contains(attempt) { owners[attempt] = worker }
            for job in worker.ready { ready.insert(job.assign.attempt) }
        }
        guard !owners.isEmpty || !ready.isEmpty else { return }
        let asked = Array(owners.keys) + Array(ready)
        let pairs = asked.map { ($0.job, $0.attempt) }
        guard let superseded = try? await bounded("looking up superseded attempts", { [store] in try await store.supersededAttempts(pairs) }) else { return }
        dropSupersededReady(Set(superseded.map { AttemptID(job: $0.job, attempt: $0.attempt) }).intersection(ready))
        for entry in superseded {
            let attempt = AttemptID(job: entry.job, attempt: entry.attempt)
            // Only if still held by the same session: a RESULT that came (and was written)
            // while the lookup ran has ended the attempt, and a STOP would be for nothing (a
            // likely cause of 8 STOPs seen once in a 30 s `sweep bench dispatch` in which
            // nothing was cancelled or stopped early).
            guard let owner = owners[attempt], workers[owner.hello.worker] === owner, owner.assigned[attempt] != nil, !stopsSent.contains(attempt) else { continue }
            let identity = owner.identity
            let reason = entry.state == .cancelled ? "cancelled" : "superseded (\(entry.state.rawValue))"
            send(StopRequest(attempt: attempt, reason: reason, graceMilliseconds: Int(configuration.stopGrace.milliseconds)).message, to: identity)
            stopsSent.insert(attempt)
        }
    }
}
