import Foundation

/// Drawing values: every distribution is sampled through its quantile function, so that the
/// same code serves independent random draws and low-discrepancy (Sobol) points.
extension Distribution {
    /// The value at probability `u` in (0, 1): the inverse of the distribution function.
    public func value(atQuantile u: Double) -> ParamValue {
        let u = min(max(u, 0x1.0p-53), 1 - 0x1.0p-53)
        switch self {
        case .constant(let value):
            return value
        case .categorical(let values, let probabilities):
            guard let probabilities else {
                return values[min(values.count - 1, Int(u * Double(values.count)))]
            }
            var cumulative = 0.0
            for (index, probability) in probabilities.enumerated() {
                cumulative += probability
                if u < cumulative, probability > 0 { return values[index] }
            }
            return values[probabilities.lastIndex { $0 > 0 } ?? values.count - 1]
        case .intUniform(let low, let high):
            let span = Double(high) - Double(low) + 1
            let offset = min(span - 1, (u * span).rounded(.down))
            return .int(low + Int64(offset))
        case .uniform(let low, let high):
            return .double(low + u * (high - low))
        case .logUniform(let low, let high):
            return .double(exp(low + u * (high - low)))
        case .logUniformValues(let low, let high), .invLogUniformValues(let low, let high):
            // 1/X log-uniform on [1/max, 1/min] is the same law as X log-uniform on [min, max].
            return .double(exp(log(low) + u * (log(high) - log(low))))
        case .invLogUniform(let low, let high):
            return .double(exp(-(low + u * (high - low))))
        case .qUniform(let low, let high, let q):
            return Self.quantize(low + u * (high - low), q)
        case .qLogUniform(let low, let high, let q):
            return Self.quantize(exp(low + u * (high - low)), q)
        case .qLogUniformValues(let low, let high, let q):
            return Self.quantize(exp(log(low) + u * (log(high) - log(low))), q)
        case .normal(let mu, let sigma):
            return .double(mu + sigma * SpecialFunctions.normalQuantile(u))
        case .qNormal(let mu, let sigma, let q):
            return Self.quantize(mu + sigma * SpecialFunctions.normalQuantile(u), q)
        case .logNormal(let mu, let sigma):
            return .double(exp(mu + sigma * SpecialFunctions.normalQuantile(u)))
        case .qLogNormal(let mu, let sigma, let q):
            return Self.quantize(exp(mu + sigma * SpecialFunctions.normalQuantile(u)), q)
        case .beta(let a, let b):
            return .double(SpecialFunctions.betaQuantile(u, a: a, b: b))
        case .qBeta(let a, let b, let q):
            return Self.quantize(SpecialFunctions.betaQuantile(u, a: a, b: b), q)
        }
    }

    /// `round(x / q) * q`, spelt exactly (0.3, not 0.30000000000000004) when 1/q is a whole
    /// number, and as an integer when q is one.
    static func quantize(_ x: Double, _ q: Double) -> ParamValue {
        let steps = (x / q).rounded()
        if q == q.rounded(), abs(steps * q) < 9e15 {
            return .int(Int64(steps * q))
        }
        let inverse = 1 / q
        if abs(inverse - inverse.rounded()) < 1e-9 * inverse {
            return .double(steps / inverse.rounded())
        }
        return .double(steps * q)
    }

    /// Whether `value` can be drawn from this distribution (up to rounding at the bounds).
    public func contains(_ value: ParamValue) -> Bool {
        func within(_ x: Double, _ low: Double, _ high: Double) -> Bool {
            let slack = 1e-9 * max(1, abs(low), abs(high))
            return x >= low - slack && x <= high + slack
        }
        func onGrid(_ x: Double, _ q: Double) -> Bool {
            let steps = x / q
            return abs(steps - steps.rounded()) < 1e-6
        }
        switch self {
        case .constant(let constant):
            return constant.canonicalJSON == value.canonicalJSON
        case .categorical(let values, _):
            return values.contains { $0.canonicalJSON == value.canonicalJSON }
        case .intUniform(let low, let high):
            guard case .int(let integer) = value else { return false }
            return integer >= low && integer <= high
        default:
            break
        }
        guard let x = value.numberValue, x.isFinite else { return false }
        switch self {
        case .uniform(let low, let high): return within(x, low, high)
        case .logUniform(let low, let high): return within(x, exp(low), exp(high))
        case .logUniformValues(let low, let high), .invLogUniformValues(let low, let high): return within(x, low, high)
        case .invLogUniform(let low, let high): return within(x, exp(-high), exp(-low))
        case .qUniform(let low, let high, let q):
            return onGrid(x, q) && within(x, (low / q).rounded() * q, (high / q).rounded() * q)
        case .qLogUniform(let low, let high, let q):
            return onGrid(x, q) && within(x, (exp(low) / q).rounded() * q, (exp(high) / q).rounded() * q)
        case .qLogUniformValues(let low, let high, let q):
            return onGrid(x, q) && within(x, (low / q).rounded() * q, (high / q).rounded() * q)
        case .normal: return true
        case .qNormal(_, _, let q): return onGrid(x, q)
        case .logNormal: return x > 0
        case .qLogNormal(_, _, let q): return onGrid(x, q) && x >= 0
        case .beta(_, _): return within(x, 0, 1)
        case .qBeta(_, _, let q): return onGrid(x, q) && within(x, 0, (1 / q).rounded() * q)
        default: return false
        }
    }

    /// How many values grid search enumerates, saturating at `Int.max`; nil when the
    /// distribution is continuous.
    public var gridCount: Int? {
        switch self {
        case .constant: return 1
        case .categorical(let values, _): return Set(values.map(\.canonicalJSON)).count
        case .intUniform(let low, let high):
            let span = high.subtractingReportingOverflow(low)
            return span.overflow || span.partialValue == Int64.max ? Int.max : Int(span.partialValue) + 1
        case .qUniform(let low, let high, let q):
            let span = ((high / q).rounded() - (low / q).rounded()) + 1
            return span >= Double(Int.max) ? Int.max : Int(span)
        default: return nil
        }
    }

    /// The values grid search enumerates, in order, duplicates removed.
    public var gridValues: [ParamValue] {
        switch self {
        case .constant(let value): return [value]
        case .categorical(let values, _):
            var seen: Set<String> = []
            return values.filter { seen.insert($0.canonicalJSON).inserted }
        case .intUniform(let low, let high): return (low...high).map { .int($0) }
        case .qUniform(let low, let high, let q):
            let first = (low / q).rounded(), last = (high / q).rounded()
            guard first <= last else { return [] }
            return stride(from: first, through: last, by: 1).map { Self.quantize($0 * q, q) }
        default: return []
        }
    }
}
