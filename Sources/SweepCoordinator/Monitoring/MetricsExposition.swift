import Foundation

/// Prometheus's text exposition format (version 0.0.4) of a `MonitoringSnapshot`: one
/// `# HELP` and `# TYPE` line per family, then its samples. Counters end in `_total` and
/// start from zero when the coordinator starts (Prometheus's `rate()` handles the reset).
public enum MetricsExposition {
    /// The Content-Type of the exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One metric family: its name, help, type and samples (label sets and values).
    struct Family {
        var name: String
        var help: String
        var type: String
        var samples: [(labels: [(String, String)], value: Double)]
    }

    /// The snapshot as exposition text.
    public static func render(_ snapshot: MonitoringSnapshot) -> String {
        var text = ""
        for family in families(snapshot) {
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n# TYPE \(family.name) \(family.type)\n"
            for sample in family.samples {
                text += family.name
                if !sample.labels.isEmpty {
                    text += "{" + sample.labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
                }
                text += " " + format(sample.value) + "\n"
            }
        }
        return text
    }

    static func families(_ snapshot: MonitoringSnapshot) -> [Family] {
        let counters = snapshot.counters
        func counter(_ name: String, _ help: String, _ value: Int) -> Family {
            Family(name: "sweep_coordinator_\(name)_total", help: help, type: "counter", samples: [([], Double(value))])
        }
        func gauge(_ name: String, _ help: String, _ value: Double) -> Family {
            Family(name: "sweep_coordinator_\(name)", help: help, type: "gauge", samples: [([], value)])
        }
        // Every code ever counted, in a stable order; a family with no sample yet still says
        // what it will hold.
        let refusals = counters.malformedByCode.sorted { $0.key < $1.key }.map { (labels: [("code", $0.key)], value: Double($0.value)) }
        return [
            counter("messages_received", "Messages the coordinator's socket received.", snapshot.messagesReceived),
            counter("messages_sent", "Messages the coordinator's socket sent.", snapshot.messagesSent),
            counter("send_failures", "Messages dropped because a send failed (a peer gone, a full queue).", snapshot.sendFailures),
            Family(name: "sweep_coordinator_malformed_messages_total",
                   help: "Messages refused as malformed, truncated, oversized, of another protocol version or unknown, by the ERROR code the sender was told.",
                   type: "counter", samples: refusals),
            counter("claims", "Claims of single-slot jobs from the queue.", counters.claims),
            counter("claimed_jobs", "Jobs those claims returned.", counters.claimedJobs),
            counter("assigned", "Jobs sent to workers (ASSIGN).", counters.assigned),
            counter("assigned_from_ready", "Jobs sent from the ready jobs the moment a slot freed.", counters.assignedFromReady),
            counter("ready_released", "Ready jobs handed back to the queue unsent.", counters.readyReleased),
            counter("ready_redistributed", "Ready jobs handed back so that free slots of other workers get them.", counters.readyRedistributed),
            counter("results", "Results recorded (succeeded, failed, stopped or released).", counters.results),
            counter("stale_reports", "Reports refused as stale: from an attempt whose lease had passed to another.", counters.staleReports),
            counter("metric_points", "Metric points written to PostgreSQL.", counters.metricPoints),
            counter("workers_presumed_dead", "Workers presumed dead after their liveness window; their jobs are retried.", counters.workersPresumedDead),
            counter("early_stops", "Runs early stopping decided to stop.", counters.earlyStops),
            counter("stopping_points_thinned", "Points early stopping took in without judging each (it was too far behind).", counters.stoppingPointsThinned),
            gauge("workers", "Workers connected now.", Double(snapshot.workers)),
            gauge("workers_draining", "Connected workers that are draining.", Double(snapshot.drainingWorkers)),
            gauge("slots", "Slots of the connected workers.", Double(snapshot.slots)),
            gauge("free_slots", "Free slots of the connected workers.", Double(snapshot.freeSlots)),
            gauge("gpus", "GPUs of the connected workers.", Double(snapshot.gpus)),
            gauge("free_gpus", "Free GPUs of the connected workers.", Double(snapshot.freeGPUs)),
            gauge("attempts_assigned", "Attempts sent to workers and not yet ended.", Double(snapshot.attemptsAssigned)),
            gauge("attempts_started", "Of those, attempts their worker reported as started.", Double(snapshot.attemptsStarted)),
            gauge("ready_jobs", "Jobs claimed ahead for workers with short jobs, not yet sent.", Double(snapshot.readyJobs)),
            gauge("points_waiting", "Metric points received and not yet written.", Double(snapshot.pointsWaiting)),
            gauge("reports_waiting", "STARTED and RESULT reports received and not yet written.", Double(snapshot.reportsWaiting)),
            gauge("start_time_seconds", "When the coordinator started, in seconds since the Unix epoch.", snapshot.startTime.timeIntervalSince1970),
        ]
    }

    /// Integers without a fraction; others as Swift prints them (shortest round-trip form).
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escapeLabelValue(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A help text: backslash and line feed escaped.
    static func escapeHelp(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }
}
