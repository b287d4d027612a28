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
        counters.refused(code: "unknown_command")
        counters.refused(code: "frame_count")
        counters.refused(code: "frame_count")
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
            #expect(["counter", "gauge"].contains(family.type))
            #expect((family.type == "counter") == family.name.hasSuffix("_total"), "\(family.name) is a \(family.type)")
            #expect(!family.help.isEmpty)
        }
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
