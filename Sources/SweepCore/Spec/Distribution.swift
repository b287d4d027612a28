/// How one parameter's values are chosen: the W&B distributions, with the same meaning.
public enum Distribution: Sendable, Hashable, Codable {
    /// Always this value.
    case constant(ParamValue)
    /// One of `values`, uniformly or with the given probabilities (which sum to 1).
    case categorical(values: [ParamValue], probabilities: [Double]?)
    /// An integer in `min...max`, uniformly.
    case intUniform(min: Int64, max: Int64)
    /// A real in `[min, max]`, uniformly.
    case uniform(min: Double, max: Double)
    /// `exp(U(min, max))`: the bounds are natural logarithms, as W&B defines `log_uniform`.
    case logUniform(min: Double, max: Double)
    /// Log-uniform between the values `min` and `max` (both > 0).
    case logUniformValues(min: Double, max: Double)
    /// `exp(-U(min, max))`: 1/X is log-uniform with natural-log bounds.
    case invLogUniform(min: Double, max: Double)
    /// X in `[min, max]` (both > 0) such that 1/X is log-uniform.
    case invLogUniformValues(min: Double, max: Double)
    /// `round(U(min, max) / q) * q`.
    case qUniform(min: Double, max: Double, q: Double)
    /// `round(exp(U(min, max)) / q) * q`, natural-log bounds.
    case qLogUniform(min: Double, max: Double, q: Double)
    /// `round(X / q) * q` with X log-uniform between the values `min` and `max`.
    case qLogUniformValues(min: Double, max: Double, q: Double)
    /// Normal with mean `mu` and standard deviation `sigma`.
    case normal(mu: Double, sigma: Double)
    /// `round(N(mu, sigma) / q) * q`.
    case qNormal(mu: Double, sigma: Double, q: Double)
    /// `exp(N(mu, sigma))`.
    case logNormal(mu: Double, sigma: Double)
    /// `round(exp(N(mu, sigma)) / q) * q`.
    case qLogNormal(mu: Double, sigma: Double, q: Double)
    /// Beta with shape parameters `a` and `b`.
    case beta(a: Double, b: Double)
    /// `round(Beta(a, b) / q) * q`.
    case qBeta(a: Double, b: Double, q: Double)

    /// The name users write in YAML.
    public var name: String {
        switch self {
        case .constant: "constant"
        case .categorical: "categorical"
        case .intUniform: "int_uniform"
        case .uniform: "uniform"
        case .logUniform: "log_uniform"
        case .logUniformValues: "log_uniform_values"
        case .invLogUniform: "inv_log_uniform"
        case .invLogUniformValues: "inv_log_uniform_values"
        case .qUniform: "q_uniform"
        case .qLogUniform: "q_log_uniform"
        case .qLogUniformValues: "q_log_uniform_values"
        case .normal: "normal"
        case .qNormal: "q_normal"
        case .logNormal: "log_normal"
        case .qLogNormal: "q_log_normal"
        case .beta: "beta"
        case .qBeta: "q_beta"
        }
    }

    /// Whether a draw is needed at all (constants are not sampled).
    public var isSampled: Bool {
        if case .constant = self { false } else { true }
    }
}

/// The YAML keys each distribution takes, for validation and messages.
public enum DistributionKind: String, Sendable, CaseIterable, Codable {
    case constant, categorical
    case intUniform = "int_uniform", uniform
    case logUniform = "log_uniform", logUniformValues = "log_uniform_values"
    case invLogUniform = "inv_log_uniform", invLogUniformValues = "inv_log_uniform_values"
    case qUniform = "q_uniform", qLogUniform = "q_log_uniform"
    case qLogUniformValues = "q_log_uniform_values"
    case normal, qNormal = "q_normal", logNormal = "log_normal", qLogNormal = "q_log_normal"
    case beta, qBeta = "q_beta"

    /// Keys that must be present.
    public var requiredKeys: [String] {
        switch self {
        case .constant: ["value"]
        case .categorical: ["values"]
        case .intUniform, .uniform, .logUniform, .logUniformValues, .invLogUniform,
             .invLogUniformValues, .qUniform, .qLogUniform, .qLogUniformValues: ["min", "max"]
        case .normal, .qNormal, .logNormal, .qLogNormal, .beta, .qBeta: []
        }
    }

    /// Keys that may be present besides the required ones.
    public var optionalKeys: [String] {
        switch self {
        case .constant: []
        case .categorical: ["probabilities"]
        case .intUniform, .uniform, .logUniform, .logUniformValues, .invLogUniform,
             .invLogUniformValues: []
        case .qUniform, .qLogUniform, .qLogUniformValues: ["q"]
        case .normal, .logNormal: ["mu", "sigma"]
        case .qNormal, .qLogNormal: ["mu", "sigma", "q"]
        case .beta: ["a", "b"]
        case .qBeta: ["a", "b", "q"]
        }
    }

    /// "min, max and optionally q", for messages.
    public var keysDescription: String {
        let required = requiredKeys.joined(separator: ", ")
        let optional = optionalKeys.joined(separator: ", ")
        switch (required.isEmpty, optional.isEmpty) {
        case (true, true): return "no settings"
        case (false, true): return required
        case (true, false): return "optionally \(optional)"
        case (false, false): return "\(required), optionally \(optional)"
        }
    }
}
