public import SweepWorker
import SweepCore

/// Trains an MLP on a data set with minibatch SGD-family updates and reports learning
/// curves. One instance owns its model and buffers and runs on one thread.
public final class Trainer {
    /// The settings, checked.
    public let settings: TrainingSettings
    /// The data.
    public let data: DatasetSplit
    /// The model being trained.
    public let model: MLP<Float>
    /// The optimizer state.
    public let optimizer: Optimizer<Float>
    /// The learning rate per step.
    public let schedule: LearningRateSchedule
    /// Examples per step.
    public let batchSize: Int
    /// Steps in all.
    public let totalSteps: Int
    /// Steps between evaluations.
    public let evaluateEvery: Int

    /// Optimizer steps taken.
    public private(set) var stepsTaken = 0

    private var random: RandomSource
    private var order: [Int]
    private var cursor: Int
    private let batchInput: Buffer<Float>
    private let batchLabels: UnsafeMutablePointer<Int32>
    private let logitGradient: Buffer<Float>

    /// Rows evaluated at once.
    static let evaluationChunk = 512

    /// A model initialised from the settings' seed, ready to train on `data`.
    public init(settings: TrainingSettings, data: DatasetSplit) {
        self.settings = settings
        self.data = data
        let shape = settings.shape(for: data)
        model = MLP(shape: shape)
        random = RandomSource(settings.seed, 0x5EED, 1)
        model.initialize(random: &random)
        optimizer = Optimizer(settings: settings.optimizer, parameterCount: shape.parameterCount)
        let trainCount = data.train.count
        batchSize = settings.effectiveBatchSize(trainCount: trainCount)
        totalSteps = settings.totalSteps(trainCount: trainCount)
        evaluateEvery = settings.evaluateEvery ?? settings.stepsPerEpoch(trainCount: trainCount)
        schedule = LearningRateSchedule(kind: settings.schedule, base: settings.learningRate, minimum: settings.minimumLearningRate,
                                        warmupSteps: settings.warmupSteps, totalSteps: totalSteps)
        order = Array(0..<trainCount)
        cursor = trainCount
        batchInput = Buffer(count: batchSize * data.train.features)
        batchLabels = .allocate(capacity: batchSize)
        batchLabels.initialize(repeating: 0, count: batchSize)
        logitGradient = Buffer(count: batchSize * data.train.classes)
    }

    deinit { batchLabels.deallocate() }

    /// Trains for `totalSteps`, or until `shouldStop` says so (checked before each step).
    /// Reports train and validation metrics every `evaluateEvery` steps and after the last;
    /// returns the last report plus the best validation figures.
    public func run(shouldStop: () -> Bool, report: (Int64, [String: Double]) -> Void) throws(KernelError) -> [String: Double] {
        var lossSum = 0.0
        var correct = 0
        var seen = 0
        var samplesSeen = 0
        var last: [String: Double] = [:]
        var bestLoss = Double.infinity
        var bestAccuracy = 0.0
        for step in 0..<totalSteps {
            if shouldStop() { break }
            let rate = schedule.rate(at: step)
            let outcome = try trainStep(learningRate: rate)
            lossSum += outcome.lossSum
            correct += outcome.correct
            seen += batchSize
            samplesSeen += batchSize
            if (step + 1) % evaluateEvery == 0 || step + 1 == totalSteps {
                let validation = evaluate(data.validation)
                guard validation.loss.isFinite else {
                    throw KernelError("mlp-train: training diverged at step \(step + 1) (the validation loss is not finite); lower 'lr' (now \(settings.learningRate))")
                }
                bestLoss = min(bestLoss, validation.loss)
                bestAccuracy = max(bestAccuracy, validation.accuracy)
                last = [
                    "train_loss": lossSum / Double(seen),
                    "train_accuracy": Double(correct) / Double(seen),
                    "val_loss": validation.loss,
                    "val_accuracy": validation.accuracy,
                    "samples_seen": Double(samplesSeen),
                    "epoch": Double(samplesSeen) / Double(data.train.count),
                    "lr": rate,
                    "params": Double(model.shape.parameterCount),
                ]
                report(Int64(step + 1), last)
                lossSum = 0
                correct = 0
                seen = 0
            }
        }
        if last.isEmpty {
            // Stopped before the first evaluation: still say where the model stands.
            let validation = evaluate(data.validation)
            if validation.loss.isFinite {
                last = ["val_loss": validation.loss, "val_accuracy": validation.accuracy, "samples_seen": Double(samplesSeen), "params": Double(model.shape.parameterCount)]
            }
        } else {
            last["best_val_loss"] = bestLoss
            last["best_val_accuracy"] = bestAccuracy
        }
        return last
    }

    /// One optimizer step on the next batch at `learningRate`; returns the batch's loss
    /// (summed over its rows) and correct count before the update.
    public func trainStep(learningRate: Double) throws(KernelError) -> SoftmaxCrossEntropy.Outcome {
        stepsTaken += 1
        nextBatch()
        let logits = model.forward(batchInput.pointer, batch: batchSize)
        let outcome = SoftmaxCrossEntropy.evaluate(logits: logits, labels: batchLabels, classes: data.train.classes, batch: batchSize, gradient: logitGradient.pointer)
        guard outcome.lossSum.isFinite else {
            throw KernelError("mlp-train: training diverged at step \(stepsTaken) (the loss is no longer finite); lower 'lr' (now \(settings.learningRate))")
        }
        model.backward(input: batchInput.pointer, logitGradient: logitGradient.pointer, batch: batchSize)
        optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: learningRate)
        return outcome
    }

    /// Mean cross-entropy and accuracy of the model on `dataset`.
    public func evaluate(_ dataset: Dataset) -> (loss: Double, accuracy: Double) {
        Self.evaluate(model, on: dataset)
    }

    /// Mean cross-entropy and accuracy of `model` on `dataset`, in chunks.
    public static func evaluate(_ model: MLP<Float>, on dataset: Dataset) -> (loss: Double, accuracy: Double) {
        guard dataset.count > 0 else { return (0, 0) }
        var lossSum = 0.0
        var correct = 0
        dataset.inputs.withUnsafeBufferPointer { inputs in
            dataset.labels.withUnsafeBufferPointer { labels in
                var start = 0
                while start < dataset.count {
                    let rows = min(evaluationChunk, dataset.count - start)
                    let logits = model.forward(inputs.baseAddress! + start * dataset.features, batch: rows)
                    let outcome = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels.baseAddress! + start, classes: dataset.classes, batch: rows, gradient: nil)
                    lossSum += outcome.lossSum
                    correct += outcome.correct
                    start += rows
                }
            }
        }
        return (lossSum / Double(dataset.count), Double(correct) / Double(dataset.count))
    }

    /// Copies the next `batchSize` examples of the shuffled order into the batch buffers,
    /// reshuffling at the start of each epoch (a last partial batch is dropped).
    private func nextBatch() {
        if cursor + batchSize > order.count {
            // Our own Fisher–Yates, so that batch order does not depend on the standard
            // library's shuffle algorithm.
            for index in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(index, Int(random.next() % UInt64(index + 1)))
            }
            cursor = 0
        }
        let features = data.train.features
        data.train.inputs.withUnsafeBufferPointer { inputs in
            for row in 0..<batchSize {
                let example = order[cursor + row]
                (batchInput.pointer + row * features).update(from: inputs.baseAddress! + example * features, count: features)
                batchLabels[row] = data.train.labels[example]
            }
        }
        cursor += batchSize
    }
}
