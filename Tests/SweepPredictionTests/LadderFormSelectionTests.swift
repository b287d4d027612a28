import Foundation
import SweepPrediction
import Testing

/// The `equal-exponents` form (E + A/N^α + B/D^α) and the automatic choice between it and
/// `joint` by predicting the ladder's largest model from its smaller ones.
@Suite struct LadderFormSelectionTests {
    /// A law whose two terms share their exponent, as Gadre et al. (2024) fit them.
    static let equalLaw = LossLaw(form: .equalExponents, irreducibleLoss: 1.8, terms: [
        PowerLawTerm(variable: .parameters, coefficient: 300, exponent: 0.3),
        PowerLawTerm(variable: .tokens, coefficient: 500, exponent: 0.3),
    ])

    private func fitter(_ forms: [LossLawForm]) -> LadderFitter {
        var configuration = LadderFitConfiguration()
        configuration.forms = forms
        configuration.bootstrapResamples = 0
        return LadderFitter(configuration: configuration)
    }

    @Test func recoversTheEqualExponentLaw() throws {
        let points = LadderSyntheticData.points(noise: 0, law: Self.equalLaw)
        let fit = try fitter([.equalExponents]).fit(points, targets: [LadderTarget(parameters: 7e9)])
        #expect(fit.form == .equalExponents)
        #expect(fit.formSelection == nil)
        let law = fit.lossLaw
        #expect(law.terms.count == 2 && law.terms[0].exponent == law.terms[1].exponent)
        #expect(abs(law.terms[0].exponent - 0.3) < 0.005)
        #expect(abs(law.irreducibleLoss - 1.8) < 0.02)
        #expect(abs(law.terms[1].coefficient / 500 - 1) < 0.05)
        #expect(fit.lossReport.maxAbsoluteRelativeError < 1e-4)
        let truth = Self.equalLaw.loss(parameters: 7e9, tokens: 1.4e11)!
        #expect(abs(fit.predictions[0].loss.value / truth - 1) < 1e-3)
        #expect(law.description.contains("/N^0.3") && law.description.contains("/D^0.3"))
    }

    @Test func theEqualExponentFormNeedsOnePointFewer() throws {
        // Five points, each of another size and tokens per parameter.
        let all = LadderSyntheticData.points(noise: 0, law: Self.equalLaw)
        let points = [0, 6, 12, 18, 24].map { all[$0] }
        #expect(Set(points.map(\.parameters)).count == 5)
        #expect { try fitter([.joint]).fitLossLaw(points) } throws: { ($0 as? LadderFitError)?.code == .tooFewPoints }
        let law = try fitter([.equalExponents]).fitLossLaw(points).law
        #expect(abs(law.terms[0].exponent - 0.3) < 0.02, "\(law)")
    }

    @Test func keepsTheJointLawWhenTheExponentsDiffer() throws {
        // Hoffmann et al.'s law has α = 0.34, β = 0.28: one exponent cannot fit it, so the
        // joint law predicts the largest size far better.
        let fit = try fitter(LadderFitConfiguration.automaticForms).fit(LadderSyntheticData.points(noise: 0), targets: [LadderTarget(parameters: 7e9)])
        let selection = try #require(fit.formSelection)
        #expect(selection.chosen == .joint && fit.form == .joint)
        #expect(selection.heldOutParameters == 4e8 && selection.heldOutPoints == 5)
        #expect(selection.candidates.map(\.form) == [.joint, .equalExponents])
        let joint = try #require(selection.candidates[0].heldOutError), equal = try #require(selection.candidates[1].heldOutError)
        #expect(joint < 1e-3 && equal > 3 * joint, "joint \(joint), equal \(equal)")
        #expect(selection.summary.hasPrefix("joint chosen: predicting the 400M model (5 points) from the smaller ones"), "\(selection.summary)")
    }

    @Test func choosesEqualExponentsWhenTheyPredictTheLargestSizeBetter() throws {
        // Noisy points of an equal-exponent law: the joint law's extra exponent fits the noise.
        let points = LadderSyntheticData.points(noise: 0.01, seed: 3, law: Self.equalLaw)
        let automatic = try fitter(LadderFitConfiguration.automaticForms).fit(points, targets: [LadderTarget(parameters: 7e9)])
        let selection = try #require(automatic.formSelection)
        let errors = selection.candidates.map { $0.heldOutError ?? .infinity }
        #expect(selection.chosen == (errors[1] < errors[0] ? .equalExponents : .joint))
        #expect(automatic.form == selection.chosen)
        #expect(selection.chosen == .equalExponents, "\(selection.summary)")
        let truth = Self.equalLaw.loss(parameters: 7e9, tokens: 1.4e11)!
        #expect(abs(automatic.predictions[0].loss.value / truth - 1) < 0.01)
        // The chosen form's fit is the same fit as asking for that form alone.
        let alone = try fitter([.equalExponents]).fit(points, targets: [LadderTarget(parameters: 7e9)])
        #expect(alone.predictions[0].loss.value == automatic.predictions[0].loss.value)
    }

    @Test func fallsBackToTheFirstFormWhenNoneCanBeScored() throws {
        // Two sizes: without the larger, one size is left and no law in N can be fitted.
        let points = LadderSyntheticData.points(noise: 0, law: Self.equalLaw).filter { $0.parameters <= 2e7 }
        let fit = try fitter([.joint, .equalExponents]).fit(points, targets: [])
        let selection = try #require(fit.formSelection)
        #expect(selection.chosen == .joint && fit.form == .joint)
        #expect(selection.candidates.allSatisfy { $0.heldOutError == nil && $0.note != nil })
        #expect(selection.summary.contains("no form could be scored"), "\(selection.summary)")
    }

    @Test func aReusedLossLawMustHaveWeighedTheSameForms() throws {
        let points = LadderSyntheticData.points(noise: 0.003)
        let onlyJoint = try fitter([.joint]).fitLossLaw(points)
        // Offered a law fitted for another choice of forms, the fitter refits.
        let fit = try fitter(LadderFitConfiguration.automaticForms).fit(points, targets: [], lossLaws: onlyJoint)
        #expect(fit.formSelection != nil)
    }

    @Test func theSelectionIsEncoded() throws {
        let fit = try fitter(LadderFitConfiguration.automaticForms).fit(LadderSyntheticData.points(noise: 0), targets: [])
        let data = try JSONEncoder().encode(fit)
        let decoded = try JSONDecoder().decode(LadderFit.self, from: data)
        #expect(decoded.formSelection == fit.formSelection)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["formSelection"] as? [String: Any])?["chosen"] as? String == "joint")
        #expect(LossLawForm(rawValue: "equal-exponents") == .equalExponents)
    }

    @Test func formsListsTheConfiguredFormFirst() {
        var configuration = LadderFitConfiguration(form: .compute)
        #expect(configuration.forms == [.compute])
        configuration.forms = [.equalExponents, .joint]
        #expect(configuration.form == .equalExponents && configuration.alternativeForms == [.joint])
        configuration.forms = []
        #expect(configuration.forms == [.equalExponents, .joint])
    }
}
