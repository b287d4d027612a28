import Foundation

/// The loss applied to each residual by ``LevenbergMarquardt``: plain squares, or a robust
/// loss that grows only linearly (Huber) or logarithmically (Cauchy) past a threshold, so
/// that a few wild points (a diverged evaluation, a logging glitch) cannot drag the fit.
public enum RobustLoss: Sendable, Hashable {
    /// ρ(r) = r²/2.
    case squared
    /// ρ(r) = r²/2 for |r| ≤ threshold, threshold·|r| − threshold²/2 beyond (residual units).
    case huber(threshold: Double)
    /// ρ(r) = scale²/2 · log(1 + (r/scale)²) (residual units).
    case cauchy(scale: Double)

    /// The loss of one residual.
    public func rho(_ residual: Double) -> Double {
        switch self {
        case .squared:
            return 0.5 * residual * residual
        case .huber(let threshold):
            let size = abs(residual)
            return size <= threshold ? 0.5 * residual * residual : threshold * (size - 0.5 * threshold)
        case .cauchy(let scale):
            let ratio = residual / scale
            return 0.5 * scale * scale * log1p(ratio * ratio)
        }
    }

    /// The iteratively-reweighted-least-squares weight ρ′(r)/r, in (0, 1].
    public func weight(_ residual: Double) -> Double {
        switch self {
        case .squared:
            return 1
        case .huber(let threshold):
            let size = abs(residual)
            return size <= threshold ? 1 : threshold / size
        case .cauchy(let scale):
            let ratio = residual / scale
            return 1 / (1 + ratio * ratio)
        }
    }

    /// A robust estimate of the residual standard deviation: 1.4826 × the median absolute
    /// residual (consistent for Gaussian noise, unmoved by up to half the points being wild).
    public static func robustScale(of residuals: [Double]) -> Double {
        guard !residuals.isEmpty else { return 0 }
        var sizes = residuals.map { abs($0) }
        sizes.sort()
        let middle = sizes.count / 2
        let median = sizes.count % 2 == 1 ? sizes[middle] : 0.5 * (sizes[middle - 1] + sizes[middle])
        return 1.4826 * median
    }
}
