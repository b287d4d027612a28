/// Labelled examples for classification: inputs row-major (`count × features`) and one
/// class index per row.
public struct Dataset: Sendable, Equatable {
    /// Input features per example.
    public var features: Int
    /// Number of classes (labels are `0..<classes`).
    public var classes: Int
    /// The inputs, row after row.
    public var inputs: [Float]
    /// The class of each row.
    public var labels: [Int32]

    /// Creates a data set; `inputs.count` must be `labels.count × features`.
    public init(features: Int, classes: Int, inputs: [Float], labels: [Int32]) {
        precondition(inputs.count == labels.count * features, "inputs must hold labels.count × features values")
        self.features = features
        self.classes = classes
        self.inputs = inputs
        self.labels = labels
    }

    /// Number of examples.
    public var count: Int { labels.count }
}

/// A training set and the validation set the kernel evaluates on.
public struct DatasetSplit: Sendable, Equatable {
    /// What the model is trained on.
    public var train: Dataset
    /// What it is evaluated on.
    public var validation: Dataset

    /// Creates a split.
    public init(train: Dataset, validation: Dataset) {
        self.train = train
        self.validation = validation
    }
}
