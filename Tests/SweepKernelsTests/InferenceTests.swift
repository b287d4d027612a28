import SweepCore
import SweepWorker
import Testing
@testable import SweepKernels

/// mlp-infer: one report per batch size, throughput and latency figures that make sense.
@Suite("mlp-infer", .timeLimit(.minutes(1)))
struct InferenceTests {
    @Test func reportsThroughputAndLatencyPerBatchSize() async throws {
        let reports = Reports()
        let final = try await MLPInferKernel().run(kernelContext(
            params: ["batch_sizes": .array([.int(32), .int(1), .int(8)]), "iterations": .int(20), "width": .int(16)], reports: reports))
        #expect(reports.steps == [1, 8, 32])
        for report in reports.all {
            let values = report.values
            #expect(values["batch_size"] == Double(report.step))
            #expect(try #require(values["samples_per_second"]) > 0)
            #expect(try #require(values["latency_p50_ms"]) <= values["latency_p90_ms"]!)
            #expect(try #require(values["latency_p90_ms"]) <= values["latency_p99_ms"]!)
        }
        #expect(final["samples_per_second_b8"] != nil)
        #expect(final["latency_p99_ms_b32"] != nil)
        let parameters: Double = 64 * 16 + 16 + 16 * 10 + 10
        #expect(final["params"] == parameters)
        #expect(final["val_accuracy"] == nil)
    }

    @Test func aTrainedModelReportsItsAccuracy() async throws {
        let final = try await MLPInferKernel().run(kernelContext(
            params: ["model": .string("trained"), "epochs": .int(3), "lr": .double(0.01), "batch_size": .int(32), "batch_sizes": .int(64), "iterations": .int(5)]))
        #expect(try #require(final["val_accuracy"]) > 0.8)
        #expect(final["samples_per_second_b64"] != nil)
    }

    @Test func percentilesUseTheNearestRank() {
        let values = (1...100).map(Double.init)
        #expect(InferenceBenchmark.percentile(values, 0.5) == 50)
        #expect(InferenceBenchmark.percentile(values, 0.99) == 99)
        #expect(InferenceBenchmark.percentile([7], 0.9) == 7)
    }
}
