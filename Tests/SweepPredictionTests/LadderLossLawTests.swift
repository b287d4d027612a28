import Foundation
import SweepPrediction
import Testing

@Suite struct LadderLossLawTests {
    private func fitter(_ form: LossLawForm = .joint, resamples: Int = 0) -> LadderFitter {
        var configuration = LadderFitConfiguration(form: form)
        configuration.bootstrapResamples = resamples
        return LadderFitter(configuration: configuration)
    }

    @Test func recoversTheJointLawWithoutNoise() throws {
        let fit = try fitter().fit(LadderSyntheticData.points(noise: 0), targets: [])
        let law = fit.lossLaw
        #expect(abs(law.irreducibleLoss - 1.69) < 0.01)
        #expect(abs(law.terms[0].exponent - 0.34) < 0.005)
        #expect(abs(law.terms[1].exponent - 0.28) < 0.005)
        #expect(abs(law.terms[0].coefficient / 406.4 - 1) < 0.05)
        #expect(abs(law.terms[1].coefficient / 410.7 - 1) < 0.05)
        #expect(fit.lossReport.maxAbsoluteRelativeError < 1e-4)
        #expect(fit.lossReport.rSquaredLog > 0.9999)
    }

    @Test func recoversTheJointLawFromNoisyPoints() throws {
        let fit = try fitter().fit(LadderSyntheticData.points(noise: 0.003), targets: [LadderTarget(parameters: 7e9)])
        let law = fit.lossLaw
        #expect(abs(law.irreducibleLoss - 1.69) < 0.15)
        #expect(abs(law.terms[0].exponent - 0.34) < 0.05)
        #expect(abs(law.terms[1].exponent - 0.28) < 0.05)
        let truth = LadderSyntheticData.truth.loss(parameters: 7e9, tokens: 1.4e11)!
        #expect(abs(fit.predictions[0].loss.value / truth - 1) < 0.02)
    }

    @Test func fitsTheSingleVariableForms() throws {
        let sizeLaw = LossLaw(form: .parameters, irreducibleLoss: 2.0, terms: [PowerLawTerm(variable: .parameters, coefficient: 50, exponent: 0.25)])
        let sizePoints = LadderSyntheticData.sizes.map { LadderObservation(parameters: $0, loss: sizeLaw.loss(parameters: $0, tokens: nil)!) }
        let sizeFit = try fitter(.parameters).fit(sizePoints, targets: [])
        #expect(abs(sizeFit.lossLaw.irreducibleLoss - 2.0) < 0.01)
        #expect(abs(sizeFit.lossLaw.terms[0].exponent - 0.25) < 0.005)

        let tokenLaw = LossLaw(form: .tokens, irreducibleLoss: 1.5, terms: [PowerLawTerm(variable: .tokens, coefficient: 300, exponent: 0.3)])
        let tokenPoints = [1e8, 3e8, 1e9, 3e9, 1e10, 3e10].map { LadderObservation(parameters: 1e8, tokens: $0, loss: tokenLaw.loss(parameters: 1, tokens: $0)!) }
        let tokenFit = try fitter(.tokens).fit(tokenPoints, targets: [])
        #expect(abs(tokenFit.lossLaw.terms[0].exponent - 0.3) < 0.005)

        let computeLaw = LossLaw(form: .compute, irreducibleLoss: 1.8, terms: [PowerLawTerm(variable: .compute, coefficient: 2000, exponent: 0.15)])
        let computePoints = LadderSyntheticData.points(noise: 0, law: computeLaw)
        let computeFit = try fitter(.compute).fit(computePoints, targets: [])
        #expect(abs(computeFit.lossLaw.terms[0].exponent - 0.15) < 0.005)
        #expect(abs(computeFit.lossLaw.irreducibleLoss - 1.8) < 0.02)
    }

    @Test func bootstrapIntervalCoversTheTruth() throws {
        let target = LadderTarget(parameters: 1e9)
        let fit = try fitter(resamples: 200).fit(LadderSyntheticData.points(noise: 0.005, seed: 7), targets: [target])
        let truth = LadderSyntheticData.truth.loss(parameters: target.parameters, tokens: target.tokens)!
        let loss = fit.predictions[0].loss
        let lower = try #require(loss.lower), upper = try #require(loss.upper)
        #expect(lower <= truth && truth <= upper)
        #expect(lower < loss.value && loss.value < upper)
        #expect(upper - lower < 0.1 * truth)
        #expect(fit.successfulResamples == 200)
    }

    @Test func theSameSeedGivesTheSameIntervals() throws {
        let points = LadderSyntheticData.points(noise: 0.005, seed: 3)
        let targets = [LadderTarget(parameters: 2e9)]
        let first = try fitter(resamples: 40).fit(points, targets: targets)
        let second = try fitter(resamples: 40).fit(points, targets: targets)
        #expect(first.predictions == second.predictions)
    }

    @Test func warnsWhenATargetIsFarOutside() throws {
        let fit = try fitter().fit(LadderSyntheticData.points(noise: 0), targets: [LadderTarget(parameters: 3e8, tokens: 3e9), LadderTarget(parameters: 2e10)])
        #expect(fit.predictions[0].warnings.isEmpty)
        let far = fit.predictions[1].warnings
        #expect(far.contains { $0.contains("50×") && $0.contains("largest fitted model") })
        #expect(far.contains { $0.contains("compute of the largest fitted run") })
    }

    @Test func reportsTheComputeFractionOfTheLadder() throws {
        let points = LadderSyntheticData.points(noise: 0)
        let target = LadderTarget(parameters: 7e9, tokens: 1.4e11)
        let fit = try fitter().fit(points, targets: [target])
        let ladder = points.map { 6 * $0.parameters * $0.tokens! }.reduce(0, +)
        #expect(abs(fit.predictions[0].computeFraction! - ladder / target.compute) < 1e-12)
        // Checkpoints of one run count once, at their largest D.
        let checkpoints = [1e9, 2e9, 4e9].map { LadderObservation(parameters: 1e8, tokens: $0, loss: 3, run: "r") }
        #expect(LadderCompute.ladderFlops(checkpoints) == 6 * 1e8 * 4e9)
    }

    @Test func targetTokensDefaultToTwentyPerParameter() {
        #expect(LadderTarget(parameters: 1e9).tokens == 2e10)
        #expect(LadderTarget(parameters: 1e9, tokens: 3e11).tokens == 3e11)
    }

    @Test func encodesAsJSONAndBack() throws {
        let fit = try fitter(resamples: 10).fit(LadderSyntheticData.points(noise: 0.002), targets: [LadderTarget(parameters: 1e9)])
        let data = try JSONEncoder().encode(fit)
        let decoded = try JSONDecoder().decode(LadderFit.self, from: data)
        #expect(decoded.lossLaw == fit.lossLaw)
        #expect(decoded.predictions == fit.predictions)
        #expect(decoded.bootstrapLaws.isEmpty)
        #expect(fit.lossFormula.hasPrefix("L = 1.6"))
    }
}
