import SweepCore
import SweepWire
import Testing
@testable import SweepWorker

/// `Worker.metricPoints(in:)`: which output lines are metrics, and what they hold.
@Suite("Metric lines")
struct MetricLineTests {
    /// The points of a line, sorted by name so that the order of JSON keys does not matter.
    static func points(_ line: String) -> [MetricBatch.Point]? {
        Worker.metricPoints(in: line)?.sorted { $0.name < $1.name }
    }

    @Test func aStepWithNamedValuesIsOnePointPerValue() {
        #expect(Self.points(#"{"step": 3, "val_loss": 0.41, "acc": 0.9}"#) == [
            MetricBatch.Point(step: 3, name: "acc", value: 0.9),
            MetricBatch.Point(step: 3, name: "val_loss", value: 0.41),
        ])
    }

    @Test func integerValuesAreNumbersToo() {
        #expect(Self.points(#"{"step": 0, "tokens": 4096, "lr": 1e-3}"#) == [
            MetricBatch.Point(step: 0, name: "lr", value: 0.001),
            MetricBatch.Point(step: 0, name: "tokens", value: 4096),
        ])
    }

    @Test func valuesThatAreNotNumbersAreLeftOut() {
        #expect(Self.points(#"{"step": 1, "loss": 0.5, "phase": "eval", "done": true, "nested": {"a": 1}, "list": [1], "none": null}"#) == [
            MetricBatch.Point(step: 1, name: "loss", value: 0.5),
        ])
    }

    @Test("Python's NaN and Infinity (json.dumps writes them) leave out only those values")
    func nonFiniteValuesAreLeftOutAlone() {
        #expect(Self.points(#"{"step": 4, "loss": NaN, "grad_norm": Infinity, "min": -Infinity, "acc": 0.25}"#) == [
            MetricBatch.Point(step: 4, name: "acc", value: 0.25),
        ])
        #expect(Self.points(#"{"step": 4.0, "loss": 1}"#) == [MetricBatch.Point(step: 4, name: "loss", value: 1)])
    }

    @Test func aStepAloneIsAMetricLineWithoutPoints() {
        #expect(Self.points(#"{"step": 7}"#) == [])
    }

    @Test func largeStepsSurvive() {
        #expect(Self.points(#"{"step": 9007199254740993, "x": 1}"#) == [MetricBatch.Point(step: 9_007_199_254_740_993, name: "x", value: 1)])
    }

    @Test("Lines that are not metric records", arguments: [
        "epoch 3: loss 0.41",  // plain text
        "",
        #"{"val_loss": 0.41}"#,  // no step
        #"{"step": -1, "loss": 0.5}"#,  // negative step
        #"{"step": 1.5, "loss": 0.5}"#,  // fractional step
        #"{"step": "3", "loss": 0.5}"#,  // step as text
        #"{"step": true, "loss": 0.5}"#,
        #"{"step": 3, "loss": 0.5"#,  // truncated
        #"[{"step": 3, "loss": 0.5}]"#,  // not an object
        "{}",
    ])
    func notMetrics(line: String) {
        #expect(Worker.metricPoints(in: line) == nil)
    }

    @Test("NaN as a step, or misspelt, is not a metric line", arguments: [
        #"{"step": NaN, "loss": 0.5}"#, #"{"step": 1, "loss": nan}"#, #"{"step": 1, "loss": Infinit}"#,
    ])
    func nonFiniteElsewhere(line: String) {
        #expect(Worker.metricPoints(in: line) == nil)
    }
}
