import Foundation

/// Starting points from the data by variable projection: every family is
/// y = c₀ + c₁·g(u; φ) with a few nonlinear parameters φ, so for each φ on a coarse grid the
/// best offset and scale (c₀, c₁) come in closed form by linear least squares; the grid
/// points with the smallest squared error seed the Levenberg–Marquardt runs.
extension CurveFamily {
    /// Up to `count` starting parameter vectors, best first, for the observations (points
    /// sorted by step, y).
    func startingPoints(_ points: [StepCoordinates], y: [Double], count: Int) -> [[Double]] {
        let firstU = points.first?.u ?? 1
        var scored: [(error: Double, parameters: [Double])] = []
        var basis = [Double](repeating: 0, count: points.count)
        // exp4's basis is Janoschek's (exp4 only bounds the sign of the scale).
        let basisFamily = self == .exp4 ? CurveFamily.janoschek : self
        for nonlinear in nonlinearGrid(firstU: firstU) {
            points.withUnsafeBufferPointer { points in
                basisFamily.evaluate(points, parameters: basisFamily.assemble(0, 1, nonlinear), values: &basis, gradients: nil)
            }
            guard let (c0, c1, error) = linearFit(basis: basis, y: y) else { continue }
            scored.append((error, assemble(c0, c1, nonlinear)))
        }
        if scored.isEmpty {
            let mean = y.reduce(0, +) / Double(max(y.count, 1))
            scored.append((0, assemble(mean, 0, nonlinearGrid(firstU: firstU).first ?? [])))
        }
        scored.sort { $0.error < $1.error }
        return scored.prefix(count).map(\.parameters)
    }

    /// The family's parameters from c₀, c₁ and φ.
    private func assemble(_ c0: Double, _ c1: Double, _ φ: [Double]) -> [Double] {
        switch self {
        case .constant: return [c0]
        case .pow3, .pow4, .exp3: return [c0, -c1] + φ
        case .exp4: return [c0, max(0, -c1)] + φ
        case .logPower, .vaporPressure, .logLogLinear: return [c0, c1] + φ
        case .janoschek, .weibull, .mmf: return [c0, c0 + c1] + φ
        case .ilog2: return [c0, -c1]
        }
    }

    /// Least squares for (c₀, c₁) of y = c₀ + c₁·basis, with its sum of squared errors; nil
    /// when the basis is non-finite or constant over the data (c₁ would be undetermined).
    private func linearFit(basis: [Double], y: [Double]) -> (Double, Double, Double)? {
        let n = Double(y.count)
        if self == .constant {
            let mean = y.reduce(0, +) / n
            return (mean, 0, y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) })
        }
        var sumG = 0.0, sumY = 0.0, sumGG = 0.0, sumGY = 0.0, sumYY = 0.0
        for index in y.indices {
            let g = basis[index]
            let value = y[index]
            sumG += g
            sumY += value
            sumGG += g * g
            sumGY += g * value
            sumYY += value * value
        }
        let varianceG = sumGG - sumG * sumG / n
        guard varianceG.isFinite, varianceG > 1e-12 * max(1, sumGG) else { return nil }
        let covariance = sumGY - sumG * sumY / n
        let varianceY = sumYY - sumY * sumY / n
        var c1 = covariance / varianceG
        var error = max(0, varianceY - c1 * covariance)
        // exp4 only improves: a negative fitted scale falls back to a flat start.
        if self == .exp4, c1 > 0 {
            c1 = 0
            error = varianceY
        }
        let c0 = (sumY - c1 * sumG) / n
        guard c0.isFinite, c1.isFinite, error.isFinite else { return nil }
        return (c0, c1, error)
    }

    /// The grid of nonlinear parameters φ, scaled to the first observed u so that rates
    /// reach curves that saturate within their first steps.
    private func nonlinearGrid(firstU: Double) -> [[Double]] {
        let fastestRate = log(max(20, 3 / firstU))
        let rates = evenlySpaced(from: log(0.2), to: fastestRate, count: 5)
        let stretches = [0.3, 0.6, 1, 1.6]
        switch self {
        case .constant, .ilog2:
            return [[]]
        case .pow3:
            return [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3].map { [$0] }
        case .pow4:
            return product([0, firstU, 4 * firstU, 0.1, 0.5], [0.15, 0.4, 0.8, 1.5])
        case .logPower:
            return product(evenlySpaced(from: log(firstU), to: 0.5, count: 5), [0.5, 1, 2, 4])
        case .exp3:
            return evenlySpaced(from: log(0.2), to: fastestRate, count: 10).map { [$0] }
        case .exp4, .janoschek, .weibull:
            return product(rates, stretches)
        case .mmf:
            return product(rates, [0.5, 1, 2, 3])
        case .vaporPressure:
            return product([-20, -5, -1.5, -0.3, 0.5], [-1, -0.3, 0, 0.3])
        case .logLogLinear:
            return [0.05, 0.2, 0.5, 1, 2, 5, 20].map { [log($0)] }
        }
    }
}

private func evenlySpaced(from low: Double, to high: Double, count: Int) -> [Double] {
    (0..<count).map { low + (high - low) * Double($0) / Double(count - 1) }
}

private func product(_ first: [Double], _ second: [Double]) -> [[Double]] {
    first.flatMap { a in second.map { b in [a, b] } }
}
