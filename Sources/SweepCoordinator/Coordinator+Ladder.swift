import Foundation
import Logging
import SweepCore
import SweepPrediction
import SweepStore

/// The coordinator's ladder bookkeeping: which sweeps are ladders, which have new results
/// waiting for a refit, and when each was last fitted.
struct LadderRefits {
    /// Each sweep's ladder once read; `.some(nil)` for a sweep without one.
    var ladders: [Int64: LadderSpec?] = [:]
    /// Sweeps with results recorded since their last fit.
    var dirty: Set<Int64> = []
    /// Jobs whose result was recorded but whose sweep the coordinator did not know.
    var unknownJobs: Set<Int64> = []
    /// When each sweep was last fitted.
    var lastFit: [Int64: ContinuousClock.Instant] = [:]
    /// Whether the background refit loop runs.
    var running = false
    /// Sweeps whose ladder cannot be fitted for a reason only the user can fix (logged once).
    var reported: Set<Int64> = []
}

/// Ladders as their rungs finish: each recorded success of a ladder sweep's job makes the
/// sweep due for a refit of every metric in `ladder.metrics`, at most once per
/// `ladderRefitInterval`, in a background task (the fit itself runs detached, off the
/// actor). Each fit is stored in `sweep.ladder_fits` with its target predictions; an
/// adaptive ladder whose targets' intervals are all narrow enough cancels its waiting jobs
/// of higher rungs.
extension Coordinator {
    /// Notes a recorded result (called by `flush` for every applied report).
    func noteLadderResult(_ report: AttemptReport) {
        // Every end counts, not only successes: a held rung is released when the released
        // jobs have all ended, whatever their outcome.
        guard report.outcome != .released else { return }
        if let sweep = jobSweeps[report.job] {
            if case .some(.none) = ladderRefits.ladders[sweep] { return }
            ladderRefits.dirty.insert(sweep)
        } else {
            ladderRefits.unknownJobs.insert(report.job)
        }
        guard !ladderRefits.running else { return }
        ladderRefits.running = true
        Task { await self.runLadderRefits() }
    }

