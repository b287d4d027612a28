import Foundation
import Logging
import PostgresNIO
import SweepCore
import SweepStore
import SweepWire

/// Leases nobody runs. Heartbeats renew every lease a live worker holds in the database, so
/// a lease whose ASSIGN never reached the worker would be renewed forever and its job never
/// run: the ASSIGNs a coordinator had claimed but not yet sent when it died, or one dropped
/// while the worker was reconnecting. Such a lease is handed back once the worker has not
/// listed it (in HELLO or HEARTBEAT) for a liveness window, seen at two checks that far
/// apart, so that a RESULT on its way lands first.
extension Coordinator {
    func handBackUnrunLeases(now: ContinuousClock.Instant) async {
        let window = configuration.heartbeatInterval * configuration.liveness
        // (assignedAt loses an attempt where assigned does: on its RESULT and below.)
        // A worker that has just said HELLO is still resending what it had not got acknowledged.
        let settled = workers.filter { now - $0.value.joinedAt >= window }.map(\.key)
        guard !settled.isEmpty else {
            unlistedLeases = [:]
            return
        }
        let leases: [HeldLease]
        do {
            leases = try await bounded("reading the leases of workers") { [store, settled] in try await store.leases(heldBy: settled) }
        } catch {
            logger.warning("could not read the leases of workers", metadata: ["sweep.error": "\(SweepStore.describe(error))"])
            return
        }
        var unlisted: [AttemptID: ContinuousClock.Instant] = [:]
        // A RESULT not yet recorded is no sign of a lost lease; one older than a few resend
        // intervals whose worker never resent it is forgotten.
        unrecordedResults = unrecordedResults.filter { now - $0.value < configuration.ackTimeout * 6 }
        for held in leases {
            let lease = (owner: held.owner, attempt: AttemptID(job: held.job, attempt: held.attempt), started: held.started)
            guard unrecordedResults[lease.attempt] == nil else { continue }
            guard let worker = workers[lease.owner], now - worker.joinedAt >= window,
                  !worker.reportedRunning.contains(lease.attempt) else { continue }
            if let sent = worker.assignedAt[lease.attempt], now - sent < window { continue }
            if worker.ready.contains(where: { $0.assign.attempt == lease.attempt }) { continue }  // kept ready, not yet sent
            let since = unlistedLeases[lease.attempt] ?? now
            guard now - since >= window else {
                unlisted[lease.attempt] = since
                continue
            }
            if let held = workers[lease.owner]?.assigned.removeValue(forKey: lease.attempt) {
                workers[lease.owner]!.freeSlots += held.slots
                workers[lease.owner]!.freeGPUs += held.gpus
                workers[lease.owner]!.assignedAt[lease.attempt] = nil
            }
            // Never started: back to the queue, no failure counted. Started and lost (the
            // worker restarted under the same id): a failed attempt, retried after backoff.
            let outcome = lease.started
                ? try? await bounded("failing a lost attempt") { [store] in
                    try await store.fail(job: lease.attempt.job, attempt: lease.attempt.attempt,
                                         end: AttemptEnd(error: "worker \(lease.owner) no longer runs this attempt"))
                }
                : try? await bounded("handing back a job") { [store] in try await store.release(job: lease.attempt.job, attempt: lease.attempt.attempt) }
            logger.warning("handed back a lease its worker does not run", metadata: [
                "sweep.worker.id": "\(lease.owner)", "sweep.job.id": "\(lease.attempt.job)", "sweep.job.attempt": "\(lease.attempt.attempt)",
                "sweep.lease.started": "\(lease.started)", "sweep.lease.outcome": "\(outcome.map { "\($0)" } ?? "error")",
            ])
            wantDispatch = true
        }
        unlistedLeases = unlisted
    }
}
