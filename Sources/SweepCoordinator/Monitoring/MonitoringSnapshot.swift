public import Foundation
import SweepWire

/// What the coordinator has done since it started and what its workers hold now: the
/// figures `sweep coordinator --metrics-bind` serves to Prometheus (`CoordinatorMetrics`).
/// A plain value, taken in one turn of the coordinator's actor, so its figures agree.
public struct MonitoringSnapshot: Sendable {
    /// The coordinator's counters since it started.
    public var counters: Coordinator.Counters
    /// Messages its socket received and sent, and sends that failed (the message was dropped).
    public var messagesReceived = 0
    public var messagesSent = 0
    public var sendFailures = 0
    /// Workers connected now (said HELLO and not presumed dead or gone), and those draining.
    public var workers = 0
    public var drainingWorkers = 0
    /// Of `workers`, those whose HELLO is not answered yet (their registration is waiting for
    /// the database).
    public var joiningWorkers = 0
    /// Their slots and GPUs, in all and free.
    public var slots = 0
    public var freeSlots = 0
    public var gpus = 0
    public var freeGPUs = 0
    /// Attempts sent to workers and not yet ended, and how many of them have started.
    public var attemptsAssigned = 0
    public var attemptsStarted = 0
    /// Jobs claimed ahead for workers with short jobs, not yet sent.
    public var readyJobs = 0
    /// Metric points, and STARTED and RESULT reports, received and not yet written.
    public var pointsWaiting = 0
    public var reportsWaiting = 0
    /// When the coordinator started.
    public var startTime: Date

    /// A snapshot with these counters and nothing else (workers, traffic) counted yet.
    public init(counters: Coordinator.Counters, startTime: Date) {
        self.counters = counters
        self.startTime = startTime
    }
}

extension Coordinator {
    /// Its counters and the state of its workers now.
    public func monitoringSnapshot() -> MonitoringSnapshot {
        var snapshot = MonitoringSnapshot(counters: counters, startTime: startTime)
        let traffic = socket.stats
        snapshot.messagesReceived = traffic.received
        snapshot.messagesSent = traffic.sent
        snapshot.sendFailures = traffic.sendFailures
        for worker in workers.values {
            snapshot.workers += 1
            if worker.draining { snapshot.drainingWorkers += 1 }
            if !worker.registered { snapshot.joiningWorkers += 1 }
            snapshot.slots += worker.hello.slots
            snapshot.freeSlots += worker.freeSlots
            snapshot.gpus += worker.hello.gpus.count
            snapshot.freeGPUs += worker.freeGPUs
            snapshot.attemptsAssigned += worker.assigned.count
            snapshot.attemptsStarted += worker.started.count
            snapshot.readyJobs += worker.ready.count
        }
        snapshot.pointsWaiting = pendingPoints.count
        snapshot.reportsWaiting = pendingReports.count + pendingStarts.count
        return snapshot
    }
}
