/// Damped Gauss–Newton (Levenberg–Marquardt) minimisation of Σ ρ(rᵢ(θ)) under box bounds,
/// with a robust ρ handled by iteratively reweighted least squares: each iteration solves
/// (JᵀWJ + λ·diag(JᵀWJ)) δ = −JᵀWr with W the weights ρ′(r)/r at the current residuals, and a
/// step is kept only if it lowers the robust cost.
public struct LevenbergMarquardt: Sendable {
    /// Limits and tolerances.
    public struct Configuration: Sendable, Hashable {
        /// The most Jacobian evaluations (outer iterations).
        public var maximumIterations = 100
        /// Stop when a kept step moves every parameter by less than this, relative to
        /// max(1, |θⱼ|).
        public var parameterTolerance = 1e-9
        /// Stop when a kept step lowers the cost by less than this fraction.
        public var costTolerance = 1e-10
        /// Stop when every component of the weighted gradient JᵀWr is below this.
        public var gradientTolerance = 1e-14
        /// λ at the start, relative to diag(JᵀWJ).
        public var initialDamping = 1e-3
        /// Give up when λ must grow past this to find a step that lowers the cost.
        public var maximumDamping = 1e10
        /// The relative forward-difference step when the problem gives no Jacobian.
        public var finiteDifferenceStep = 1e-7

        /// The defaults.
        public init() {}
    }

    /// Limits and tolerances.
    public var configuration: Configuration
    /// The loss applied to each residual.
    public var loss: RobustLoss

    /// A solver with the given loss and limits.
    public init(loss: RobustLoss = .squared, configuration: Configuration = .init()) {
        self.loss = loss
        self.configuration = configuration
    }

    /// Minimises Σ ρ(rᵢ(θ)) from `start` (clamped into `bounds` first).
    public func minimize<Problem: LeastSquaresProblem>(
        _ problem: Problem,
        from start: [Double],
        bounds: ParameterBounds? = nil
    ) -> LeastSquaresSolution {
        let parameterCount = problem.parameterCount
        let residualCount = problem.residualCount
        precondition(start.count == parameterCount, "LevenbergMarquardt: start has \(start.count) parameters, the problem \(parameterCount)")
        let bounds = bounds ?? .unbounded(parameterCount)

        var parameters = (0..<parameterCount).map { bounds.clamp(start[$0], at: $0) }
        var residuals = [Double](repeating: 0, count: residualCount)
        var trialResiduals = residuals
        var trial = parameters
        var jacobian = [Double](repeating: 0, count: residualCount * parameterCount)
        var weights = [Double](repeating: 1, count: residualCount)
        var normal = [Double](repeating: 0, count: parameterCount * parameterCount)
        var gradient = [Double](repeating: 0, count: parameterCount)
        var damped = normal
        var step = gradient

        problem.residuals(at: parameters, into: &residuals)
        var cost = robustCost(residuals)
        var damping = configuration.initialDamping
        var iterations = 0
        var converged = false
        var jacobianIsCurrent = false

        while iterations < configuration.maximumIterations, cost.isFinite {
            iterations += 1
            evaluateJacobian(problem, at: parameters, residuals: residuals, bounds: bounds, into: &jacobian)
            jacobianIsCurrent = true
            for index in 0..<residualCount { weights[index] = loss.weight(residuals[index]) }
            accumulateNormalEquations(jacobian, residuals, weights, parameterCount, &normal, &gradient)
            if gradient.allSatisfy({ abs($0) <= configuration.gradientTolerance }) {
                converged = true
                break
            }

            var stepKept = false
            var smallStep = false
            var trialCost = cost
            while damping <= configuration.maximumDamping {
                for index in normal.indices { damped[index] = normal[index] }
                for j in 0..<parameterCount {
                    let diagonal = normal[j * parameterCount + j]
                    damped[j * parameterCount + j] = diagonal + damping * max(diagonal, 1e-12)
                    step[j] = -gradient[j]
                }
                guard SmallLinearAlgebra.choleskySolveInPlace(&damped, &step, dimension: parameterCount),
                      step.allSatisfy(\.isFinite) else {
                    damping *= 10
                    continue
                }
                smallStep = true
                for j in 0..<parameterCount {
                    trial[j] = bounds.clamp(parameters[j] + step[j], at: j)
                    if abs(trial[j] - parameters[j]) > configuration.parameterTolerance * max(1, abs(parameters[j])) {
                        smallStep = false
                    }
                }
                if smallStep { break }
                problem.residuals(at: trial, into: &trialResiduals)
                trialCost = robustCost(trialResiduals)
                if trialCost.isFinite, trialCost < cost {
                    stepKept = true
                    break
                }
                damping *= 4
            }
            if smallStep {
                converged = true
                break
            }
            guard stepKept else { break }
            let decrease = cost - trialCost
            swap(&parameters, &trial)
            swap(&residuals, &trialResiduals)
            cost = trialCost
            jacobianIsCurrent = false
            damping = max(damping / 3, 1e-12)
            if decrease <= configuration.costTolerance * cost {
                converged = true
                break
            }
        }

        if !jacobianIsCurrent, cost.isFinite {
            evaluateJacobian(problem, at: parameters, residuals: residuals, bounds: bounds, into: &jacobian)
        }
        for index in 0..<residualCount { weights[index] = loss.weight(residuals[index]) }
        accumulateNormalEquations(jacobian, residuals, weights, parameterCount, &normal, &gradient)
        return LeastSquaresSolution(
            parameters: parameters,
            residuals: residuals,
            weights: weights,
            cost: cost,
            normalMatrix: normal,
            activeBounds: (0..<parameterCount).map { bounds.isActive(parameters[$0], at: $0) },
            iterations: iterations,
            converged: converged
        )
    }

