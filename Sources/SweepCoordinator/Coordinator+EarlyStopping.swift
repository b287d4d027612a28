import Foundation
import Logging
import SweepCore
import SweepPrediction
import SweepStore
import SweepWire

/// A sweep's early-stopping state: its policy, the metric it watches, every run's curve.
struct EarlyStoppingState: Sendable {
    var rule: StoppingRule
    var metric: String
    var target: Double?
    var curves: SweepCurves
    /// The attempt each run's curve belongs to (a retry starts a new curve).
    var attempts: [Int64: Int] = [:]
    /// Runs judged `stop` whose attempt no worker held when the decision was taken (its
    /// result was already in, or the coordinator restarted and the worker has not said HELLO):
    /// not judged again, so that one stop is recorded once.
    var stopUndelivered: Set<Int64> = []
    var targetReached = false
    /// Cost-aware `predict`: when each run's current attempt started (from the database's
    /// `attempts.started_at`), so that a point's cost is the seconds since.
    var runStarts: [Int64: (attempt: Int, start: ContinuousClock.Instant)] = [:]
    /// The model `predict` forecasts with (the rule's `forecaster`).
    var forecaster: any CurveForecaster
}

/// What early stopping has yet to take in, in the order it happened: points written (with
/// the sweeps of their jobs as known when they were written) and results recorded.
enum StoppingEvent: Sendable {
    case points([MetricPoint], sweeps: [Int64: Int64])
    case finished(AttemptReport, sweep: Int64)
}

/// One sweep's new points to judge, with its state (which judging changes: after it, every
/// run judged `stop` is marked stopped) and, once judged, what came of it.
struct SweepJudging: Sendable {
    var sweep: Int64
    var state: EarlyStoppingState
    var points: [MetricPoint]
    /// Attempts already being stopped (a STOP was sent): not judged.
    var stopping: Set<AttemptID>
    var judgement: StoppingJudgement?
}

/// What judging one sweep's new points produced.
struct StoppingJudgement: Sendable {
    var sweep: Int64
    var records: [StopDecisionRecord] = []
    /// The stops to send, in order, with their reasons.
    var stops: [(attempt: AttemptID, reason: String)] = []
    var reachedTarget: (job: Int64, value: Double)?
}

/// Early stopping as metrics arrive: the sweep's policy judges each run at its newest report,
/// every decision is stored with its evidence, a stop is sent to the worker and the job ends
/// `stopped` with the policy's reason; a run that reaches the sweep's `metric.target` ends
/// the sweep (no new jobs start; running ones finish).
///
/// Judging takes time (a `predict` fit is about a millisecond), so it does not run on the
/// actor that dispatches jobs: written points and recorded results queue up as events, one
/// task takes them in order, and the policy itself runs on the global executor, one task per
/// sweep, while the actor goes on serving workers. Only that task changes a sweep's state
/// (Coordinator+Forgetting may drop it, and it is then loaded again), so nothing interleaves
/// with a judgement between its snapshot and its write-back.
extension Coordinator {
    /// Points queued for judging above which each run is judged only at its newest queued
    /// point (every point still joins its curve): when metrics arrive faster than the policy
    /// can judge them, the queue stays bounded and decisions stay current.
    static let stoppingBacklogLimit = 100_000

    /// The shortest time between two rounds of judging.
    static let stoppingRoundInterval: Duration = .milliseconds(10)

    /// Queues points just written for judging.
    func stoppingNeeds(points: [MetricPoint]) {
        guard !points.isEmpty else { return }
        var sweeps: [Int64: Int64] = [:]
        for point in points where sweeps[point.job] == nil {
            if let sweep = jobSweeps[point.job] { sweeps[point.job] = sweep }
        }
        enqueueStopping(.points(points, sweeps: sweeps))
    }

    /// Queues a recorded result, for a sweep whose state is or may be loaded.
    func stoppingNeeds(finished report: AttemptReport) {
        guard let sweep = jobSweeps[report.job] else { return }
        if case .some(.none) = earlyStopping[sweep] { return }
        enqueueStopping(.finished(report, sweep: sweep))
    }

    private func enqueueStopping(_ event: StoppingEvent) {
        stoppingEvents.append(event)
        guard judgeTask == nil else { return }
        judgeTask = Task { await self.judgeQueued() }
    }

