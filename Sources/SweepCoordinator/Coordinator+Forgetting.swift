import Foundation
import Logging
import SweepStore
import SweepWire

/// What the coordinator keeps in memory about attempts and sweeps is bounded by what is live:
/// a coordinator that runs for months must not grow with every job it ever handed out.
/// Per attempt it forgets on the attempt's recorded result (`flush`), and here, periodically,
/// whatever an attempt that ended without one left behind (a worker presumed dead, a lease
/// handed back, a result forgotten unrecorded). A sweep's early-stopping state (every run's
/// curve) is dropped once the sweep has been idle for `sweepStateIdleLimit`; it is loaded
/// again from the database if the sweep reports again.
extension Coordinator {
    /// How many entries each per-attempt and per-sweep table holds (shutdown log, tests).
    var remembered: [String: Int] {
        [
            "stops": stopsSent.count, "stop_reasons": stopReasons.count, "job_sweeps": jobSweeps.count,
            "unrecorded_results": unrecordedResults.count, "unwritten_metrics": metricsUnwritten.count,
            "unlisted_leases": unlistedLeases.count, "sweep_states": earlyStopping.count,
            "assigned": workers.values.reduce(0) { $0 + $1.assigned.count },
        ]
    }

    /// Forgets attempts that are no longer live and the state of sweeps idle for
    /// `sweepStateIdleLimit`. Synchronous: nothing interleaves with it on the actor.
    func forgetEnded(now: ContinuousClock.Instant) {
        var live = Set(unrecordedResults.keys)
        for worker in workers.values { live.formUnion(worker.assigned.keys) }
        for entry in pendingReports { live.insert(AttemptID(job: entry.report.job, attempt: entry.report.attempt)) }
        for entry in pendingStarts { live.insert(entry.attempt) }
        stopsSent.formIntersection(live)
        stopReasons = stopReasons.filter { live.contains($0.key) }
        let liveJobs = Set(live.lazy.map(\.job))
        jobSweeps = jobSweeps.filter { liveJobs.contains($0.key) }
        let liveSweeps = Set(jobSweeps.values)
        var dropped: [Int64] = []
        for (sweep, used) in sweepStateUsed where now - used >= configuration.sweepStateIdleLimit && !liveSweeps.contains(sweep) {
            earlyStopping[sweep] = nil
            sweepStateUsed[sweep] = nil
            dropped.append(sweep)
        }
        if !dropped.isEmpty {
            logger.debug("forgot the early-stopping state of idle sweeps", metadata: ["sweep.sweeps": "\(dropped.sorted())"])
        }
    }
}
