/// A parametric learning-curve family, after Domhan, Springenberg and Hutter (2015),
/// "Speeding up automatic hyperparameter optimization of deep neural networks by
/// extrapolation of learning curves", plus a constant baseline.
///
/// Every family is written on the normalised coordinates of ``CurveScale`` (u = step /
/// lastStep, t = step / firstStep, y = oriented value scaled to [0, 1]) and has a free
/// offset and a free scale, so that a fit does not depend on the metric's units or sign
/// (Domhan et al. fit accuracies in [0, 1], where several of their families have no offset).
/// Rates that span orders of magnitude are fitted as logarithms (`logRate`).
public enum CurveFamily: String, Sendable, Hashable, Codable, CaseIterable {
    /// y = c: the curve has stopped moving.
    case constant
    /// y = c − a·u^(−α).
    case pow3
    /// y = c − a·(u + b)^(−α), b ≥ 0.
    case pow4
    /// y = d + a / (1 + exp(−k·(log u − m))): a logistic in log u (Domhan's "log power"
    /// a / (1 + (x/e^b)^c) with an offset).
    case logPower
    /// y = c − a·exp(−e^logRate · u).
    case exp3
    /// y = c − a·exp(−e^logRate · u^α), a ≥ 0 (Domhan's c − exp(−a·x^α + b): improving only).
    case exp4
    /// y = α − (α − β)·exp(−e^logκ · u^δ).
    case janoschek
    /// y = α − (α − β)·exp(−(e^logκ · u)^δ).
    case weibull
    /// y = α − (α − β) / (1 + (e^logκ · u)^δ) (Morgan–Mercer–Flodin).
    case mmf
    /// y = c − a / log(t + 1).
    case ilog2
    /// y = d + a·exp(b/t + c·log t).
    case vaporPressure
    /// y = c + a·log(log t + e^logB).
    case logLogLinear

    /// The parameters' names, in the order of ``FamilyFit/parameters``.
    public var parameterNames: [String] {
        switch self {
        case .constant: ["c"]
        case .pow3: ["c", "a", "alpha"]
        case .pow4: ["c", "a", "b", "alpha"]
        case .logPower: ["d", "a", "m", "k"]
        case .exp3: ["c", "a", "logRate"]
        case .exp4: ["c", "a", "logRate", "alpha"]
        case .janoschek, .weibull, .mmf: ["alpha", "beta", "logKappa", "delta"]
        case .ilog2: ["c", "a"]
        case .vaporPressure: ["d", "a", "b", "c"]
        case .logLogLinear: ["c", "a", "logB"]
        }
    }

    /// The number of parameters.
    public var parameterCount: Int { parameterNames.count }

    /// Families that describe the same set of functions under another parametrisation
    /// share a shape class; the ensemble's prior weight is split evenly inside a class so
    /// that a shape does not count double for having two names.
    public var shapeClass: String {
        switch self {
        case .exp4, .janoschek, .weibull: "stretched-exponential"
        case .mmf, .logPower: "log-logistic"
        default: rawValue
        }
    }

    /// The box bounds the fit keeps the parameters in (normalised coordinates).
    var bounds: ParameterBounds {
        let free = Double.infinity
        switch self {
        case .constant:
            return ParameterBounds(lower: [-free], upper: [free])
        case .pow3:
            return ParameterBounds(lower: [-free, -free, 0.01], upper: [free, free, 4])
        case .pow4:
            return ParameterBounds(lower: [-free, -free, 0, 0.01], upper: [free, free, 10, 4])
        case .logPower:
            return ParameterBounds(lower: [-free, -free, -25, 0.05], upper: [free, free, 5, 20])
        case .exp3:
            return ParameterBounds(lower: [-free, -free, -7], upper: [free, free, 12])
        case .exp4:
            return ParameterBounds(lower: [-free, 0, -7, 0.05], upper: [free, free, 12, 4])
        case .janoschek, .weibull, .mmf:
            return ParameterBounds(lower: [-free, -free, -7, 0.05], upper: [free, free, 12, 4])
        case .ilog2:
            return ParameterBounds(lower: [-free, -free], upper: [free, free])
        case .vaporPressure:
            return ParameterBounds(lower: [-free, -free, -50, -3], upper: [free, free, 50, 3])
        case .logLogLinear:
            return ParameterBounds(lower: [-free, -free, -7], upper: [free, free, 5])
        }
    }

    /// The limit of y as the step grows without bound (normalised), or nil when the curve
    /// grows without bound.
    func normalisedAsymptote(_ parameters: [Double]) -> Double? {
        switch self {
        case .constant, .pow3, .pow4, .exp3, .exp4, .ilog2:
            return parameters[0]
        case .logPower:
            return parameters[0] + parameters[1]
        case .janoschek, .weibull, .mmf:
            return parameters[0]
        case .vaporPressure:
            return parameters[3] < -1e-9 ? parameters[0] : nil
        case .logLogLinear:
            return nil
        }
    }
}
