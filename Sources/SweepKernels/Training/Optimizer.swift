/// Which update rule turns gradients into parameter changes. The rules and their defaults
/// are PyTorch's (`torch.optim.SGD`, `Adam`, `AdamW`), so results can be compared.
public enum OptimizerKind: String, CaseIterable, Sendable {
    /// SGD with (heavy-ball) momentum; `weight_decay` is added to the gradient (L2).
    case sgd
    /// Adam; `weight_decay` is added to the gradient (L2), as in `torch.optim.Adam`.
    case adam
    /// AdamW; `weight_decay` shrinks the parameters directly (decoupled).
    case adamw

    /// The accepted names, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The optimizer's hyperparameters other than the learning rate.
public struct OptimizerSettings: Sendable, Equatable {
    /// The update rule.
    public var kind: OptimizerKind = .adam
    /// SGD momentum μ (0: plain SGD).
    public var momentum = 0.9
    /// Adam's β₁.
    public var beta1 = 0.9
    /// Adam's β₂.
    public var beta2 = 0.999
    /// Adam's ε.
    public var epsilon = 1e-8
    /// Weight decay λ, applied to every parameter (weights and biases).
    public var weightDecay = 0.0

    /// Defaults: Adam, PyTorch's hyperparameters, no weight decay.
    public init() {}
}

/// An optimizer's state (momentum buffers, moment estimates) over a flat parameter buffer.
public final class Optimizer<Scalar: KernelScalar> {
    /// Its hyperparameters.
    public let settings: OptimizerSettings
    private let first: Buffer<Scalar>
    private let second: Buffer<Scalar>
    /// Updates applied so far.
    public private(set) var stepCount = 0

    /// State for `parameterCount` parameters, all moments zero.
    public init(settings: OptimizerSettings, parameterCount: Int) {
        self.settings = settings
        first = Buffer(count: parameterCount)
        second = Buffer(count: settings.kind == .sgd ? 0 : parameterCount)
    }

    /// Applies one update with learning rate `learningRate`.
    public func step(parameters: Buffer<Scalar>, gradients: Buffer<Scalar>, learningRate: Double) {
        stepCount += 1
        let count = parameters.count
        let parameter = parameters.pointer
        let gradient = gradients.pointer
        let moment = first.pointer
        let decay = Scalar(settings.weightDecay)
        let rate = Scalar(learningRate)
        switch settings.kind {
        case .sgd:
            let momentum = Scalar(settings.momentum)
            for index in 0..<count {
                let g = gradient[index] + decay * parameter[index]
                let velocity = momentum * moment[index] + g
                moment[index] = velocity
                parameter[index] -= rate * velocity
            }
        case .adam, .adamw:
            let decoupled = settings.kind == .adamw
            let beta1 = Scalar(settings.beta1)
            let beta2 = Scalar(settings.beta2)
            let epsilon = Scalar(settings.epsilon)
            let correction1 = 1 - Double.exponential(Double(stepCount) * Double.logarithm(settings.beta1))
            let correction2 = 1 - Double.exponential(Double(stepCount) * Double.logarithm(settings.beta2))
            let stepSize = Scalar(learningRate / correction1)
            let rootCorrection2 = Scalar(correction2.squareRoot())
            let shrink = 1 - rate * decay
            let variance = second.pointer
            for index in 0..<count {
                var g = gradient[index]
                if decoupled {
                    parameter[index] *= shrink
                } else {
                    g += decay * parameter[index]
                }
                let m = beta1 * moment[index] + (1 - beta1) * g
                let v = beta2 * variance[index] + (1 - beta2) * g * g
                moment[index] = m
                variance[index] = v
                parameter[index] -= stepSize * m / (v.squareRoot() / rootCorrection2 + epsilon)
            }
        }
    }
}
