import Foundation
import Logging
import SweepCore
import SweepStore
import SweepWire

/// Ready jobs: for a worker whose jobs are short, the coordinator claims a few jobs more than
/// its free slots and keeps them, leased to that worker in the database, until one of its
/// slots frees; the RESULT that frees the slot is answered with the next ASSIGN at once,
/// without waiting for a claim's round trip to PostgreSQL and its commit. A worker still never
/// holds more jobs than it has free slots (protocol §6): the coordinator holds the rest.
///
/// Only single-slot jobs without GPUs are kept ready, only for a worker whose recent jobs took
/// less than `readyJobsBelow` from ASSIGN to RESULT (2 s by default: for longer jobs the few
/// milliseconds of a claim are nothing, and a job held behind a long one waits long), at most
/// `readyJobsPerSlot` per slot (two by default; for jobs so short that two make less than
/// `readyWorkPerSlot`, 20 ms, of work, as many as make it up, at most `maxReadyJobsPerSlot`,
/// eight: larger and fewer claims), and none is kept longer than its hold limit
/// (`readyHoldLimit`, or four of the worker's recent job times if longer): older ones go back
/// to the queue. When the queue runs dry while workers have free slots, the ready jobs held
/// for other workers go back to the queue too, so that the free slots get them instead of
/// waiting behind running jobs (the last jobs of a sweep never queue behind each other). Ready
/// jobs go back to the queue, with no failure counted, when their worker drains, leaves, is
/// presumed dead or says HELLO again, and when the coordinator shuts down. A coordinator that
/// dies holding some leaves leases its workers do not list; `handBackUnrunLeases` returns them
/// as it does ASSIGNs lost in transit.
extension Coordinator {
    /// A job claimed for a worker and not yet sent to it.
    struct ReadyJob {
        var assign: Assign
        var claimedAt: ContinuousClock.Instant
    }

    /// How many more jobs to keep ready for `worker` now.
    func readyRoom(_ worker: WorkerState) -> Int {
        guard configuration.readyJobsBelow > .zero, !worker.draining, !stopping,
              let recent = worker.recentJobTime, recent < configuration.readyJobsBelow else { return 0 }
        let perSlot = Self.readyJobsPerSlot(recentJobTime: recent, configuration: configuration)
        return max(0, perSlot * worker.hello.slots - worker.ready.count)
    }

    /// Ready jobs per slot for a worker whose recent jobs took `recentJobTime`:
    /// `readyJobsPerSlot`, or for jobs so short that those make less than `readyWorkPerSlot`
    /// of work, as many as make it up, at most `maxReadyJobsPerSlot` (never fewer than
    /// `readyJobsPerSlot`; zero stays zero: ready jobs off).
    static func readyJobsPerSlot(recentJobTime: Duration, configuration: CoordinatorConfiguration) -> Int {
        let floor = configuration.readyJobsPerSlot
        let ceiling = max(floor, configuration.maxReadyJobsPerSlot)
        guard floor > 0, ceiling > floor else { return floor }
        guard recentJobTime > .zero else { return ceiling }
        let covering = (configuration.readyWorkPerSlot / recentJobTime).rounded(.up)
        guard covering.isFinite, covering < Double(ceiling) else { return ceiling }
        return max(floor, Int(covering))
    }

    /// Notes how long an attempt took from its ASSIGN to its RESULT (an exponentially weighted
    /// average per worker, which decides whether the worker gets ready jobs).
    func noteJobTime(_ attempt: AttemptID, of worker: WorkerState, now: ContinuousClock.Instant) {
        guard let sent = worker.assignedAt[attempt] else { return }
        let took = now - sent
        worker.recentJobTime = .recentAverage(worker.recentJobTime, adding: took)
    }

    /// Gives ready jobs to the free slots of `worker`, oldest first, through `outbox`.
    func fillFromReady(_ worker: WorkerState, outbox: inout Outbox) {
        while worker.freeSlots > 0, !worker.draining, !worker.ready.isEmpty {
            let job = worker.ready.removeFirst()
            give(job.assign, to: worker, outbox: &outbox)
            counters.assignedFromReady += 1
        }
    }

    /// Gives ready jobs to the free slots of `worker`, collected in `readyOutbox`
    /// (`sendReadyOutbox` sends them: after the message being handled, or the dispatch).
    func sendReady(to worker: WorkerState) {
        fillFromReady(worker, outbox: &readyOutbox)
    }

    /// Sends the ASSIGNs `sendReady` collected.
    func sendReadyOutbox() {
        guard !readyOutbox.isEmpty else { return }
        deliver(readyOutbox)
        readyOutbox = Outbox()
    }

