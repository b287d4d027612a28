import Foundation
import SweepPrediction
import Testing

@Suite struct PredictionTests {
    @Test func normalQuantileInvertsTheDistributionFunction() {
        for p in [1e-10, 0.001, 0.02, 0.1, 0.3, 0.5, 0.77, 0.975, 0.999, 1 - 1e-9] {
            let z = NormalDistribution.quantile(p)
            #expect(abs(NormalDistribution.cumulativeProbability(z) - p) < 1e-12 + 1e-9 * p)
        }
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959_963_984_540_054) < 1e-9)
        #expect(NormalDistribution.quantile(0) == -.infinity)
        #expect(NormalDistribution.quantile(1) == .infinity)
    }

    @Test func singleGaussianAnswersInClosedForm() {
        let prediction = Prediction(step: 10, components: [.init(weight: 3, mean: 2, standardDeviation: 0.5)])
        #expect(prediction.components[0].weight == 1)
        #expect(prediction.mean == 2)
        #expect(prediction.standardDeviation == 0.5)
        #expect(abs(prediction.quantile(0.1) - (2 - 0.5 * 1.281_551_565_5)) < 1e-8)
        #expect(abs(prediction.probability(betterThan: 2, direction: .minimize) - 0.5) < 1e-12)
        #expect(abs(prediction.probability(betterThan: 2.5, direction: .maximize) - (1 - 0.841_344_746)) < 1e-8)
    }

    @Test func mixtureMomentsAndQuantilesAgree() {
        let prediction = Prediction(step: 1, components: [
            .init(weight: 0.25, mean: 0, standardDeviation: 1),
            .init(weight: 0.75, mean: 4, standardDeviation: 0.5),
        ])
        #expect(abs(prediction.mean - 3) < 1e-12)
        // Var = Σw(σ² + μ²) − mean² = 0.25·1 + 0.75·(0.25 + 16) − 9.
        #expect(abs(prediction.standardDeviation - (0.25 + 0.75 * 16.25 - 9).squareRoot()) < 1e-12)
        var previous = -Double.infinity
        for p in stride(from: 0.01, through: 0.99, by: 0.02) {
            let q = prediction.quantile(p)
            #expect(q >= previous)
            #expect(abs(prediction.cumulativeProbability(q) - p) < 1e-9)
            previous = q
        }
        let interval = prediction.interval(coverage: 0.8)
        #expect(abs(interval.lowerBound - prediction.quantile(0.1)) < 1e-9)
        #expect(abs(interval.upperBound - prediction.quantile(0.9)) < 1e-9)
    }

    @Test func emptyPredictionAnswersNaN() {
        let prediction = Prediction(step: -1, components: [])
        #expect(prediction.isEmpty)
        #expect(prediction.mean.isNaN)
        #expect(prediction.standardDeviation.isNaN)
        #expect(prediction.quantile(0.5).isNaN)
        #expect(prediction.probability(betterThan: 0, direction: .maximize).isNaN)
    }

    @Test func zeroWidthComponentIsAPointMass() {
        let prediction = Prediction(step: 1, components: [.init(weight: 1, mean: 0.5, standardDeviation: 0)])
        #expect(prediction.probability(betterThan: 0.4, direction: .maximize) == 1)
        #expect(prediction.probability(betterThan: 0.6, direction: .maximize) == 0)
        #expect(prediction.quantile(0.9) == 0.5)
    }

    @Test func roundTripsThroughJSON() throws {
        let prediction = Prediction(step: 7, components: [
            .init(weight: 0.4, mean: 1, standardDeviation: 0.1),
            .init(weight: 0.6, mean: 1.2, standardDeviation: 0.2),
        ])
        let data = try JSONEncoder().encode(prediction)
        let decoded = try JSONDecoder().decode(Prediction.self, from: data)
        #expect(decoded == prediction)
    }
}
