public import SweepWorker

/// Which data `mlp-train` learns.
public enum DatasetKind: String, CaseIterable, Sendable {
    /// The UCI handwritten digits (64 inputs, 10 classes, fixed 1,437/360 split).
    case digits
    /// Labels from a fixed random teacher network (see `TeacherStudentTask`).
    case teacherStudent = "teacher-student"
}

/// Everything `mlp-train` is told, checked. See docs/kernels.md for the reference.
public struct TrainingSettings: Sendable, Equatable {
    /// The data.
    public var dataset = DatasetKind.digits
    /// The teacher–student task, when `dataset` is `teacher-student`.
    public var task = TeacherStudentTask()
    /// Hidden units per layer.
    public var width = 64
    /// Hidden layers.
    public var depth = 1
    /// Hidden activation.
    public var activation = Activation.relu
    /// Update rule and its hyperparameters.
    public var optimizer = OptimizerSettings()
    /// Peak learning rate.
    public var learningRate = 1e-3
    /// Decay after warmup.
    public var schedule = ScheduleKind.constant
    /// Steps of linear warmup.
    public var warmupSteps = 0
    /// Rate the decay ends at.
    public var minimumLearningRate = 0.0
    /// Examples per step.
    public var batchSize = 64
    /// Optimizer steps in all; nil until resolved against the data (`steps`, `epochs`,
    /// the sweep's `max_steps`, or 10 epochs).
    public var steps: Int?
    /// Epochs, when given instead of steps.
    public var epochs: Double?
    /// The sweep's `max_steps`, an upper bound on the steps.
    public var maxSteps: Int?
    /// Steps between evaluations (nil: once per epoch).
    public var evaluateEvery: Int?
    /// OpenBLAS threads.
    public var threads = 1
    /// Seed of initialisation and batch order (the job's replicate seed, mixed with a
    /// `seed` setting if there is one).
    public var seed: UInt64 = 0

    /// The defaults (digits, width 64, depth 1, relu, Adam at 1e-3, batch 64).
    public init() {}

    /// Epochs used when neither `steps`, `epochs` nor `max_steps` is given.
    public static let defaultEpochs = 10.0
    /// The largest width, depth, batch, sample count and step count accepted.
    public static let limits = (width: 1 << 16, depth: 64, batch: 1 << 16, samples: 1 << 24, steps: 100_000_000)

