import SweepPrediction
import Testing

@Suite struct LadderInputErrorTests {
    private let fitter = LadderFitter()

    @Test func tooFewPointsSaysHowManyAreNeeded() {
        let points = Array(LadderSyntheticData.points(noise: 0).prefix(5))
        #expect {
            try fitter.fit(points, targets: [])
        } throws: { error in
            let error = error as? LadderFitError
            return error?.code == .tooFewPoints && error?.message.contains("at least 6 points, found 5") == true
        }
    }

    @Test func nonPositiveValuesNameThePoint() {
        var points = LadderSyntheticData.points(noise: 0)
        points[2].loss = 0
        #expect {
            try fitter.fit(points, targets: [])
        } throws: { error in
            let error = error as? LadderFitError
            return error?.code == .nonPositiveValue && error?.message.contains("point 3 has a loss of 0") == true
        }
        points = LadderSyntheticData.points(noise: 0)
        points[0].parameters = -1
        #expect(throws: LadderFitError.self) { try fitter.fit(points, targets: []) }
    }

    @Test func theJointFormNeedsTokensAndSeveralSizes() {
        var points = LadderSyntheticData.points(noise: 0)
        points[4].tokens = nil
        #expect {
            try fitter.fit(points, targets: [])
        } throws: { error in
            (error as? LadderFitError)?.code == .missingTokens
        }
        let oneSize = LadderSyntheticData.points(noise: 0).map { LadderObservation(parameters: 1e8, tokens: $0.tokens, loss: $0.loss) }
        #expect {
            try fitter.fit(oneSize, targets: [])
        } throws: { error in
            let error = error as? LadderFitError
            return error?.code == .tooFewDistinctValues && error?.message.contains("parameters") == true
        }
    }

    @Test func badTargetsAndSettingsAreRefused() {
        #expect(throws: LadderFitError.self) {
            try fitter.fit(LadderSyntheticData.points(noise: 0), targets: [LadderTarget(parameters: 0)])
        }
        var configuration = LadderFitConfiguration()
        configuration.intervalLevel = 1.5
        #expect(throws: LadderFitError.self) {
            try LadderFitter(configuration: configuration).fit(LadderSyntheticData.points(noise: 0), targets: [])
        }
    }
}