    /// Takes the queued events in order until none is left. Consecutive batches of points are
    /// judged together (one lookup, one task per sweep).
    private func judgeQueued() async {
        while !stoppingEvents.isEmpty {
            // Rounds at most every `stoppingRoundInterval`: what a round judges together shares
            // one lookup, one task per sweep and one write of its decisions.
            if let last = lastStoppingRound, ContinuousClock.now - last < Self.stoppingRoundInterval {
                try? await Task.sleep(until: last + Self.stoppingRoundInterval, clock: .continuous)
            }
            lastStoppingRound = .now
            let events = stoppingEvents
            stoppingEvents = []
            var points: [MetricPoint] = [], sweeps: [Int64: Int64] = [:]
            for event in events {
                switch event {
                case .points(let batch, let known):
                    points += batch
                    sweeps.merge(known) { first, _ in first }
                case .finished(let report, let sweep):
                    await evaluateStopping(points, sweeps: sweeps)
                    points = []
                    sweeps = [:]
                    finishStopping(report, sweep: sweep)
                }
            }
            await evaluateStopping(points, sweeps: sweeps)
        }
        judgeTask = nil
    }

    /// Judges the runs whose points were written, in order (`sweeps`: the sweeps of their
    /// jobs as known when they were written; the others are looked up).
    func evaluateStopping(_ points: [MetricPoint], sweeps known: [Int64: Int64]) async {
        guard !points.isEmpty else { return }
        var jobSweep = known
        var unknown: Set<Int64> = []
        for point in points where jobSweep[point.job] == nil {
            if let sweep = jobSweeps[point.job] { jobSweep[point.job] = sweep } else { unknown.insert(point.job) }
        }
        if !unknown.isEmpty {
            do {
                let lookup = Array(unknown)
                for (job, sweep) in try await bounded("looking up the sweeps of jobs", { [store] in try await store.sweeps(ofJobs: lookup) }) {
                    jobSweep[job] = sweep
                    jobSweeps[job] = sweep
                }
            } catch {
                logger.warning("could not look up the sweeps of jobs for early stopping", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
                return
            }
        }
        var bySweep: [Int64: [MetricPoint]] = [:]
        for point in points {
            // Points of sweeps known to have neither a policy nor a target are not kept.
            guard let sweep = jobSweep[point.job] else { continue }
            if case .some(.none) = earlyStopping[sweep] { continue }
            bySweep[sweep, default: []].append(point)
        }
        let thinned = points.count > Self.stoppingBacklogLimit
        if thinned {
            counters.stoppingPointsThinned += points.count
            logger.warning("early stopping falls behind the metrics: judging each run at its newest point only", metadata: ["sweep.metrics.points": "\(points.count)"])
        }
        // The states, then the judgements off the actor, then the stops and the write-back.
        // Each state leaves `earlyStopping` while it is judged, so that it is held once and
        // its curves change in place (a second reference would copy every run's curve).
        var work: [SweepJudging] = []
        for (sweep, sweepPoints) in bySweep {
            sweepStateUsed[sweep] = ContinuousClock.now
            guard var state = await stoppingState(of: sweep) else { continue }
            earlyStopping[sweep] = nil
            if state.rule.costAware, let starts = await runStarts(unknownTo: state, in: sweepPoints) {
                state.runStarts.merge(starts) { known, looked in looked.attempt >= known.attempt ? looked : known }
            }
            let stopping = Set(sweepPoints.lazy.map { AttemptID(job: $0.job, attempt: $0.attempt) }.filter { self.stopsSent.contains($0) })
            work.append(SweepJudging(sweep: sweep, state: consume state, points: sweepPoints, stopping: stopping))
        }
        var judged = await Self.judge(consume work, now: .now, newestOnly: thinned)
        var records: [StopDecisionRecord] = []
        for index in judged.indices {
            let judgement = judged[index].judgement ?? StoppingJudgement(sweep: judged[index].sweep)
            for stop in judgement.stops {
                if stopsSent.contains(stop.attempt) {
                    continue  // stopped meanwhile (cancelled): it ends stopped either way
                }
                if requestStop(stop.attempt, reason: stop.reason) {
                    counters.earlyStops += 1
                } else {
                    // No worker holds the attempt: its result is already in (it ends as it
                    // ended, and counts as completed if it succeeded), or it will be.
                    judged[index].state.curves.resume(run: stop.attempt.job)
                    judged[index].state.stopUndelivered.insert(stop.attempt.job)
                }
            }
            earlyStopping[judgement.sweep] = judged[index].state
            sweepStateUsed[judgement.sweep] = ContinuousClock.now
            records += judgement.records
            if let reached = judgement.reachedTarget {
                await endSweep(judgement.sweep, reachedBy: reached.job, value: reached.value, metric: judged[index].state.metric)
            }
        }
        guard !records.isEmpty else { return }
        do {
            try await bounded("recording stop decisions") { [store, records] in try await store.recordStopDecisions(records) }
        } catch {
            logger.warning("could not store stop decisions", metadata: ["sweep.error": "\(SweepStore.describe(error))", "sweep.decisions": "\(records.count)"])
        }
    }

    /// Judges each sweep's points on the global executor, not the actor (`judge(sweep:…)`);
    /// the states change in place and come back with their judgements.
    @concurrent
    static func judge(_ work: consuming [SweepJudging], now: ContinuousClock.Instant, newestOnly: Bool) async -> [SweepJudging] {
        for index in work.indices {
            work[index].judgement = judge(sweep: work[index].sweep, state: &work[index].state, points: work[index].points, now: now,
                                          stopping: work[index].stopping, newestOnly: newestOnly)
        }
        return work
    }

    /// Judges one sweep's new points in order, as `sweep replay` judges them: each point of
    /// the metric joins its run's curve and the policy decides on the run there (a batch that
    /// carries several reports of a run gets a decision for each; with `newestOnly`, only the
    /// newest). A run judged `stop` is marked stopped at once, so that its later points are
    /// not judged; `stopping`: attempts already being stopped. Pure: no I/O, no actor.
    static func judge(sweep: Int64, state: inout EarlyStoppingState, points: [MetricPoint], now: ContinuousClock.Instant,
                      stopping: Set<AttemptID>, newestOnly: Bool) -> StoppingJudgement {
        var judgement = StoppingJudgement(sweep: sweep)
        var newest: [Int64: Int] = [:]
        if newestOnly {
            for (index, point) in points.enumerated() where point.name == state.metric { newest[point.job] = index }
        }
        for (index, point) in points.enumerated() where point.name == state.metric {
            let current = state.attempts[point.job] ?? 0
            if point.attempt < current { continue }
            if point.attempt > current {
                state.curves.restart(run: point.job)
                state.attempts[point.job] = point.attempt
                state.stopUndelivered.remove(point.job)
            }
            let attempt = AttemptID(job: point.job, attempt: point.attempt)
            guard state.curves[point.job]?.state ?? .running == .running, !stopping.contains(attempt), !state.stopUndelivered.contains(point.job),
                  state.curves.record(run: point.job, step: Double(point.step), value: point.value,
                                      cost: state.runStarts[point.job].flatMap { $0.attempt == point.attempt ? (now - $0.start).seconds : nil }) else { continue }
            if let target = state.target, !state.targetReached, judgement.reachedTarget == nil, !state.curves.direction.isBetter(target, than: point.value) {
                judgement.reachedTarget = (point.job, point.value)
            }
            if newestOnly, newest[point.job] != index { continue }
            guard let decision = state.rule.evaluate(run: point.job, in: state.curves, forecaster: state.forecaster) else { continue }
            judgement.records.append(StopDecisionRecord(
                sweep: sweep, job: point.job, attempt: point.attempt, policy: decision.policy, step: Int64(decision.step.rounded()),
                decision: decision.verdict.rawValue, reason: decision.reason, evidenceJSON: json(decision.evidence)))
            if decision.stops {
                state.curves.finish(run: point.job, as: .stopped)
                judgement.stops.append((attempt, "early stop (\(decision.policy)): \(decision.reason)"))
            }
        }
        if judgement.reachedTarget != nil { state.targetReached = true }
        return judgement
    }

    /// When the attempts behind `points` started, for those whose start `state` does not know
    /// yet (a new attempt, or one reporting for the first time since a coordinator restart);
    /// nil when there are none (nothing was looked up, nothing suspended). A failed lookup
    /// leaves the points without cost, and `predict` uses its plain threshold.
    func runStarts(unknownTo state: EarlyStoppingState, in points: [MetricPoint]) async -> [Int64: (attempt: Int, start: ContinuousClock.Instant)]? {
        var unknown: [Int64: Int] = [:]
        for point in points where point.name == state.metric && state.runStarts[point.job]?.attempt != point.attempt {
            unknown[point.job] = max(unknown[point.job] ?? 0, point.attempt)
        }
        guard !unknown.isEmpty else { return nil }
        var starts: [Int64: (attempt: Int, start: ContinuousClock.Instant)] = [:]
        do {
            let asked = ContinuousClock.now
            let attempts = unknown.map { (job: $0.key, attempt: $0.value) }
            let elapsed = try await bounded("reading when attempts started") { [store] in try await store.secondsSinceStart(of: attempts) }
            for (job, seconds) in elapsed {
                guard let attempt = unknown[job], seconds.isFinite else { continue }
                starts[job] = (attempt, asked - .seconds(max(0, seconds)))
            }
        } catch {
            logger.warning("could not look up when attempts started for cost-aware stopping", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
        }
        return starts
    }

    /// Marks a run completed or stopped once its result is recorded. The state leaves the
    /// table while it changes, so that its curves change in place.
    func finishStopping(_ report: AttemptReport, sweep: Int64) {
        guard report.outcome != .released, case .some(.some) = earlyStopping[sweep],
              case .some(.some(var state)) = earlyStopping.removeValue(forKey: sweep) else { return }
        if state.attempts[report.job].map({ $0 <= report.attempt }) ?? true {
            state.curves.finish(run: report.job, as: report.outcome == .succeeded ? .completed : .stopped)
        }
        earlyStopping[sweep] = state
    }

    /// Sends STOP to whichever worker runs the attempt; its result then records the reason.
    @discardableResult
    func requestStop(_ attempt: AttemptID, reason: String) -> Bool {
        guard let worker = workers.values.first(where: { $0.assigned[attempt] != nil }) else { return false }
        stopReasons[attempt] = reason
        stopsSent.insert(attempt)
        send(StopRequest(attempt: attempt, reason: reason, graceMilliseconds: Int(configuration.stopGrace.milliseconds)).message, to: worker.identity)
        return true
    }

    /// The early-stopping state of a sweep, loaded from the database the first time (so that
    /// a restarted coordinator judges with every curve recorded before); nil when the sweep
    /// declares neither a policy nor a target.
    func stoppingState(of sweep: Int64) async -> EarlyStoppingState? {
        if let known = earlyStopping[sweep] { return known }
        let spec: SweepSpec
        if let cached = specs[sweep] {
            spec = cached
        } else {
            guard let loaded = try? await bounded("reading a sweep's spec", { [store] in try await store.spec(ofSweep: sweep) }) else { return nil }
            specs[sweep] = loaded
            spec = loaded
        }
        let rule = StoppingRule(sweep: spec) ?? StoppingRule(kind: .none)
        guard let metric = spec.stoppingMetric, rule.kind != .none || spec.metric?.target != nil else {
            earlyStopping[sweep] = .some(nil)
            return nil
        }
        var state = EarlyStoppingState(rule: rule, metric: metric, target: spec.metric?.target, curves: SweepCurves(direction: spec.stoppingDirection),
                                       forecaster: rule.forecaster.forecaster())
        do {
            for curve in try await bounded("loading a sweep's curves", { [store] in try await store.curves(sweep: sweep, metric: metric) }) {
                state.attempts[curve.job] = curve.attempt
                for (index, step) in curve.steps.enumerated() {
                    state.curves.record(run: curve.job, step: Double(step), value: curve.values[index], cost: curve.costs[index])
                }
                switch curve.state {
                case .succeeded: state.curves.finish(run: curve.job, as: .completed)
                case .stopped, .dead, .cancelled: state.curves.finish(run: curve.job, as: .stopped)
                default: break
                }
            }
        } catch {
            logger.warning("could not load a sweep's curves for early stopping; will try again", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.error": "\(SweepStore.describe(error))"])
            return nil
        }
        // Points written while the curves loaded were in the load or are in the caller's batch
        // (recording a point twice changes nothing).
        if let raced = earlyStopping[sweep] { return raced }
        earlyStopping[sweep] = state
        logger.info("early stopping active", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.policy": "\(rule.kind.rawValue)", "sweep.metric": "\(metric)", "sweep.runs": "\(state.curves.runs.count)"])
        return state
    }

    /// Ends a sweep whose metric reached its target: nothing more is claimed and the jobs
    /// not started are cancelled; running jobs finish (W&B's `metric.target`).
    func endSweep(_ sweep: Int64, reachedBy job: Int64, value: Double, metric: String) async {
        let reason = "target reached: job \(job) reported \(metric) = \(value)"
        do {
            let cancelled = try await bounded("ending a sweep that reached its target") { [store] in try await store.endSweep(id: sweep, reason: reason) }
            logger.info("sweep reached its target", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.job.id": "\(job)", "sweep.metric.value": "\(value)", "sweep.cancelled": "\(cancelled)"])
        } catch {
            logger.warning("could not end a sweep that reached its target", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.error": "\(SweepStore.describe(error))"])
        }
    }

    static func json(_ evidence: DecisionEvidence) -> String {
        guard let data = try? JSONEncoder().encode(evidence) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
