import Foundation
import SweepPrediction
import Testing

@Suite struct LadderAccuracyTests {
    @Test func theSigmoidFallsWithLossBetweenItsPlateaus() {
        let link = LadderSyntheticData.link
        #expect(abs(link.accuracy(loss: 3.2) - (0.25 + 0.3)) < 1e-12)
        #expect(link.accuracy(loss: 2.5) > link.accuracy(loss: 3.0))
        #expect(abs(link.accuracy(loss: -50) - 0.85) < 1e-9)
        #expect(abs(link.accuracy(loss: 50) - 0.25) < 1e-9)
        let clamped = AccuracyLink(scale: 2, steepness: -3, midpoint: 3, offset: 0, range: 0...1)
        #expect(clamped.accuracy(loss: 0) == 1)
    }

    @Test func twoStepPredictionRecoversTheLinkAndCarriesIntervals() throws {
        var configuration = LadderFitConfiguration()
        configuration.bootstrapResamples = 100
        let points = LadderSyntheticData.points(noise: 0.003, accuracyNoise: 0.004, seed: 11)
        // A target inside the fitted loss range, where step 2 interpolates.
        let target = LadderTarget(parameters: 3e8, tokens: 3e9)
        let fit = try LadderFitter(configuration: configuration).fit(points, targets: [target])
        let link = try #require(fit.accuracyLink)
        #expect(abs(link.steepness - -3) < 0.6)
        #expect(abs(link.midpoint - 3.2) < 0.15)
        let report = try #require(fit.accuracyReport)
        #expect(report.rootMeanSquareError < 0.005)

        let trueLoss = LadderSyntheticData.truth.loss(parameters: target.parameters, tokens: target.tokens)!
        let trueAccuracy = LadderSyntheticData.link.accuracy(loss: trueLoss)
        let accuracy = try #require(fit.predictions[0].accuracy)
        #expect(abs(accuracy.value - trueAccuracy) < 0.01)
        let lower = try #require(accuracy.lower), upper = try #require(accuracy.upper)
        #expect(lower < accuracy.value && accuracy.value < upper)
        #expect(upper - lower < 0.05)
    }

    @Test func warnsWhenTheSigmoidIsExtrapolated() throws {
        var configuration = LadderFitConfiguration()
        configuration.bootstrapResamples = 0
        let fit = try LadderFitter(configuration: configuration).fit(LadderSyntheticData.points(noise: 0), targets: [LadderTarget(parameters: 7e9)])
        #expect(fit.predictions[0].warnings.contains { $0.contains("accuracy sigmoid") })
    }
}
