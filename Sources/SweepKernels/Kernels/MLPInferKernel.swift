public import SweepWorker
import Foundation

/// Whether `mlp-infer` times a freshly initialised model or one it trains first.
public enum InferenceModel: String, CaseIterable, Sendable {
    /// Initialised from the seed, not trained (timing does not depend on the weights).
    case fresh
    /// Trained first as `mlp-train` would with the same settings; its validation loss and
    /// accuracy are reported too.
    case trained
}

/// `mlp-infer`: batched forward passes over a fresh or trained MLP, reporting throughput
/// (samples/s) and latency percentiles per batch size, so serving settings can be swept.
/// Each batch size is one report whose step is the batch size. Settings: docs/kernels.md.
public struct MLPInferKernel: Kernel {
    /// `mlp-infer`.
    public let name = "mlp-infer"

    /// The kernel.
    public init() {}

    /// Checks the settings, then builds (and maybe trains) the model and times it on a
    /// thread of its own.
    public func run(_ context: KernelContext) async throws -> [String: Double] {
        var reader = SettingsReader(kernel: name, context: context)
        let settings = try TrainingSettings(reading: &reader, replicateSeed: context.seed, maxSteps: nil)
        let model = try reader.choice("model", default: InferenceModel.fresh)
        let batchSizes = try reader.integers("batch_sizes", default: [1, 16, 64, 256], in: 1...TrainingSettings.limits.batch)
        let iterations = try reader.integer("iterations", default: 200, in: 1...10_000_000)
        let warmup = try reader.integer("warmup_iterations", default: 10, in: 0...1_000_000)
        try reader.refuseUnknown()
        let benchmark = InferenceBenchmark(batchSizes: Array(Set(batchSizes)).sorted(), iterations: iterations, warmupIterations: warmup)
        return try await DedicatedThread.run(name: "mlp-infer") {
            BLASThreads.set(settings.threads)
            let data = settings.makeData()
            try settings.checkSize(of: settings.shape(for: data), kernel: "mlp-infer")
            let trainer = Trainer(settings: settings, data: data)
            var final: [String: Double] = ["params": Double(trainer.model.shape.parameterCount)]
            if model == .trained {
                let trained = try trainer.run(shouldStop: { context.shouldStop }, report: { _, _ in })
                if let loss = trained["val_loss"] { final["val_loss"] = loss }
                if let accuracy = trained["val_accuracy"] { final["val_accuracy"] = accuracy }
            }
            let results = benchmark.run(trainer.model, inputs: data.validation, shouldStop: { context.shouldStop }) { result in
                context.report(step: Int64(result.batchSize), result.metrics)
            }
            for result in results {
                for (metric, value) in result.metrics where metric != "batch_size" { final["\(metric)_b\(result.batchSize)"] = value }
            }
            if let best = results.map(\.samplesPerSecond).max() { final["best_samples_per_second"] = best }
            return final
        }
    }
}

/// Times forward passes of a model at several batch sizes.
public struct InferenceBenchmark: Sendable {
    /// Batch sizes, ascending.
    public var batchSizes: [Int]
    /// Timed forward passes per batch size.
    public var iterations: Int
    /// Untimed passes first (caches, OpenBLAS buffers).
    public var warmupIterations: Int

    /// Creates a benchmark.
    public init(batchSizes: [Int], iterations: Int, warmupIterations: Int) {
        self.batchSizes = batchSizes
        self.iterations = iterations
        self.warmupIterations = warmupIterations
    }

    /// What one batch size measured.
    public struct Result: Sendable {
        /// The batch size.
        public var batchSize: Int
        /// Examples per second over the timed passes.
        public var samplesPerSecond: Double
        /// Latency of one pass, milliseconds: median, 90th and 99th percentile.
        public var latencyMilliseconds: (p50: Double, p90: Double, p99: Double)

        /// As metrics: samples_per_second, latency_p50_ms, latency_p90_ms, latency_p99_ms, batch_size.
        public var metrics: [String: Double] {
            ["samples_per_second": samplesPerSecond, "latency_p50_ms": latencyMilliseconds.p50,
             "latency_p90_ms": latencyMilliseconds.p90, "latency_p99_ms": latencyMilliseconds.p99,
             "batch_size": Double(batchSize)]
        }
    }

    /// Runs every batch size (stopping between passes when asked); inputs are the rows of
    /// `inputs`, repeated as needed to fill a batch.
    public func run(_ model: MLP<Float>, inputs: Dataset, shouldStop: () -> Bool, report: (Result) -> Void) -> [Result] {
        var results: [Result] = []
        let features = inputs.features
        for batchSize in batchSizes {
            if shouldStop() { break }
            let batch = Buffer<Float>(count: batchSize * features)
            inputs.inputs.withUnsafeBufferPointer { source in
                for row in 0..<batchSize {
                    (batch.pointer + row * features).update(from: source.baseAddress! + (row % max(inputs.count, 1)) * features, count: features)
                }
            }
            for _ in 0..<warmupIterations where !shouldStop() { model.forward(batch.pointer, batch: batchSize) }
            var latencies: [Double] = []
            latencies.reserveCapacity(iterations)
            let clock = ContinuousClock()
            for _ in 0..<iterations {
                if shouldStop() { break }
                let start = clock.now
                model.forward(batch.pointer, batch: batchSize)
                latencies.append(Self.seconds(clock.now - start))
            }
            guard !latencies.isEmpty else { break }
            let total = latencies.reduce(0, +)
            latencies.sort()
            let result = Result(
                batchSize: batchSize,
                samplesPerSecond: total > 0 ? Double(batchSize * latencies.count) / total : 0,
                latencyMilliseconds: (Self.percentile(latencies, 0.5) * 1000, Self.percentile(latencies, 0.9) * 1000, Self.percentile(latencies, 0.99) * 1000))
            report(result)
            results.append(result)
        }
        return results
    }

    /// The `fraction` quantile of sorted values (nearest rank).
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
