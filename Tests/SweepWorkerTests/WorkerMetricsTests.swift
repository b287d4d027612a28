import Foundation
import SweepCore
@testable import SweepWorker
import Testing

@Suite("A worker's figures for Prometheus")
struct WorkerMetricsTests {
    static func snapshot() -> WorkerSnapshot {
        var counters = Worker.Counters()
        counters.assigned = 9
        counters.succeeded = 6
        counters.failed = 1
        counters.stopped = 2
        counters.refused = 4
        counters.welcomes = 2
        counters.malformed.count(code: "malformed_body")
        var snapshot = WorkerSnapshot(counters: counters, startTime: Date(timeIntervalSince1970: 1_796_628_300))
        snapshot.connected = true
        snapshot.slots = 8
        snapshot.usedSlots = 3
        snapshot.unacknowledged = 12
        return snapshot
    }

    @Test("names are valid, unique and prefixed; exactly the counters end in _total")
    func familiesAreWellFormed() {
        let families = WorkerMetrics.families(Self.snapshot())
        #expect(Set(families.map(\.name)).count == families.count)
        for family in families {
            #expect(family.name.wholeMatch(of: /sweep_worker_[a-z0-9_]+/) != nil, "\(family.name)")
            #expect(["counter", "gauge"].contains(family.type))
            #expect((family.type == "counter") == family.name.hasSuffix("_total"), "\(family.name) is a \(family.type)")
        }
    }

    @Test("the samples are the snapshot's figures")
    func samplesAreTheSnapshot() {
        let lines = WorkerMetrics.render(Self.snapshot()).split(separator: "\n").map(String.init)
        for expected in [
            "sweep_worker_assigned_total 9", "sweep_worker_released_total 4", "sweep_worker_welcomes_total 2",
            #"sweep_worker_attempts_ended_total{outcome="succeeded"} 6"#, #"sweep_worker_attempts_ended_total{outcome="failed"} 1"#,
            #"sweep_worker_attempts_ended_total{outcome="stopped"} 2"#, #"sweep_worker_malformed_messages_total{code="malformed_body"} 1"#,
            "sweep_worker_connected 1", "sweep_worker_draining 0", "sweep_worker_slots 8", "sweep_worker_used_slots 3",
            "sweep_worker_unacknowledged_messages 12", "sweep_worker_start_time_seconds 1796628300",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
    }
}
