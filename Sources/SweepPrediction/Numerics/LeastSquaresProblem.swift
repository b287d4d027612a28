/// A nonlinear least-squares problem for ``LevenbergMarquardt``: residuals r(θ) of a
/// parameter vector θ and, where the problem can give them, their derivatives.
public protocol LeastSquaresProblem {
    /// The number of parameters, the length of θ.
    var parameterCount: Int { get }
    /// The number of residuals.
    var residualCount: Int { get }
    /// Writes rᵢ(θ) into `residuals` (already `residualCount` long).
    func residuals(at parameters: [Double], into residuals: inout [Double])
    /// Writes ∂rᵢ/∂θⱼ row-major (row i, column j) into `jacobian` (already
    /// `residualCount × parameterCount` long) and returns true; returns false to have the
    /// solver take forward differences instead.
    func jacobian(at parameters: [Double], into jacobian: inout [Double]) -> Bool
}

extension LeastSquaresProblem {
    /// No analytic Jacobian: the solver differentiates numerically.
    public func jacobian(at parameters: [Double], into jacobian: inout [Double]) -> Bool { false }
}

/// A ``LeastSquaresProblem`` made of closures, for one-off fits.
public struct ClosureLeastSquaresProblem: LeastSquaresProblem {
    /// The number of parameters.
    public var parameterCount: Int
    /// The number of residuals.
    public var residualCount: Int
    private let residualFunction: ([Double], inout [Double]) -> Void
    private let jacobianFunction: (([Double], inout [Double]) -> Void)?

    /// A problem from a residual function and, optionally, its row-major Jacobian.
    public init(
        parameterCount: Int,
        residualCount: Int,
        residuals: @escaping ([Double], inout [Double]) -> Void,
        jacobian: (([Double], inout [Double]) -> Void)? = nil
    ) {
        self.parameterCount = parameterCount
        self.residualCount = residualCount
        self.residualFunction = residuals
        self.jacobianFunction = jacobian
    }

    /// Calls the residual closure.
    public func residuals(at parameters: [Double], into residuals: inout [Double]) {
        residualFunction(parameters, &residuals)
    }

    /// Calls the Jacobian closure, if there is one.
    public func jacobian(at parameters: [Double], into jacobian: inout [Double]) -> Bool {
        guard let jacobianFunction else { return false }
        jacobianFunction(parameters, &jacobian)
        return true
    }
}

/// Box constraints on the parameters: the solver clamps every trial point into them
/// (a projected Levenberg–Marquardt step).
public struct ParameterBounds: Sendable, Hashable {
    /// Lower bounds, one per parameter (−infinity for none).
    public var lower: [Double]
    /// Upper bounds, one per parameter (+infinity for none).
    public var upper: [Double]

    /// Bounds from two arrays of equal length.
    public init(lower: [Double], upper: [Double]) {
        precondition(lower.count == upper.count, "ParameterBounds: \(lower.count) lower bounds but \(upper.count) upper bounds")
        self.lower = lower
        self.upper = upper
    }

    /// No bounds on `count` parameters.
    public static func unbounded(_ count: Int) -> ParameterBounds {
        ParameterBounds(
            lower: Array(repeating: -.infinity, count: count),
            upper: Array(repeating: .infinity, count: count)
        )
    }

    /// `value` clamped into the bounds of parameter `index`.
    public func clamp(_ value: Double, at index: Int) -> Double {
        min(max(value, lower[index]), upper[index])
    }

    /// Whether parameter `index` sits on one of its bounds (within `tolerance`, relative).
    public func isActive(_ value: Double, at index: Int, tolerance: Double = 1e-9) -> Bool {
        let scale = max(1, abs(value))
        return value - lower[index] <= tolerance * scale || upper[index] - value <= tolerance * scale
    }
}

/// The result of ``LevenbergMarquardt/minimize(_:from:bounds:)``.
public struct LeastSquaresSolution: Sendable {
    /// The parameters reached.
    public var parameters: [Double]
    /// The residuals at `parameters`.
    public var residuals: [Double]
    /// The robust weight ρ′(r)/r of each residual at `parameters` (all 1 for squared loss).
    public var weights: [Double]
    /// Σ ρ(rᵢ) at `parameters`.
    public var cost: Double
    /// JᵀWJ at `parameters`, row-major (parameterCount × parameterCount): the Gauss–Newton
    /// approximation of the loss's Hessian, whose inverse times σ² is the parameters'
    /// approximate covariance.
    public var normalMatrix: [Double]
    /// Which parameters ended on a bound (they are held fixed in any covariance).
    public var activeBounds: [Bool]
    /// Iterations taken (Jacobian evaluations).
    public var iterations: Int
    /// Whether a tolerance was met (rather than the iteration or damping limit).
    public var converged: Bool

    /// Whether parameters, residuals and cost are all finite.
    public var isFinite: Bool {
        cost.isFinite && parameters.allSatisfy(\.isFinite) && residuals.allSatisfy(\.isFinite)
    }
}
