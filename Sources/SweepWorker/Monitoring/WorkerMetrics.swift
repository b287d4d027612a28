public import Foundation
public import SweepCore
import SweepWire

/// What a worker has done since it started and what it holds now: the figures
/// `sweep worker --metrics-bind` serves to Prometheus. Taken in one turn of the worker's actor.
public struct WorkerSnapshot: Sendable {
    public var counters: Worker.Counters
    public var messagesReceived = 0
    public var messagesSent = 0
    public var sendFailures = 0
    /// Whether the coordinator has welcomed it (and not fallen silent since).
    public var connected = false
    public var draining = false
    public var slots = 0
    public var usedSlots = 0
    public var gpus = 0
    public var usedGPUs = 0
    /// Attempts running, and ended with their RESULT not yet acknowledged.
    public var running = 0
    public var endedUnacknowledged = 0
    /// STARTED, METRICS and RESULT messages kept until the coordinator acknowledges them.
    public var unacknowledged = 0
    public var startTime: Date

    public init(counters: Worker.Counters, startTime: Date) {
        self.counters = counters
        self.startTime = startTime
    }
}

extension Worker {
    /// Its counters and what it holds now.
    public func monitoringSnapshot() -> WorkerSnapshot {
        var snapshot = WorkerSnapshot(counters: counters, startTime: startTime)
        let traffic = socket.stats
        snapshot.messagesReceived = traffic.received
        snapshot.messagesSent = traffic.sent
        snapshot.sendFailures = traffic.sendFailures
        snapshot.connected = welcomed
        snapshot.draining = draining
        snapshot.slots = configuration.slots
        snapshot.usedSlots = running.values.reduce(0) { $0 + $1.slots }
        snapshot.gpus = configuration.gpus.count
        snapshot.usedGPUs = usedGPUs.count
        snapshot.running = running.count
        snapshot.endedUnacknowledged = unreportedEnds.count
        snapshot.unacknowledged = unacknowledged.count
        return snapshot
    }
}

/// A worker's figures as Prometheus metric families (`sweep_worker_…`).
public enum WorkerMetrics {
    /// The snapshot as exposition text.
    public static func render(_ snapshot: WorkerSnapshot) -> String {
        PrometheusText.render(families(snapshot))
    }

    /// The snapshot as metric families, in a fixed order.
    public static func families(_ snapshot: WorkerSnapshot) -> [PrometheusText.Family] {
        let counters = snapshot.counters
        let metrics = PrometheusText.Namespace("sweep_worker")
        return [
            metrics.counter("messages_received", "Messages the worker's socket received.", snapshot.messagesReceived),
            metrics.counter("messages_sent", "Messages the worker's socket sent.", snapshot.messagesSent),
            metrics.counter("send_failures", "Messages dropped because a send failed.", snapshot.sendFailures),
            metrics.counter(
                "malformed_messages", "Messages from the coordinator refused as malformed, by the ERROR code it was told.",
                by: "code", PrometheusText.sorted(counters.malformed.byCode)),
            metrics.counter("welcomes", "Handshakes completed with the coordinator: one, plus one per reconnection.", counters.welcomes),
            metrics.counter("welcomes_repeated", "WELCOMEs that came while connected (answers to HELLOs repeated before the first WELCOME): only their timings were taken.", counters.repeatedWelcomes),
            metrics.counter("assigned", "Attempts accepted (ASSIGN).", counters.assigned),
            metrics.counter("released", "Attempts handed back unstarted (no room, draining, a kernel it lacks).", counters.refused),
            metrics.counter(
                "attempts_ended", "Attempts that ran and ended, by outcome.",
                by: "outcome", [("succeeded", counters.succeeded), ("failed", counters.failed), ("stopped", counters.stopped)]),
            metrics.gauge("connected", "1 while the coordinator has welcomed the worker and is heard, else 0.", snapshot.connected ? 1 : 0),
            metrics.gauge("draining", "1 once the worker drains (SIGTERM), else 0.", snapshot.draining ? 1 : 0),
            metrics.gauge("slots", "Slots the worker offers.", Double(snapshot.slots)),
            metrics.gauge("used_slots", "Slots its running attempts hold.", Double(snapshot.usedSlots)),
            metrics.gauge("gpus", "GPUs the worker offers.", Double(snapshot.gpus)),
            metrics.gauge("used_gpus", "GPUs its running attempts hold.", Double(snapshot.usedGPUs)),
            metrics.gauge("attempts_running", "Attempts running now.", Double(snapshot.running)),
            metrics.gauge("attempts_ended_unacknowledged", "Attempts ended whose RESULT the coordinator has not acknowledged yet.", Double(snapshot.endedUnacknowledged)),
            metrics.gauge("unacknowledged_messages", "STARTED, METRICS and RESULT messages kept until acknowledged (they grow while the coordinator is away).", Double(snapshot.unacknowledged)),
            metrics.gauge("start_time_seconds", "When the worker started, in seconds since the Unix epoch.", snapshot.startTime.timeIntervalSince1970),
        ]
    }
}