    /// Reads and checks the settings of `mlp-train` (also used by `mlp-infer` for the model).
    public init(reading reader: inout SettingsReader, replicateSeed: Int64, maxSteps: Int?) throws(KernelError) {
        let limits = Self.limits
        dataset = try reader.choice("dataset", default: .digits)
        width = try reader.integer("width", default: 64, in: 1...limits.width)
        depth = try reader.integer("depth", default: 1, in: 0...limits.depth)
        activation = try reader.choice("activation", default: .relu)
        optimizer.kind = try reader.choice("optimizer", default: .adam)
        learningRate = try reader.number("lr", default: 1e-3, expected: "> 0", where: { $0 > 0 })
        optimizer.momentum = try reader.number("momentum", default: 0.9, expected: "in [0, 1)", where: { $0 >= 0 && $0 < 1 })
        optimizer.beta1 = try reader.number("beta1", default: 0.9, expected: "in [0, 1)", where: { $0 >= 0 && $0 < 1 })
        optimizer.beta2 = try reader.number("beta2", default: 0.999, expected: "in [0, 1)", where: { $0 >= 0 && $0 < 1 })
        optimizer.epsilon = try reader.number("epsilon", default: 1e-8, expected: "> 0", where: { $0 > 0 })
        optimizer.weightDecay = try reader.number("weight_decay", default: 0, expected: "≥ 0", where: { $0 >= 0 })
        schedule = try reader.choice("schedule", default: .constant)
        warmupSteps = try reader.integer("warmup_steps", default: 0, in: 0...limits.steps)
        minimumLearningRate = try reader.number("min_lr", default: 0, expected: "≥ 0 and ≤ lr", where: { [learningRate] in $0 >= 0 && $0 <= learningRate })
        batchSize = try reader.integer("batch_size", default: 64, in: 1...limits.batch)
        steps = try reader.optionalInteger("steps", in: 1...limits.steps)
        let epochCount = try reader.number("epochs", default: 0, expected: "> 0 and ≤ 1000000", where: { $0 > 0 && $0 <= 1e6 })
        epochs = reader.has("epochs") ? epochCount : nil
        if steps != nil, epochs != nil { throw KernelError("\(reader.kernel): give 'steps' or 'epochs', not both") }
        self.maxSteps = maxSteps
        evaluateEvery = try reader.optionalInteger("eval_every", in: 1...limits.steps)
        threads = try reader.integer("threads", default: 1, in: 1...BLASThreads.maximum)
        let seedSetting = try reader.integer("seed", default: 0, in: 0...Int.max)
        seed = UInt64(bitPattern: replicateSeed) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(seedSetting)

        task.inputs = try reader.integer("input_dim", default: task.inputs, in: 1...limits.width)
        task.classes = try reader.integer("classes", default: task.classes, in: 2...limits.width)
        task.teacherWidth = try reader.integer("teacher_width", default: task.teacherWidth, in: 1...limits.width)
        task.teacherDepth = try reader.integer("teacher_depth", default: task.teacherDepth, in: 0...limits.depth)
        task.teacherActivation = try reader.choice("teacher_activation", default: task.teacherActivation)
        task.noise = try reader.number("noise", default: 0, expected: "≥ 0", where: { $0 >= 0 })
        task.trainSamples = try reader.integer("train_samples", default: task.trainSamples, in: 1...limits.samples)
        task.validationSamples = try reader.integer("val_samples", default: task.validationSamples, in: 1...limits.samples)
        task.dataSeed = UInt64(try reader.integer("data_seed", default: 0, in: 0...Int.max))
        if dataset == .digits {
            for name in ["input_dim", "classes", "teacher_width", "teacher_depth", "teacher_activation", "noise", "train_samples", "val_samples", "data_seed"]
            where reader.has(name) {
                throw KernelError("\(reader.kernel): '\(name)' applies to dataset teacher-student, not digits")
            }
        }
    }

    /// The most parameters a model may have (2^28 floats, 1 GiB).
    public static let maximumParameters = 1 << 28

    /// Refuses a model too large to allocate.
    public func checkSize(of shape: MLPShape, kernel: String) throws(KernelError) {
        let layerSizes = [shape.inputs, shape.width, shape.outputs]
        let bound = layerSizes.max()! * layerSizes.max()! * (shape.depth + 1)
        guard bound <= Self.maximumParameters else {
            throw KernelError("\(kernel): width \(shape.width) and depth \(shape.depth) make over \(Self.maximumParameters) parameters; use a smaller model")
        }
    }

    /// The network's shape for the data.
    public func shape(for data: DatasetSplit) -> MLPShape {
        MLPShape(inputs: data.train.features, width: width, depth: depth, outputs: data.train.classes, activation: activation)
    }

    /// The data to train on.
    public func makeData() -> DatasetSplit {
        switch dataset {
        case .digits: Digits.split
        case .teacherStudent: task.generate()
        }
    }

    /// Batch size actually used: at most the training set.
    public func effectiveBatchSize(trainCount: Int) -> Int { min(batchSize, trainCount) }

    /// Full batches per epoch (the last partial batch of an epoch is dropped).
    public func stepsPerEpoch(trainCount: Int) -> Int { max(1, trainCount / effectiveBatchSize(trainCount: trainCount)) }

    /// Total optimizer steps: `steps`, or `epochs` × steps per epoch, or `max_steps`, or
    /// 10 epochs; never more than `max_steps`.
    public func totalSteps(trainCount: Int) -> Int {
        let perEpoch = stepsPerEpoch(trainCount: trainCount)
        let requested = steps
            ?? epochs.map { max(1, Int(($0 * Double(perEpoch)).rounded())) }
            ?? maxSteps
            ?? Int(Self.defaultEpochs) * perEpoch
        return min(requested, maxSteps ?? requested)
    }
}
