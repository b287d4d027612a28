/// A small damped least-squares minimiser (Levenberg–Marquardt) with box bounds and a
/// Huber loss handled by iteratively reweighted least squares.
///
/// Used by the ladder fits, which have 3–5 parameters and tens to a few hundred points, so
/// dense normal equations solved by Cholesky are both simple and fast enough.
struct LadderOptimizer: Sendable {
    /// Residuals and their Jacobian at a parameter vector.
    ///
    /// The closure writes `residuals[i]` (prediction − observation) and
    /// `jacobian[i * parameterCount + j]` (∂ residual i / ∂ parameter j).
    typealias Model = (_ parameters: [Double], _ residuals: inout [Double], _ jacobian: inout [Double]) -> Void

    /// The Huber threshold: residuals beyond it count linearly; `.infinity` is least squares.
    var huberDelta: Double
    /// Iterations per start before giving up on further improvement.
    var maxIterations = 200
    /// Stop when an accepted step improves the objective by less than this fraction.
    var relativeTolerance = 1e-12
    /// The initial damping, relative to the diagonal of the normal matrix.
    var initialDamping = 1e-3

    /// The outcome of one minimisation.
    struct Result: Sendable {
        var parameters: [Double]
        var objective: Double
        var iterations: Int
    }

    /// The Huber penalty of one residual: r²/2 inside the threshold, δ(|r| − δ/2) outside.
    static func huber(_ residual: Double, delta: Double) -> Double {
        let size = abs(residual)
        return size <= delta ? 0.5 * residual * residual : delta * (size - 0.5 * delta)
    }

    /// The total Huber penalty of residuals; infinity when any is not finite.
    func objective(_ residuals: [Double]) -> Double {
        var total = 0.0
        for residual in residuals {
            guard residual.isFinite else { return .infinity }
            total += Self.huber(residual, delta: huberDelta)
        }
        return total
    }

    /// Minimises the Huber penalty of the model's residuals from `start`, keeping every
    /// parameter inside `[lower[j], upper[j]]`.
    func minimize(start: [Double], lower: [Double], upper: [Double], pointCount: Int, model: Model) -> Result {
        let count = start.count
        var parameters = zip(start, zip(lower, upper)).map { min(max($0, $1.0), $1.1) }
        var residuals = [Double](repeating: 0, count: pointCount)
        var jacobian = [Double](repeating: 0, count: pointCount * count)
        model(parameters, &residuals, &jacobian)
        var current = objective(residuals)
        guard current.isFinite else { return Result(parameters: parameters, objective: .infinity, iterations: 0) }

        var damping = initialDamping
        var trialResiduals = residuals
        var trialJacobian = jacobian
        var iteration = 0
        while iteration < maxIterations {
            iteration += 1
            // Normal equations of the reweighted problem: Huber weights are ψ(r)/r.
            var normal = [Double](repeating: 0, count: count * count)
            var gradient = [Double](repeating: 0, count: count)
            for point in 0..<pointCount {
                let residual = residuals[point]
                let weight = abs(residual) <= huberDelta ? 1 : huberDelta / abs(residual)
                let row = point * count
                for j in 0..<count {
                    let wj = weight * jacobian[row + j]
                    gradient[j] += wj * residual
                    for k in j..<count { normal[j * count + k] += wj * jacobian[row + k] }
                }
            }
            for j in 0..<count { for k in 0..<j { normal[j * count + k] = normal[k * count + j] } }

            var improved = false
            while damping < 1e12 {
                var damped = normal
                for j in 0..<count {
                    damped[j * count + j] += damping * max(normal[j * count + j], 1e-12)
                }
                guard let step = SmallLinearAlgebra.choleskySolve(damped, gradient.map { -$0 }, dimension: count) else {
                    damping *= 10
                    continue
                }
                var trial = parameters
                for j in 0..<count { trial[j] = min(max(trial[j] + step[j], lower[j]), upper[j]) }
                model(trial, &trialResiduals, &trialJacobian)
                let value = objective(trialResiduals)
                if value < current {
                    let gain = current - value
                    parameters = trial
                    swap(&residuals, &trialResiduals)
                    swap(&jacobian, &trialJacobian)
                    let previous = current
                    current = value
                    damping = max(damping / 3, 1e-12)
                    improved = true
                    if gain <= relativeTolerance * max(previous, 1e-300) {
                        return Result(parameters: parameters, objective: current, iterations: iteration)
                    }
                    break
                }
                damping *= 4
            }
            if !improved { break }
        }
        return Result(parameters: parameters, objective: current, iterations: iteration)
    }
}
