import Foundation

/// A normalised step with the logarithms the families need, computed once per point
/// rather than once per evaluation.
struct StepCoordinates: Sendable {
    /// u = step / lastStep.
    var u: Double
    /// log u.
    var logU: Double
    /// t = step / firstStep = u · span.
    var t: Double
    /// log t.
    var logT: Double

    init(u: Double, span: Double) {
        self.u = u
        logU = log(u)
        t = u * span
        logT = log(t)
    }
}

/// Values and analytic parameter gradients of the families, on normalised coordinates,
/// evaluated over all points at once so that the family's switch and its parameter
/// transforms (e^logRate, ...) are paid once per evaluation, not once per point.
extension CurveFamily {
    /// y at one point.
    func value(at point: StepCoordinates, parameters θ: [Double]) -> Double {
        var result = 0.0
        withUnsafePointer(to: point) { pointer in
            evaluate(UnsafeBufferPointer(start: pointer, count: 1), parameters: θ, values: &result, gradients: nil)
        }
        return result
    }

    /// y at one point and ∂y/∂θ written to `gradient[0..<parameterCount]`.
    func value(at point: StepCoordinates, parameters θ: [Double], gradient: UnsafeMutablePointer<Double>) -> Double {
        var result = 0.0
        withUnsafePointer(to: point) { pointer in
            evaluate(UnsafeBufferPointer(start: pointer, count: 1), parameters: θ, values: &result, gradients: gradient)
        }
        return result
    }

    /// Writes yᵢ to `values[i]` and, when `gradients` is given, ∂yᵢ/∂θⱼ to
    /// `gradients[i · parameterCount + j]`.
    func evaluate(
        _ points: UnsafeBufferPointer<StepCoordinates>,
        parameters θ: [Double],
        values: UnsafeMutablePointer<Double>,
        gradients: UnsafeMutablePointer<Double>?
    ) {
        let p = parameterCount
        switch self {
        case .constant:
            for i in points.indices {
                values[i] = θ[0]
                gradients?[i] = 1
            }
        case .pow3:
            let (c, a, alpha) = (θ[0], θ[1], θ[2])
            for i in points.indices {
                let logU = points[i].logU
                let power = exp(-alpha * logU)
                values[i] = c - a * power
                if let row = gradients.map({ $0 + i * p }) {
                    row[0] = 1
                    row[1] = -power
                    row[2] = a * power * logU
                }
            }
        case .pow4:
            let (c, a, b, alpha) = (θ[0], θ[1], θ[2], θ[3])
            for i in points.indices {
                let shifted = points[i].u + b
                let logShifted = log(shifted)
                let power = exp(-alpha * logShifted)
                values[i] = c - a * power
                if let row = gradients.map({ $0 + i * p }) {
                    row[0] = 1
                    row[1] = -power
                    row[2] = a * alpha * power / shifted
                    row[3] = a * power * logShifted
                }
            }
        case .logPower:
            let (d, a, m, k) = (θ[0], θ[1], θ[2], θ[3])
            for i in points.indices {
                let centred = points[i].logU - m
                let s = logistic(k * centred)
                values[i] = d + a * s
                if let row = gradients.map({ $0 + i * p }) {
                    let slope = a * s * (1 - s)
                    row[0] = 1
                    row[1] = s
                    row[2] = -slope * k
                    row[3] = slope * centred
                }
            }
        case .exp3:
            let (c, a, rate) = (θ[0], θ[1], exp(θ[2]))
            for i in points.indices {
                let u = points[i].u
                let decay = exp(-rate * u)
                values[i] = c - a * decay
                if let row = gradients.map({ $0 + i * p }) {
                    row[0] = 1
                    row[1] = -decay
                    row[2] = a * decayTimes(rate * u, decay)
                }
            }
        case .exp4, .janoschek:
            // exp4: c − a·e^(−κu^δ); Janoschek: α − (α − β)·e^(−κu^δ), the same curve with
            // amplitude α − β.
            let isExp4 = self == .exp4
            let (c, rate, delta) = (θ[0], exp(θ[2]), θ[3])
            let amplitude = isExp4 ? θ[1] : θ[0] - θ[1]
            for i in points.indices {
                let logU = points[i].logU
                let exponent = rate * exp(delta * logU)
                let decay = exp(-exponent)
                values[i] = c - amplitude * decay
                if let row = gradients.map({ $0 + i * p }) {
                    let exponentTimesDecay = decayTimes(exponent, decay)
                    row[0] = isExp4 ? 1 : 1 - decay
                    row[1] = isExp4 ? -decay : decay
                    row[2] = amplitude * exponentTimesDecay
                    row[3] = amplitude * exponentTimesDecay * logU
                }
            }
        case .weibull:
            let (alpha, logKappa, delta) = (θ[0], θ[2], θ[3])
            let amplitude = θ[0] - θ[1]
            for i in points.indices {
                let logScaled = logKappa + points[i].logU
                let exponent = exp(delta * logScaled)
                let decay = exp(-exponent)
                values[i] = alpha - amplitude * decay
                if let row = gradients.map({ $0 + i * p }) {
                    let exponentTimesDecay = decayTimes(exponent, decay)
                    row[0] = 1 - decay
                    row[1] = decay
                    row[2] = amplitude * exponentTimesDecay * delta
                    row[3] = amplitude * exponentTimesDecay * logScaled
                }
            }
        case .mmf:
            let (alpha, logKappa, delta) = (θ[0], θ[2], θ[3])
            let amplitude = θ[0] - θ[1]
            for i in points.indices {
                let logScaled = logKappa + points[i].logU
                let h = logistic(-delta * logScaled)
                values[i] = alpha - amplitude * h
                if let row = gradients.map({ $0 + i * p }) {
                    // w·h² with w = (κu)^δ equals h·(1 − h), finite even when w overflows.
                    let slope = amplitude * h * (1 - h)
                    row[0] = 1 - h
                    row[1] = h
                    row[2] = slope * delta
                    row[3] = slope * logScaled
                }
            }
        case .ilog2:
            let (c, a) = (θ[0], θ[1])
            for i in points.indices {
                let inverse = 1 / log(points[i].t + 1)
                values[i] = c - a * inverse
                if let row = gradients.map({ $0 + i * p }) {
                    row[0] = 1
                    row[1] = -inverse
                }
            }
        case .vaporPressure:
            let (d, a, b, c) = (θ[0], θ[1], θ[2], θ[3])
            for i in points.indices {
                let point = points[i]
                let growth = exp(b / point.t + c * point.logT)
                values[i] = d + a * growth
                if let row = gradients.map({ $0 + i * p }) {
                    row[0] = 1
                    row[1] = growth
                    row[2] = a * growth / point.t
                    row[3] = a * growth * point.logT
                }
            }
        case .logLogLinear:
            let (c, a, offset) = (θ[0], θ[1], exp(θ[2]))
            for i in points.indices {
                let inner = points[i].logT + offset
                let outer = log(inner)
                values[i] = c + a * outer
                if let row = gradients.map({ $0 + i * p }) {
                    row[0] = 1
                    row[1] = outer
                    row[2] = a * offset / inner
                }
            }
        }
    }
}

/// 1 / (1 + e^(−z)), without overflow for large |z|.
func logistic(_ z: Double) -> Double {
    if z >= 0 { return 1 / (1 + exp(-z)) }
    let e = exp(z)
    return e / (1 + e)
}

/// x·e^(−x) given e^(−x): zero once e^(−x) underflows, where x·0 could be ∞·0.
private func decayTimes(_ exponent: Double, _ decay: Double) -> Double {
    decay == 0 ? 0 : exponent * decay
}
