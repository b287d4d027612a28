import Foundation
@testable import SweepCoordinator
import Testing

@Suite("Prometheus exposition of the coordinator's figures")
struct MetricsExpositionTests {
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

    @Test("every family has HELP and TYPE lines, valid names, counters end in _total, and the values are those of the snapshot")
    func rendersEveryFamily() throws {
        let text = MetricsExposition.render(Self.snapshot())
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n").map(String.init)
        var typeOf: [String: String] = [:]
        var samples: [String: String] = [:]
        var previous = ""
        for line in lines {
            defer { previous = line }
            if line.hasPrefix("# HELP ") {
                continue
            } else if line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ")
                #expect(words.count == 4 && ["counter", "gauge"].contains(words[3]), "\(line)")
                #expect(previous.hasPrefix("# HELP \(words[2]) "), "TYPE without its HELP just before: \(line)")
                typeOf[String(words[2])] = String(words[3])
            } else {
                let parts = line.split(separator: " ")
                #expect(parts.count == 2, "\(line)")
                samples[String(parts[0])] = String(parts[1])
            }
        }
        for (name, type) in typeOf {
            #expect(name.wholeMatch(of: /[a-zA-Z_:][a-zA-Z0-9_:]*/) != nil, "\(name)")
            #expect(name.hasPrefix("sweep_coordinator_"))
            #expect((type == "counter") == name.hasSuffix("_total"), "\(name) is a \(type)")
        }
        #expect(typeOf.count == MetricsExposition.families(Self.snapshot()).count, "names are unique")
        #expect(samples["sweep_coordinator_assigned_total"] == "7")
        #expect(samples["sweep_coordinator_results_total"] == "5")
        #expect(samples["sweep_coordinator_metric_points_total"] == "1234567")
        #expect(samples["sweep_coordinator_workers"] == "3")
        #expect(samples["sweep_coordinator_free_slots"] == "4")
        #expect(samples["sweep_coordinator_messages_received_total"] == "99")
        #expect(samples["sweep_coordinator_start_time_seconds"] == "1796628299.5")
        // Refusals by code, in a stable order, summing to the total.
        let refused = lines.filter { $0.hasPrefix("sweep_coordinator_malformed_messages_total") }
        #expect(refused == [
            #"sweep_coordinator_malformed_messages_total{code="frame_count"} 2"#,
            #"sweep_coordinator_malformed_messages_total{code="unknown_command"} 1"#,
        ])
        #expect(Self.snapshot().counters.malformedMessages == 3)
    }

    @Test("a family with no sample yet still has its HELP and TYPE")
    func emptyFamily() {
        let text = MetricsExposition.render(MonitoringSnapshot(counters: Coordinator.Counters(), startTime: Date()))
        #expect(text.contains("# TYPE sweep_coordinator_malformed_messages_total counter\n# HELP sweep_coordinator_claims_total"))
        #expect(!text.contains("sweep_coordinator_malformed_messages_total{"))
    }

    @Test("numbers, label values and help texts are written as the format wants")
    func escapesAndNumbers() {
        #expect(MetricsExposition.format(0) == "0")
        #expect(MetricsExposition.format(42) == "42")
        #expect(MetricsExposition.format(-3) == "-3")
        #expect(MetricsExposition.format(0.25) == "0.25")
        #expect(MetricsExposition.format(1e20) == "1e+20")
        #expect(MetricsExposition.format(.infinity) == "+Inf")
        #expect(MetricsExposition.format(-.infinity) == "-Inf")
        #expect(MetricsExposition.format(.nan) == "NaN")
        #expect(MetricsExposition.escapeLabelValue(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
        #expect(MetricsExposition.escapeHelp(#"a\b"# + "\nc \"q\"") == #"a\\b\nc "q""#)
    }
}
