import Foundation
@testable import SweepPrediction
import Testing

/// The loss-law model's analytic Jacobian against central finite differences, for the
/// layout with one exponent per term and the one with a shared exponent.
@Suite struct LossLawModelTests {
    @Test(arguments: [LossLawForm.joint, .equalExponents, .parameters, .compute])
    func jacobianMatchesFiniteDifferences(form: LossLawForm) throws {
        let observations = LadderSyntheticData.points(noise: 0.01, seed: 5)
        let problem = try LossLawFitter.Problem(observations, form: form)
        let layout = problem.layout
        let model = LossLawFitter.model(problem.points, layout: layout)
        var generator = TestGenerator(seed: 11)
        for _ in 0..<5 {
            // A point inside the bounds, away from them.
            let (lower, upper) = problem.bounds(exponents: 0...2.5)
            let parameters = zip(lower, upper).map { low, high in
                let middle = (low + high) / 2, half = (high - low) / 4
                return middle + half * generator.uniform() * 0.2 + (high - low > 10 ? -half : 0)
            }
            let count = problem.points.count, width = layout.width
            #expect(width == form.parameterCount)
            var residuals = [Double](repeating: 0, count: count)
            var jacobian = [Double](repeating: .nan, count: count * width)
            model(parameters, &residuals, &jacobian)
            for column in 0..<width {
                var plus = parameters, minus = parameters
                let step = 1e-6 * max(1, abs(parameters[column]))
                plus[column] += step
                minus[column] -= step
                var high = residuals, low = residuals, scratch = jacobian
                model(plus, &high, &scratch)
                model(minus, &low, &scratch)
                for point in 0..<count {
                    let numeric = (high[point] - low[point]) / (2 * step)
                    let analytic = jacobian[point * width + column]
                    #expect(abs(numeric - analytic) < 1e-5 * max(1, abs(numeric)), "\(form) column \(column) point \(point): \(analytic) against \(numeric)")
                }
            }
        }
    }
}

/// `LadderFitter.estimate`: the percentile interval of the resamples, holding the point itself.
@Suite struct LadderEstimateTests {
    @Test func thePercentileIntervalOfTheResamples() {
        let samples = (0...100).map { Double($0) / 100 }  // 0, 0.01, …, 1
        let estimate = LadderFitter.estimate(0.5, samples: samples, level: 0.9)
        #expect(estimate.value == 0.5)
        #expect(abs(estimate.lower! - 0.05) < 1e-12)
        #expect(abs(estimate.upper! - 0.95) < 1e-12)
    }

    @Test func anIntervalBesideThePointIsWidenedToHoldIt() {
        let samples = (0...100).map { 2 + Double($0) / 100 }  // every resample above the point
        let above = LadderFitter.estimate(1.9, samples: samples, level: 0.9)
        #expect(above.lower == 1.9)
        #expect(abs(above.upper! - 2.95) < 1e-12)
        let below = LadderFitter.estimate(3.5, samples: samples, level: 0.9)
        #expect(abs(below.lower! - 2.05) < 1e-12)
        #expect(below.upper == 3.5)
    }

    @Test func tooFewResamplesGiveNoInterval() {
        let estimate = LadderFitter.estimate(1, samples: [2], level: 0.9)
        #expect(estimate.lower == nil && estimate.upper == nil)
    }
}
