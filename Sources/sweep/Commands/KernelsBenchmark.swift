import ArgumentParser
import Foundation
import SweepCore
import SweepKernels

/// `sweep bench kernels`: seconds per training epoch of mlp-train's MLP, for the small
/// (digits) and large (784-1024-1024-10 teacher–student) models that BENCHMARKS.md compares
/// with PyTorch (Benchmarks/kernels/run.sh runs both in one go).
struct KernelsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time mlp-train epochs on the small (digits) and large (784-1024-1024-10) MLP (use a release build)."
    )

    @Option(name: .long, help: "Models to time: small, large or both (comma-separated).")
    var models = "small,large"

    @Option(name: .long, help: "OpenBLAS threads.")
    var threads = 1

    @Option(name: .long, help: "Timed epochs per model; the median is reported.")
    var epochs = 5

    @Option(name: .long, help: "Untimed epochs first.")
    var warmupEpochs = 1

    @Option(name: .long, help: "Hidden width of the small model (64-WIDTH-10 on digits, batch 64).")
    var smallWidth = 128

    @Option(name: .long, help: "Training examples of the large model (784-1024-1024-10, batch 256).")
    var largeSamples = 16_384

    @Flag(name: .long, help: "Print one JSON object per model instead of text.")
    var json = false

    func validate() throws {
        guard threads >= 1, threads <= BLASThreads.maximum else { throw ValidationError("--threads must be between 1 and \(BLASThreads.maximum)") }
        guard epochs >= 1, warmupEpochs >= 0 else { throw ValidationError("--epochs must be ≥ 1 and --warmup-epochs ≥ 0") }
        guard smallWidth >= 1, largeSamples >= 256 else { throw ValidationError("--small-width must be ≥ 1 and --large-samples ≥ 256") }
        for model in models.split(separator: ",") where model != "small" && model != "large" {
            throw ValidationError("--models takes small, large or small,large; found '\(model)'")
        }
    }

    func run() throws {
        BLASThreads.set(threads)
        for model in models.split(separator: ",") {
            var settings = TrainingSettings()
            settings.threads = threads
            settings.optimizer.kind = .adam
            settings.learningRate = 1e-3
            settings.activation = .relu
            let name: String
            if model == "small" {
                settings.dataset = .digits
                settings.width = smallWidth
                settings.depth = 1
                settings.batchSize = 64
                name = "small 64-\(smallWidth)-10 digits b64"
            } else {
                settings.dataset = .teacherStudent
                settings.task.inputs = 784
                settings.task.classes = 10
                settings.task.trainSamples = largeSamples
                settings.task.validationSamples = 256
                settings.width = 1024
                settings.depth = 2
                settings.batchSize = 256
                name = "large 784-1024-1024-10 teacher-student b256"
            }
            let data = settings.makeData()
            let trainer = Trainer(settings: settings, data: data)
            let stepsPerEpoch = settings.stepsPerEpoch(trainCount: data.train.count)
            var times: [Double] = []
            var lastLoss = 0.0
            for epoch in 0..<(warmupEpochs + epochs) {
                let start = ContinuousClock.now
                var lossSum = 0.0
                for _ in 0..<stepsPerEpoch { lossSum += try trainer.trainStep(learningRate: settings.learningRate).lossSum }
                let elapsed = ContinuousClock.now - start
                lastLoss = lossSum / Double(stepsPerEpoch * trainer.batchSize)
                if epoch >= warmupEpochs {
                    times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                }
            }
            times.sort()
            let median = times[times.count / 2]
            if json {
                print(#"{"framework": "sweep", "model": "\#(model)", "threads": \#(threads), "steps_per_epoch": \#(stepsPerEpoch), "seconds_per_epoch": \#(median), "best_seconds_per_epoch": \#(times[0]), "last_train_loss": \#(lastLoss), "params": \#(trainer.model.shape.parameterCount)}"#)
            } else {
                print("\(name): \(stepsPerEpoch) steps/epoch, median \(String(format: "%.4f", median)) s/epoch (best \(String(format: "%.4f", times[0])) s) over \(epochs) epochs, \(threads) thread(s), train loss \(String(format: "%.3f", lastLoss))")
            }
        }
    }
}
