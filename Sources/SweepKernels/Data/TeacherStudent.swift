import SweepCore

/// A classification task labelled by a fixed random teacher network: inputs are standard
/// normal vectors and each label is the argmax of the teacher's logits plus Gaussian noise.
/// The teacher and the data depend only on `dataSeed`, never on the job's seed, so every
/// student of a sweep learns the same function; a student's loss falls as a power law in
/// its width and in the samples it has seen, which makes the task the testbed for ladders.
public struct TeacherStudentTask: Sendable, Equatable {
    /// Input dimension.
    public var inputs = 32
    /// Classes (the teacher's outputs).
    public var classes = 10
    /// The teacher's hidden width.
    public var teacherWidth = 128
    /// The teacher's hidden layers.
    public var teacherDepth = 2
    /// The teacher's activation.
    public var teacherActivation = Activation.relu
    /// Standard deviation of the noise added to the teacher's logits, in units of the
    /// logits' own standard deviation (0: labels are a deterministic function of inputs).
    public var noise = 0.0
    /// Training examples.
    public var trainSamples = 16_384
    /// Validation examples.
    public var validationSamples = 2_048
    /// Seed of the teacher and the data.
    public var dataSeed: UInt64 = 0

    /// The defaults: 32 inputs, 10 classes, a relu teacher of width 128 and depth 2.
    public init() {}

    /// The teacher network.
    public func teacher() -> MLP<Float> {
        let network = MLP<Float>(shape: MLPShape(inputs: inputs, width: teacherWidth, depth: teacherDepth, outputs: classes, activation: teacherActivation))
        var random = RandomSource(dataSeed, 0x7EAC, 1)
        network.initialize(random: &random)
        return network
    }

    /// Generates the training and validation sets.
    public func generate() -> DatasetSplit {
        let teacher = teacher()
        let train = label(count: trainSamples, stream: 2, teacher: teacher, statistics: nil)
        let validation = label(count: validationSamples, stream: 3, teacher: teacher, statistics: train.statistics)
        return DatasetSplit(train: train.data, validation: validation.data)
    }

    /// The teacher's logits over the training inputs: each class's mean (subtracted, so
    /// that no class dominates the labels) and the spread after centring (the unit of noise).
    private struct LogitStatistics {
        var means: [Double]
        var spread: Double
    }

    private func label(count: Int, stream: UInt64, teacher: MLP<Float>, statistics known: LogitStatistics?) -> (data: Dataset, statistics: LogitStatistics) {
        var random = RandomSource(dataSeed, 0x7EAC, stream)
        var inputValues = [Float](repeating: 0, count: count * inputs)
        for index in inputValues.indices { inputValues[index] = Float(random.nextGaussian()) }
        var logits = [Float](repeating: 0, count: count * classes)
        let chunk = 1024
        inputValues.withUnsafeBufferPointer { source in
            logits.withUnsafeMutableBufferPointer { target in
                var start = 0
                while start < count {
                    let rows = min(chunk, count - start)
                    let output = teacher.forward(source.baseAddress! + start * inputs, batch: rows)
                    (target.baseAddress! + start * classes).update(from: output, count: rows * classes)
                    start += rows
                }
            }
        }
        let statistics = known ?? statisticsOf(logits, rows: count)
        var labels = [Int32](repeating: 0, count: count)
        for row in 0..<count {
            var best = -Double.infinity
            for column in 0..<classes {
                var value = Double(logits[row * classes + column]) - statistics.means[column]
                if noise > 0 { value += noise * statistics.spread * random.nextGaussian() }
                if value > best {
                    best = value
                    labels[row] = Int32(column)
                }
            }
        }
        return (Dataset(features: inputs, classes: classes, inputs: inputValues, labels: labels), statistics)
    }

    private func statisticsOf(_ logits: [Float], rows: Int) -> LogitStatistics {
        var means = [Double](repeating: 0, count: classes)
        for row in 0..<rows { for column in 0..<classes { means[column] += Double(logits[row * classes + column]) } }
        for column in 0..<classes { means[column] /= Double(max(rows, 1)) }
        var squares = 0.0
        for row in 0..<rows {
            for column in 0..<classes {
                let centred = Double(logits[row * classes + column]) - means[column]
                squares += centred * centred
            }
        }
        let variance = squares / Double(max(rows * classes - 1, 1))
        return LogitStatistics(means: means, spread: variance > 0 ? variance.squareRoot() : 1)
    }
}
