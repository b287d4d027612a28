import Foundation
import SweepPrediction
import Testing

@Suite struct LevenbergMarquardtTests {
    /// y = a·exp(−b·x) + c on exact data, from a poor start.
    private func exponentialProblem(truth: [Double], xs: [Double], analytic: Bool) -> ClosureLeastSquaresProblem {
        let ys = xs.map { truth[0] * exp(-truth[1] * $0) + truth[2] }
        return ClosureLeastSquaresProblem(
            parameterCount: 3,
            residualCount: xs.count,
            residuals: { θ, residuals in
                for (index, x) in xs.enumerated() { residuals[index] = θ[0] * exp(-θ[1] * x) + θ[2] - ys[index] }
            },
            jacobian: analytic ? { θ, jacobian in
                for (index, x) in xs.enumerated() {
                    let decay = exp(-θ[1] * x)
                    jacobian[index * 3] = decay
                    jacobian[index * 3 + 1] = -θ[0] * x * decay
                    jacobian[index * 3 + 2] = 1
                }
            } : nil
        )
    }

    @Test(arguments: [true, false])
    func recoversExactParameters(analyticJacobian: Bool) {
        let xs = (0..<30).map { Double($0) * 0.2 }
        let problem = exponentialProblem(truth: [2, 0.7, 0.5], xs: xs, analytic: analyticJacobian)
        let solution = LevenbergMarquardt().minimize(problem, from: [1, 0.1, 0])
        #expect(solution.converged)
        #expect(abs(solution.parameters[0] - 2) < 1e-6)
        #expect(abs(solution.parameters[1] - 0.7) < 1e-6)
        #expect(abs(solution.parameters[2] - 0.5) < 1e-6)
        #expect(solution.cost < 1e-12)
    }

    @Test func keepsParametersInsideTheirBounds() {
        let xs = (0..<30).map { Double($0) * 0.2 }
        let problem = exponentialProblem(truth: [2, 0.7, 0.5], xs: xs, analytic: true)
        let bounds = ParameterBounds(lower: [-10, 0, -10], upper: [10, 0.4, 10])
        let solution = LevenbergMarquardt().minimize(problem, from: [1, 0.1, 0], bounds: bounds)
        #expect(solution.parameters[1] <= 0.4)
        #expect(abs(solution.parameters[1] - 0.4) < 1e-9)
        #expect(solution.activeBounds == [false, true, false])
        #expect(solution.isFinite)
    }

    @Test(arguments: [RobustLoss.huber(threshold: 0.05), .cauchy(scale: 0.05)])
    func robustLossResistsOutliers(loss: RobustLoss) {
        // A line y = 1 + 2x with three wild points.
        let xs = (0..<40).map { Double($0) / 39 }
        var ys = xs.map { 1 + 2 * $0 }
        ys[5] += 5
        ys[20] -= 8
        ys[33] += 6
        let problem = ClosureLeastSquaresProblem(parameterCount: 2, residualCount: xs.count) { θ, residuals in
            for index in xs.indices { residuals[index] = θ[0] + θ[1] * xs[index] - ys[index] }
        }
        let robust = LevenbergMarquardt(loss: loss).minimize(problem, from: [0, 0])
        let plain = LevenbergMarquardt().minimize(problem, from: [0, 0])
        let robustError = abs(robust.parameters[0] - 1) + abs(robust.parameters[1] - 2)
        let plainError = abs(plain.parameters[0] - 1) + abs(plain.parameters[1] - 2)
        #expect(robustError < 0.05)
        #expect(plainError > 5 * robustError)
        #expect(robust.weights[20] < 0.1)
        #expect(robust.weights[10] > 0.99)
    }

    @Test func robustScaleIsTheGaussianConsistentMedianAbsoluteDeviation() {
        var random = SeededRandom(seed: 3)
        let residuals = (0..<20_000).map { _ in 0.5 * random.gaussian() }
        #expect(abs(RobustLoss.robustScale(of: residuals) - 0.5) < 0.02)
        #expect(RobustLoss.robustScale(of: []) == 0)
    }
}
