/// The nonlinearity between hidden layers.
public enum Activation: String, CaseIterable, Sendable {
    /// max(0, x).
    case relu
    /// x · Φ(x), the exact (erf) form, as PyTorch's default `GELU`.
    case gelu
    /// tanh(x).
    case tanh
    /// 1 / (1 + e^−x).
    case sigmoid

    /// The accepted names, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The initialisation gain (He for relu and gelu, Xavier-like for the saturating ones).
    var initializationGain: Double {
        switch self {
        case .relu, .gelu: 2.0.squareRoot()
        case .tanh: 5.0 / 3.0
        case .sigmoid: 1
        }
    }

    /// `output[i] = f(input[i])` for `count` elements.
    func forward<Scalar: KernelScalar>(_ input: UnsafePointer<Scalar>, _ output: UnsafeMutablePointer<Scalar>, count: Int) {
        switch self {
        case .relu:
            for index in 0..<count { output[index] = max(input[index], 0) }
        case .gelu:
            let inverseRootTwo = Scalar(1 / 2.0.squareRoot())
            for index in 0..<count {
                let x = input[index]
                output[index] = x * (1 + Scalar.errorFunction(x * inverseRootTwo)) / 2
            }
        case .tanh:
            for index in 0..<count { output[index] = Scalar.hyperbolicTangent(input[index]) }
        case .sigmoid:
            for index in 0..<count { output[index] = 1 / (1 + Scalar.exponential(-input[index])) }
        }
    }

    /// `gradient[i] *= f′(input[i])`: turns the gradient with respect to the outputs into
    /// the gradient with respect to the inputs, in place. `output` is `f(input)`.
    func backward<Scalar: KernelScalar>(
        input: UnsafePointer<Scalar>, output: UnsafePointer<Scalar>, gradient: UnsafeMutablePointer<Scalar>, count: Int
    ) {
        switch self {
        case .relu:
            for index in 0..<count where input[index] <= 0 { gradient[index] = 0 }
        case .gelu:
            let inverseRootTwo = Scalar(1 / 2.0.squareRoot())
            let inverseRootTwoPi = Scalar(1 / (2 * Double.pi).squareRoot())
            for index in 0..<count {
                let x = input[index]
                let cumulative = (1 + Scalar.errorFunction(x * inverseRootTwo)) / 2
                let density = Scalar.exponential(-x * x / 2) * inverseRootTwoPi
                gradient[index] *= cumulative + x * density
            }
        case .tanh:
            for index in 0..<count { gradient[index] *= 1 - output[index] * output[index] }
        case .sigmoid:
            for index in 0..<count { gradient[index] *= output[index] * (1 - output[index]) }
        }
    }
}