    /// A claimed job for the ready room of worker `id`: sent at once if a slot has freed
    /// meanwhile, else kept; handed back if the worker is gone or its sweep unreadable.
    func keepReady(_ job: ClaimedJob, for id: String, outbox: inout Outbox) async {
        let attempt = AttemptID(job: job.id, attempt: job.attempt)
        guard workers[id] != nil else {
            await handBack([attempt])
            return
        }
        guard let assign = await assignment(for: job) else {
            _ = try? await bounded("failing a job") { [store] in try await store.fail(job: job.id, attempt: job.attempt, end: AttemptEnd(error: "the sweep's spec could not be read")) }
            return
        }
        guard let worker = workers[id], !worker.draining else {
            await handBack([attempt])
            return
        }
        worker.ready.append(ReadyJob(assign: assign, claimedAt: ContinuousClock.now))
        fillFromReady(worker, outbox: &outbox)
    }

    /// Hands the ready jobs of `worker` back to the queue.
    func releaseReady(of worker: WorkerState, why: String) async {
        await releaseReady(of: [worker], why: why)
    }

    /// Hands the ready jobs of these workers back to the queue, all in one statement.
    func releaseReady(of holders: [WorkerState], why: String) async {
        var attempts: [AttemptID] = []
        for worker in holders where !worker.ready.isEmpty {
            attempts += worker.ready.map(\.assign.attempt)
            logger.debug("handing back ready jobs", metadata: [
                "sweep.worker.id": "\(worker.hello.worker)", "sweep.ready.jobs": "\(worker.ready.count)", "sweep.ready.why": "\(why)",
            ])
            worker.ready = []
        }
        await handBack(attempts)
    }

    /// How long a ready job may wait for a slot of `worker`: `readyHoldLimit`, or four of the
    /// worker's recent job times if longer (a job kept second behind two running ones waits
    /// about two job times), at most four times `readyJobsBelow`.
    func readyHoldLimit(of worker: WorkerState) -> Duration {
        let scaled = min((worker.recentJobTime ?? .zero) * 4, configuration.readyJobsBelow * 4)
        return max(configuration.readyHoldLimit, scaled)
    }

    /// Hands back ready jobs kept longer than their hold limit (their worker's jobs got long).
    func releaseStaleReady(now: ContinuousClock.Instant) async {
        for worker in workers.values {
            let limit = readyHoldLimit(of: worker)
            guard let oldest = worker.ready.first, now - oldest.claimedAt >= limit else { continue }
            let isStale = { (job: ReadyJob) in now - job.claimedAt >= limit }
            let stale = worker.ready.filter(isStale)
            worker.ready.removeAll(where: isStale)
            await handBack(stale.map(\.assign.attempt))
        }
    }

    /// The queue ran dry for workers offering `offer` while `unfilled` of their slots are free:
    /// up to that many ready jobs kept for such workers go back to the queue (the oldest of
    /// the workers that keep the most first), so that the next claim gives them to the free
    /// slots instead of leaving them behind running jobs.
    func redistributeReady(offer: Offer, unfilled: Int) async {
        guard unfilled > 0 else { return }
        var holders = workers.values.filter { $0.offer == offer && !$0.ready.isEmpty }
        guard !holders.isEmpty else { return }
        var released: [AttemptID] = []
        while released.count < unfilled {
            holders.sort { $0.ready.count > $1.ready.count }
            guard let holder = holders.first, !holder.ready.isEmpty else { break }
            released.append(holder.ready.removeFirst().assign.attempt)
        }
        guard !released.isEmpty else { return }
        counters.readyRedistributed += released.count
        logger.debug("ready jobs go to free slots: the queue ran dry", metadata: ["sweep.ready.jobs": "\(released.count)"])
        await handBack(released)
    }

    /// Returns claimed attempts that were never sent to the queue, in one statement: no
    /// failure counted and no attempt number used up (`SweepStore.unclaim`).
    private func handBack(_ attempts: [AttemptID]) async {
        guard !attempts.isEmpty else { return }
        let pairs = attempts.map { ($0.job, $0.attempt) }
        do {
            _ = try await bounded("handing back jobs") { [store] in try await store.unclaim(pairs) }
        } catch {
            // Their leases expire and they are retried (a failure counted each).
            logger.warning("could not hand back jobs", metadata: ["sweep.jobs": "\(attempts.count)", "sweep.error": "\(SweepStore.describe(error))"])
        }
        counters.readyReleased += attempts.count
        wantDispatch = true
    }

    /// Drops ready jobs that the database no longer gives to their worker (cancelled,
    /// superseded): they were never sent, so nothing needs stopping.
    func dropSupersededReady(_ attempts: Set<AttemptID>) {
        guard !attempts.isEmpty else { return }
        for worker in workers.values where !worker.ready.isEmpty {
            worker.ready.removeAll { attempts.contains($0.assign.attempt) }
        }
    }
}
