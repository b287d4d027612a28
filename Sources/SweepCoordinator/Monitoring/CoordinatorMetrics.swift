import Foundation
public import SweepCore

/// The coordinator's figures as Prometheus metric families (`sweep_coordinator_…`).
/// Counters end in `_total` and start from zero when the coordinator starts (Prometheus's
/// `rate()` handles the reset).
public enum CoordinatorMetrics {
    /// The snapshot as exposition text.
    public static func render(_ snapshot: MonitoringSnapshot) -> String {
        PrometheusText.render(families(snapshot))
    }

    /// The snapshot as metric families, in a fixed order.
    public static func families(_ snapshot: MonitoringSnapshot) -> [PrometheusText.Family] {
        let counters = snapshot.counters
        let metrics = PrometheusText.Namespace("sweep_coordinator")
        return [
            metrics.counter("messages_received", "Messages the coordinator's socket received.", snapshot.messagesReceived),
            metrics.counter("messages_sent", "Messages the coordinator's socket sent.", snapshot.messagesSent),
            metrics.counter("send_failures", "Messages dropped because a send failed (a peer gone, a full queue).", snapshot.sendFailures),
            metrics.counter(
                "malformed_messages",
                "Messages refused as malformed, truncated, oversized, of another protocol version or unknown, by the ERROR code the sender was told.",
                by: "code", PrometheusText.sorted(counters.malformed.byCode)),
            metrics.counter("hellos", "HELLOs handled: workers joining, or joining again after a reconnection (a burst: many reconnected at once).", counters.hellos),
            metrics.counter("hellos_repeated", "HELLOs that repeated the one a worker's session here began with (sent before the worker saw its WELCOME): answered, not registered again.", counters.repeatedHellos),
            metrics.counter("claims", "Claims of single-slot jobs from the queue.", counters.claims),
            metrics.counter("claimed_jobs", "Jobs those claims returned.", counters.claimedJobs),
            metrics.counter("assigned", "Jobs sent to workers (ASSIGN).", counters.assigned),
            metrics.counter("assigned_from_ready", "Jobs sent from the ready jobs the moment a slot freed.", counters.assignedFromReady),
            metrics.counter("ready_released", "Ready jobs handed back to the queue unsent.", counters.readyReleased),
            metrics.counter("ready_redistributed", "Ready jobs handed back so that free slots of other workers get them.", counters.readyRedistributed),
            metrics.counter("results", "Results recorded (succeeded, failed, stopped or released).", counters.results),
            metrics.counter("stale_reports", "Reports refused as stale: from an attempt whose lease had passed to another.", counters.staleReports),
            metrics.counter("metric_points", "Metric points written to PostgreSQL.", counters.metricPoints),
            metrics.counter("workers_presumed_dead", "Workers presumed dead after their liveness window; their jobs are retried.", counters.workersPresumedDead),
            metrics.counter("early_stops", "Runs early stopping decided to stop.", counters.earlyStops),
            metrics.counter("stopping_points_thinned", "Points early stopping took in without judging each (it was too far behind).", counters.stoppingPointsThinned),
            metrics.counter("database_calls_failed", "Database calls that failed (the work is retried or handed back).", counters.databaseCallsFailed),
            metrics.counter("database_calls_abandoned", "Database calls abandoned after --database-call-limit (a stuck connection or server).", counters.databaseCallsAbandoned),
            PrometheusText.histogram(
                "sweep_coordinator_database_call_seconds", "How long the coordinator's database calls took, by call, failures included.",
                by: "call", Dictionary(counters.databaseCalls.map { (Coordinator.callLabel($0.key), $0.value) }, uniquingKeysWith: +)),
            metrics.gauge("workers", "Workers connected now.", Double(snapshot.workers)),
            metrics.gauge("workers_draining", "Connected workers that are draining.", Double(snapshot.drainingWorkers)),
            metrics.gauge("workers_joining", "Connected workers whose HELLO is not answered yet: their registration waits for the database.", Double(snapshot.joiningWorkers)),
            metrics.gauge("slots", "Slots of the connected workers.", Double(snapshot.slots)),
            metrics.gauge("free_slots", "Free slots of the connected workers.", Double(snapshot.freeSlots)),
            metrics.gauge("gpus", "GPUs of the connected workers.", Double(snapshot.gpus)),
            metrics.gauge("free_gpus", "Free GPUs of the connected workers.", Double(snapshot.freeGPUs)),
            metrics.gauge("attempts_assigned", "Attempts sent to workers and not yet ended.", Double(snapshot.attemptsAssigned)),
            metrics.gauge("attempts_started", "Of those, attempts their worker reported as started.", Double(snapshot.attemptsStarted)),
            metrics.gauge("ready_jobs", "Jobs claimed ahead for workers with short jobs, not yet sent.", Double(snapshot.readyJobs)),
            metrics.gauge("points_waiting", "Metric points received and not yet written.", Double(snapshot.pointsWaiting)),
            metrics.gauge("reports_waiting", "STARTED and RESULT reports received and not yet written.", Double(snapshot.reportsWaiting)),
            metrics.gauge("start_time_seconds", "When the coordinator started, in seconds since the Unix epoch.", snapshot.startTime.timeIntervalSince1970),
        ]
    }
}
