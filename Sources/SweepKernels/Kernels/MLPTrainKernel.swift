public import SweepWorker
import Foundation

/// `mlp-train`: trains a multilayer perceptron with backpropagation on the digits or a
/// teacher–student task and reports train/validation loss and accuracy, parameter count
/// and samples seen at every evaluation. Settings: docs/kernels.md.
public struct MLPTrainKernel: Kernel {
    /// `mlp-train`.
    public let name = "mlp-train"

    /// The kernel.
    public init() {}

    /// Checks the settings, builds the data and trains on a thread of its own.
    public func run(_ context: KernelContext) async throws -> [String: Double] {
        var reader = SettingsReader(kernel: name, context: context)
        let settings = try TrainingSettings(reading: &reader, replicateSeed: context.seed, maxSteps: context.maxSteps)
        try reader.refuseUnknown()
        return try await DedicatedThread.run(name: "mlp-train") {
            BLASThreads.set(settings.threads)
            let data = settings.makeData()
            try settings.checkSize(of: settings.shape(for: data), kernel: "mlp-train")
            let trainer = Trainer(settings: settings, data: data)
            let start = ContinuousClock.now
            var final = try trainer.run(shouldStop: { context.shouldStop }, report: { context.report(step: $0, $1) })
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            final["train_seconds"] = seconds
            return final
        }
    }
}