    /// Makes every sweep with held ladder rungs whose released jobs have all ended due for a
    /// refit (which releases the next rung, or cancels the held ones once the fit has
    /// converged): after a coordinator restart, or when the last
    /// released job ended without a result reaching this coordinator (a lease that expired
    /// into `dead`). Runs every 5 seconds from the maintenance loop.
    func checkHeldRungs() async {
        let sweeps: [Int64]
        do {
            sweeps = try await bounded("looking for held ladder rungs") { [store] in try await store.sweepsWithHeldRungs() }
        } catch {
            logger.debug("could not look for held ladder rungs", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
            return
        }
        guard !sweeps.isEmpty else { return }
        for sweep in sweeps { ladderRefits.dirty.insert(sweep) }
        guard !ladderRefits.running else { return }
        ladderRefits.running = true
        Task { await self.runLadderRefits() }
    }

    /// Refits due sweeps one after another until none waits.
    func runLadderRefits() async {
        while !Task.isCancelled {
            if !ladderRefits.unknownJobs.isEmpty {
                let jobs = Array(ladderRefits.unknownJobs)
                ladderRefits.unknownJobs = []
                do {
                    for sweep in Set(try await bounded("looking up the sweeps of jobs", { [store] in try await store.sweeps(ofJobs: jobs) }).values) where ladderRefits.ladders[sweep] != .some(nil) {
                        ladderRefits.dirty.insert(sweep)
                    }
                } catch {
                    logger.warning("could not look up the sweeps of finished jobs for ladder fits", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
                }
            }
            guard !ladderRefits.dirty.isEmpty else { break }
            let now = ContinuousClock.now
            let interval = configuration.ladderRefitInterval
            let dueAt = ladderRefits.dirty.map { (sweep: $0, at: ladderRefits.lastFit[$0].map { $0 + interval } ?? now) }
            let next = dueAt.min { $0.at < $1.at }!
            if next.at > now {
                try? await Task.sleep(until: next.at, clock: .continuous)
                continue
            }
            ladderRefits.dirty.remove(next.sweep)
            ladderRefits.lastFit[next.sweep] = now
            await refitLadder(next.sweep)
        }
        ladderRefits.running = false
        // A result noted during the last await started no loop (this one still ran).
        if !ladderRefits.dirty.isEmpty || !ladderRefits.unknownJobs.isEmpty, !Task.isCancelled {
            ladderRefits.running = true
            Task { await self.runLadderRefits() }
        }
    }

    /// Fits every metric of a ladder sweep to its finished rungs, stores the fits and, for an
    /// adaptive ladder that has converged, cancels the waiting jobs of higher rungs.
    func refitLadder(_ sweep: Int64) async {
        guard let ladder = await ladderSpec(of: sweep) else { return }
        let results: [LadderRungResult]
        do {
            results = try await bounded("reading a ladder's results") { [store] in try await store.ladderResults(sweep: sweep, ladder: ladder) }
        } catch {
            logger.warning("could not read a ladder's results", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.error": "\(SweepStore.describe(error))"])
            return
        }
        let outcome = await Task.detached(priority: .utility) {
            Self.fitLadder(ladder, results: results, configuration: LadderFitConfiguration())
        }.value
        for problem in outcome.problems {
            if problem.waiting {
                logger.debug("ladder not fitted yet", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.ladder.reason": "\(problem.message)"])
            } else if ladderRefits.reported.insert(sweep).inserted {
                logger.warning("ladder cannot be fitted", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.ladder.reason": "\(problem.message)"])
            }
        }
        for (dataset, fit) in outcome.fits {
            let record = LadderFitRecord(sweep: sweep, dataset: dataset, fit: fit, maxIntervalWidth: ladder.maxIntervalWidth)
            do {
                _ = try await bounded("storing a ladder fit") { [store] in try await store.insertLadderFit(record) }
            } catch {
                logger.warning("could not store a ladder fit", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.metric": "\(dataset.metric)", "sweep.error": "\(SweepStore.describe(error))"])
                continue
            }
            logger.info("ladder fitted", metadata: [
                "sweep.sweep.id": "\(sweep)", "sweep.metric": "\(dataset.metric)", "sweep.ladder.law": "\(fit.lossFormula)",
                "sweep.ladder.rungs": "\(dataset.rungs.count)", "sweep.ladder.points": "\(dataset.observations.count)",
            ])
        }
        guard let maxWidth = ladder.maxIntervalWidth else { return }
        guard let convergence = LadderConvergence.check(metrics: ladder.metrics, fits: outcome.fits, maxWidth: maxWidth) else {
            // Not converged: once the released rungs are done, release the next one, but only
            // if this fit saw every result: a job that ended while it fitted is refitted first.
            do {
                let finished = try await bounded("reading a ladder's results") { [store] in try await store.ladderResults(sweep: sweep, ladder: ladder) }.count
                if finished != results.count {
                    ladderRefits.dirty.insert(sweep)
                    return
                }
                if let released = try await bounded("releasing a ladder rung", { [store] in try await store.releaseNextRung(sweep: sweep) }) {
                    logger.info("ladder not converged; next rung released", metadata: [
                        "sweep.sweep.id": "\(sweep)", "sweep.ladder.rung": "\(released.rung)", "sweep.jobs.released": "\(released.jobs)",
                    ])
                }
            } catch {
                logger.warning("could not release a ladder's next rung", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.error": "\(SweepStore.describe(error))"])
            }
            return
        }
        let level = outcome.fits.first?.fit.intervalLevel ?? LadderFitConfiguration().intervalLevel
        do {
            let (rung, reason) = (convergence.highestRung, convergence.reason(maxWidth: maxWidth, level: level))
            let cancelled = try await bounded("cancelling held ladder rungs") { [store] in try await store.cancelWaitingJobs(sweep: sweep, aboveRung: rung, reason: reason) }
            if cancelled > 0 {
                logger.info("ladder converged; waiting jobs of higher rungs cancelled", metadata: [
                    "sweep.sweep.id": "\(sweep)", "sweep.ladder.rung": "\(convergence.highestRung)", "sweep.jobs.cancelled": "\(cancelled)",
                    "sweep.ladder.width": "\(convergence.widestWidth)",
                ])
            }
        } catch {
            logger.warning("could not cancel a converged ladder's waiting jobs", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.error": "\(SweepStore.describe(error))"])
        }
    }

    /// What fitting a ladder gave: a fit per metric that could be fitted, and why others were not.
    struct LadderFitOutcome: Sendable {
        var fits: [(dataset: LadderDataset, fit: LadderFit)] = []
        /// `waiting`: more rungs must finish; otherwise the user must act.
        var problems: [(waiting: Bool, message: String)] = []
    }

    /// The fits of every metric of `ladder`: pure computation, run off the actor.
    nonisolated static func fitLadder(_ ladder: LadderSpec, results: [LadderRungResult], configuration: LadderFitConfiguration) -> LadderFitOutcome {
        var outcome = LadderFitOutcome()
        let analysis = LadderAnalysis(ladder: ladder)
        let groups = ladder.metrics.map { (metric: $0, task: String?.none) } + (ladder.tasks ?? []).map { (metric: $0.loss, task: Optional($0.metric)) }
        for (metric, task) in groups {
            do {
                let dataset = try analysis.dataset(metric: metric, task: task, results: results)
                var settings = configuration
                settings.forms = dataset.forms
                let fit = try LadderFitter(configuration: settings).fit(dataset.observations, targets: dataset.predictableTargets)
                outcome.fits.append((dataset, fit))
            } catch let error as LadderAnalysisError {
                outcome.problems.append((error.code == .notEnoughRungs, error.message))
            } catch let error as LadderFitError {
                // Too few points (one seed per rung, a law of more parameters) is cured by more rungs.
                outcome.problems.append(([.tooFewPoints, .tooFewDistinctValues].contains(error.code), "\(task ?? metric): \(error.message)"))
            } catch {
                outcome.problems.append((false, "\(task ?? metric): \(error)"))
            }
        }
        return outcome
    }

    /// A sweep's ladder, read once; nil for sweeps without one (or whose spec cannot be read now).
    func ladderSpec(of sweep: Int64) async -> LadderSpec? {
        if let known = ladderRefits.ladders[sweep] { return known }
        let spec: SweepSpec
        if let cached = specs[sweep] {
            spec = cached
        } else {
            do {
                spec = try await bounded("reading a sweep's spec") { [store] in try await store.spec(ofSweep: sweep) }
            } catch {
                logger.warning("could not read a sweep's spec for its ladder", metadata: ["sweep.sweep.id": "\(sweep)", "sweep.error": "\(SweepStore.describe(error))"])
                return nil
            }
            specs[sweep] = spec
        }
        ladderRefits.ladders[sweep] = .some(spec.ladder)
        return spec.ladder
    }
}
