import Foundation
@testable import SweepCoordinator
import SweepCore
import Testing

@Suite("The coordinator's figures for Prometheus")
struct CoordinatorMetricsTests {
    static func snapshot() -> MonitoringSnapshot {
        var counters = Coordinator.Counters()
        counters.assigned = 7
        counters.results = 5
        counters.metricPoints = 1_234_567
        counters.malformed.count(code: "unknown_command")
        counters.malformed.count(code: "frame_count")
        counters.malformed.count(code: "frame_count")
        var snapshot = MonitoringSnapshot(counters: counters, startTime: Date(timeIntervalSince1970: 1_796_628_299.5))
        snapshot.workers = 3
        snapshot.slots = 24
        snapshot.freeSlots = 4
        snapshot.messagesReceived = 99
        return snapshot
    }

    @Test("names are valid, unique and prefixed; exactly the counters end in _total")
    func familiesAreWellFormed() {
        let families = CoordinatorMetrics.families(Self.snapshot())
        #expect(Set(families.map(\.name)).count == families.count)
        for family in families {
            #expect(family.name.wholeMatch(of: /sweep_coordinator_[a-z0-9_]+/) != nil, "\(family.name)")
            #expect(["counter", "gauge", "histogram"].contains(family.type))
            #expect((family.type == "counter") == family.name.hasSuffix("_total"), "\(family.name) is a \(family.type)")
            if family.type == "histogram" { #expect(family.name.hasSuffix("_seconds"), "\(family.name): a histogram of durations") }
            #expect(!family.help.isEmpty)
        }
    }

    @Test("a database call's label is its description in snake case")
    func callLabels() {
        #expect(Coordinator.callLabel("claiming jobs") == "claiming_jobs")
        #expect(Coordinator.callLabel("reading a sweep's spec") == "reading_a_sweep_s_spec")
        #expect(Coordinator.callLabel("  Recording -- results! ") == "recording_results")
    }

    @Test("database calls: failures, abandonments and durations by call")
    func databaseCalls() {
        var counters = Coordinator.Counters()
        counters.databaseCallsAbandoned = 1
        counters.databaseCalls["claiming jobs", default: DurationHistogram()].observe(seconds: 0.002)
        let lines = CoordinatorMetrics.render(MonitoringSnapshot(counters: counters, startTime: Date())).split(separator: "\n").map(String.init)
        #expect(lines.contains("sweep_coordinator_database_calls_abandoned_total 1"))
        #expect(lines.contains("sweep_coordinator_database_calls_failed_total 0"))
        #expect(lines.contains(#"sweep_coordinator_database_call_seconds_bucket{call="claiming_jobs",le="0.001"} 0"#))
        #expect(lines.contains(#"sweep_coordinator_database_call_seconds_bucket{call="claiming_jobs",le="0.0025"} 1"#))
        #expect(lines.contains(#"sweep_coordinator_database_call_seconds_count{call="claiming_jobs"} 1"#))
    }

    @Test("the samples are the snapshot's figures; refusals by code, summing to the total")
    func samplesAreTheSnapshot() {
        let lines = CoordinatorMetrics.render(Self.snapshot()).split(separator: "\n").map(String.init)
        for expected in [
            "sweep_coordinator_assigned_total 7", "sweep_coordinator_results_total 5", "sweep_coordinator_metric_points_total 1234567",
            "sweep_coordinator_workers 3", "sweep_coordinator_slots 24", "sweep_coordinator_free_slots 4",
            "sweep_coordinator_messages_received_total 99", "sweep_coordinator_start_time_seconds 1796628299.5",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
        #expect(lines.filter { $0.hasPrefix("sweep_coordinator_malformed_messages_total") } == [
            #"sweep_coordinator_malformed_messages_total{code="frame_count"} 2"#,
            #"sweep_coordinator_malformed_messages_total{code="unknown_command"} 1"#,
        ])
        #expect(Self.snapshot().counters.malformedMessages == 3)
    }
}
