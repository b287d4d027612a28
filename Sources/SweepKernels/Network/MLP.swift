public import SweepCore

/// The shape of a multilayer perceptron: `inputs → width × depth → outputs`.
public struct MLPShape: Sendable, Equatable {
    /// Input features.
    public var inputs: Int
    /// Units in each hidden layer.
    public var width: Int
    /// Hidden layers (0: a linear model).
    public var depth: Int
    /// Output classes.
    public var outputs: Int
    /// The nonlinearity after each hidden layer.
    public var activation: Activation

    /// Creates a shape.
    public init(inputs: Int, width: Int, depth: Int, outputs: Int, activation: Activation) {
        self.inputs = inputs
        self.width = width
        self.depth = depth
        self.outputs = outputs
        self.activation = activation
    }

    /// The layers, laid out one after the other in a flat parameter buffer.
    public var layers: [DenseLayer] {
        let sizes = [inputs] + Array(repeating: width, count: depth) + [outputs]
        var layers: [DenseLayer] = []
        var offset = 0
        for index in 0..<(sizes.count - 1) {
            let weights = sizes[index] * sizes[index + 1]
            layers.append(DenseLayer(inputs: sizes[index], outputs: sizes[index + 1], weightOffset: offset, biasOffset: offset + weights))
            offset += weights + sizes[index + 1]
        }
        return layers
    }

    /// Weights and biases of every layer.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
}

/// A multilayer perceptron with its parameters, their gradients and the activations of the
/// last forward pass. Not thread-safe: one training or inference loop owns it.
public final class MLP<Scalar: KernelScalar> {
    /// The architecture.
    public let shape: MLPShape
    /// The layers, in order.
    public let layers: [DenseLayer]
    /// Every weight and bias, layer after layer.
    public let parameters: Buffer<Scalar>
    /// ∂L/∂parameters from the last `backward`, same layout.
    public let gradients: Buffer<Scalar>

    /// Rows the workspace holds.
    private(set) var capacity = 0
    /// Per layer: its output before the activation (the logits for the last layer).
    private var preActivations: [Buffer<Scalar>] = []
    /// Per hidden layer: its output after the activation.
    private var postActivations: [Buffer<Scalar>] = []
    /// Two scratch buffers for gradients flowing backward, each as wide as the widest layer.
    private var deltas: [Buffer<Scalar>] = []

    /// A network with zero parameters; call `initialize(random:)` or set `parameters`.
    public init(shape: MLPShape) {
        self.shape = shape
        layers = shape.layers
        parameters = Buffer(count: shape.parameterCount)
        gradients = Buffer(count: shape.parameterCount)
    }

    /// Draws weights from N(0, (gain / √fan_in)²) and sets biases to zero.
    public func initialize(random: inout RandomSource) {
        let gain = shape.activation.initializationGain
        for layer in layers {
            let scale = gain / Double(layer.inputs).squareRoot()
            for index in 0..<(layer.inputs * layer.outputs) {
                parameters[layer.weightOffset + index] = Scalar(random.nextGaussian() * scale)
            }
            for index in 0..<layer.outputs { parameters[layer.biasOffset + index] = 0 }
        }
    }

    /// Makes room for batches of `rows`.
    func reserve(rows: Int) {
        guard rows > capacity else { return }
        capacity = rows
        preActivations = layers.map { Buffer(count: rows * $0.outputs) }
        postActivations = layers.dropLast().map { Buffer(count: rows * $0.outputs) }
        let widest = layers.map { max($0.inputs, $0.outputs) }.max() ?? 1
        deltas = [Buffer(count: rows * widest), Buffer(count: rows * widest)]
    }

    /// Runs `batch` rows of `input` (row-major, `batch × inputs`) through the network and
    /// returns the logits (`batch × outputs`), valid until the next call.
    @discardableResult
    public func forward(_ input: UnsafePointer<Scalar>, batch: Int) -> UnsafePointer<Scalar> {
        reserve(rows: batch)
        var current = input
        for (index, layer) in layers.enumerated() {
            let output = preActivations[index].pointer
            layer.forward(parameters: parameters.pointer, input: current, output: output, batch: batch)
            if index < layers.count - 1 {
                let activated = postActivations[index].pointer
                shape.activation.forward(output, activated, count: batch * layer.outputs)
                current = UnsafePointer(activated)
            } else {
                current = UnsafePointer(output)
            }
        }
        return current
    }

    /// Back-propagates `logitGradient` (∂L/∂logits, `batch × outputs`) through the last
    /// `forward` of the same `input`, overwriting `gradients`.
    public func backward(input: UnsafePointer<Scalar>, logitGradient: UnsafePointer<Scalar>, batch: Int) {
        var outputGradient = logitGradient
        var scratch = 0
        for index in layers.indices.reversed() {
            let layer = layers[index]
            let layerInput = index == 0 ? input : UnsafePointer(postActivations[index - 1].pointer)
            let inputGradient: UnsafeMutablePointer<Scalar>? = index == 0 ? nil : deltas[scratch].pointer
            layer.backward(parameters: parameters.pointer, input: layerInput, outputGradient: outputGradient,
                           gradients: gradients.pointer, inputGradient: inputGradient, batch: batch)
            if let inputGradient {
                shape.activation.backward(
                    input: preActivations[index - 1].pointer, output: postActivations[index - 1].pointer,
                    gradient: inputGradient, count: batch * layer.inputs)
                outputGradient = UnsafePointer(inputGradient)
                scratch = 1 - scratch
            }
        }
    }
}

extension RandomSource {
    /// A standard normal draw (Box–Muller).
    mutating func nextGaussian() -> Double {
        let radius = (-2 * Double.logarithm(nextOpenUnit())).squareRoot()
        return radius * Double.cosine(2 * Double.pi * nextOpenUnit())
    }
}