    private func robustCost(_ residuals: [Double]) -> Double {
        var total = 0.0
        for residual in residuals { total += loss.rho(residual) }
        return total.isNaN ? .infinity : total
    }

    private func evaluateJacobian<Problem: LeastSquaresProblem>(
        _ problem: Problem,
        at parameters: [Double],
        residuals: [Double],
        bounds: ParameterBounds,
        into jacobian: inout [Double]
    ) {
        if problem.jacobian(at: parameters, into: &jacobian) { return }
        let parameterCount = problem.parameterCount
        var shifted = parameters
        var shiftedResiduals = residuals
        for j in 0..<parameterCount {
            var step = configuration.finiteDifferenceStep * max(1, abs(parameters[j]))
            // Difference backwards at an upper bound so that the probe stays feasible.
            if parameters[j] + step > bounds.upper[j] { step = -step }
            shifted[j] = parameters[j] + step
            problem.residuals(at: shifted, into: &shiftedResiduals)
            for i in 0..<residuals.count {
                jacobian[i * parameterCount + j] = (shiftedResiduals[i] - residuals[i]) / step
            }
            shifted[j] = parameters[j]
        }
    }

    private func accumulateNormalEquations(
        _ jacobian: [Double],
        _ residuals: [Double],
        _ weights: [Double],
        _ parameterCount: Int,
        _ normal: inout [Double],
        _ gradient: inout [Double]
    ) {
        for index in normal.indices { normal[index] = 0 }
        for index in gradient.indices { gradient[index] = 0 }
        for i in 0..<residuals.count {
            let weight = weights[i]
            let row = i * parameterCount
            for j in 0..<parameterCount {
                let weighted = weight * jacobian[row + j]
                gradient[j] += weighted * residuals[i]
                for k in 0...j { normal[j * parameterCount + k] += weighted * jacobian[row + k] }
            }
        }
        for j in 0..<parameterCount {
            for k in 0..<j { normal[k * parameterCount + j] = normal[j * parameterCount + k] }
        }
    }
}
