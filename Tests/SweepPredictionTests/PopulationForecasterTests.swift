import Foundation
import SweepPrediction
import Testing

@Suite struct PopulationForecasterTests {
    /// Completed runs: a fast learner 10, 8, …, 2 and a slow one 10, 9.5, …, 6 (steps 1–5),
    /// and a short one that ends at step 3 (it cannot say what comes after step 3).
    private func makeSweep(running values: [Double]) -> SweepCurves {
        var sweep = SweepCurves(direction: .minimize)
        let completed: [[Double]] = [[10, 8, 6, 4, 2], [10, 9.5, 9, 8.5, 8], [10, 9, 8]]
        for (run, curve) in completed.enumerated() {
            for (index, value) in curve.enumerated() { sweep.record(run: Int64(run), step: Double(index + 1), value: value) }
            sweep.finish(run: Int64(run), as: .completed)
        }
        for (index, value) in values.enumerated() { sweep.record(run: 9, step: Double(index + 1), value: value) }
        return sweep
    }

    /// The mixture of two proposals with weights 1 and e⁻², means `a` and `b`, spreads 1 and
    /// √2.5, summarized against `threshold` for minimizing.
    private func twoProposals(a: Double, b: Double, threshold: Double) -> (mean: Double, below: Double) {
        let wa = 1 / (1 + exp(-2.0)), wb = 1 - wa
        return (wa * a + wb * b,
                wa * NormalDistribution.cumulativeProbability(threshold - a) + wb * NormalDistribution.cumulativeProbability((threshold - b) / 2.5.squareRoot()))
    }

    @Test func aRunShapedLikeACompletedOneIsForecastFromIt() throws {
        // The run follows the fast learner 1 higher: it matches exactly (error 0) and proposes
        // 2 + 1 = 3. Against the slow one the differences are 1, −0.5, −2: shift −0.5, error
        // √1.5, proposal 8 − 0.5 = 7.5. The error scale is the median error, √1.5 / 2, so the
        // slow one weighs e⁻² of the fast one. The run's range is 4: spreads √(0 + 1²) = 1 and
        // √(1.5 + 1).
        let sweep = makeSweep(running: [11, 9, 7])
        let forecaster = PopulationForecaster(window: 3, spreadFloor: 0.25)
        let run = try #require(sweep[9])
        let proposals = try #require(forecaster.proposals(for: run, in: sweep, at: 5))
        #expect(proposals.count == 2, "the run that ended at step 3 proposes nothing")
        let fast = try #require(proposals.first { $0.mean == 3 })
        let slow = try #require(proposals.first { $0.mean != 3 })
        #expect(fast.weight == 1 && abs(slow.weight - exp(-2.0)) < 1e-12 && abs(slow.mean - 7.5) < 1e-12)
        #expect(fast.spread == 1 && abs(slow.spread - 2.5.squareRoot()) < 1e-12)
        guard case .forecast(let forecast) = forecaster.forecast(run: run, in: sweep, at: 5, against: 2) else {
            Issue.record("no forecast")
            return
        }
        let expected = twoProposals(a: 3, b: 7.5, threshold: 2)
        #expect(abs(forecast.probability - expected.below) < 1e-12 && abs(forecast.mean - expected.mean) < 1e-12)
        #expect(forecast.probability > 0.13 && forecast.probability < 0.15)
    }

    @Test func tooFewCompletedRunsGiveNoForecast() throws {
        var sweep = SweepCurves(direction: .minimize)
        for (index, value) in [10.0, 8, 6, 4, 2].enumerated() { sweep.record(run: 0, step: Double(index + 1), value: value) }
        sweep.finish(run: 0, as: .completed)
        for (index, value) in [11.0, 9, 7].enumerated() { sweep.record(run: 1, step: Double(index + 1), value: value) }
        let run = try #require(sweep[1])
        guard case .insufficient = PopulationForecaster().forecast(run: run, in: sweep, at: 5, against: 2) else {
            Issue.record("one completed run must not be enough")
            return
        }
        guard case .insufficient = PopulationForecaster().forecast(steps: [1, 2, 3], values: [11, 9, 7], direction: .minimize, at: 5, against: 2) else {
            Issue.record("without the sweep there is nothing to read from")
            return
        }
    }

    @Test func maximizingMirrorsMinimizing() throws {
        // The mirror image of the first test: runs 0, 2, …, 8 and 0, 0.5, …, 2; the run
        // follows the first 1 lower (proposal 7) and the second with error √1.5 (proposal 2.5).
        var sweep = SweepCurves(direction: .maximize)
        for (run, curve) in [[0.0, 2, 4, 6, 8], [0.0, 0.5, 1, 1.5, 2]].enumerated() {
            for (index, value) in curve.enumerated() { sweep.record(run: Int64(run), step: Double(index + 1), value: value) }
            sweep.finish(run: Int64(run), as: .completed)
        }
        for (index, value) in [-1.0, 1, 3].enumerated() { sweep.record(run: 9, step: Double(index + 1), value: value) }
        let run = try #require(sweep[9])
        guard case .forecast(let forecast) = PopulationForecaster(window: 3).forecast(run: run, in: sweep, at: 5, against: 8) else {
            Issue.record("no forecast")
            return
        }
        // P(final > 8) for means 7 and 2.5 is P(final < −8) for means −7 and −2.5.
        let mirrored = twoProposals(a: -7, b: -2.5, threshold: -8)
        #expect(abs(forecast.mean + mirrored.mean) < 1e-12 && abs(forecast.probability - mirrored.below) < 1e-12)
    }

    @Test func theMixtureAveragesAndFallsBack() throws {
        // Power-law curves of eight points; the running run has five, enough for the ensemble.
        func curve(_ floor: Double, points: Int) -> [Double] { (1...points).map { floor + 1 / Double($0).squareRoot() } }
        var sweep = SweepCurves(direction: .minimize)
        for (run, floor) in [0.1, 0.3, 0.5].enumerated() {
            for (index, value) in curve(floor, points: 8).enumerated() { sweep.record(run: Int64(run), step: Double(index + 1), value: value) }
            sweep.finish(run: Int64(run), as: .completed)
        }
        for (index, value) in curve(0.4, points: 5).enumerated() { sweep.record(run: 9, step: Double(index + 1), value: value) }
        let run = try #require(sweep[9])
        let mixed = MixedForecaster()
        guard case .forecast(let both) = mixed.forecast(run: run, in: sweep, at: 8, against: 0.45),
              case .forecast(let fitted) = mixed.ensemble.forecast(run: run, in: sweep, at: 8, against: 0.45),
              case .forecast(let read) = mixed.population.forecast(run: run, in: sweep, at: 8, against: 0.45) else {
            Issue.record("each side should forecast")
            return
        }
        #expect(abs(both.probability - (fitted.probability + read.probability) / 2) < 1e-12)
        #expect(abs(both.mean - (fitted.mean + read.mean) / 2) < 1e-12)
        // With one completed run the population side is silent and the ensemble decides alone.
        var lone = SweepCurves(direction: .minimize)
        for (index, value) in curve(0.1, points: 8).enumerated() { lone.record(run: 0, step: Double(index + 1), value: value) }
        lone.finish(run: 0, as: .completed)
        for (index, value) in curve(0.4, points: 5).enumerated() { lone.record(run: 9, step: Double(index + 1), value: value) }
        let loneRun = try #require(lone[9])
        guard case .forecast(let alone) = mixed.forecast(run: loneRun, in: lone, at: 8, against: 0.45),
              case .forecast(let ensembleAlone) = mixed.ensemble.forecast(run: loneRun, in: lone, at: 8, against: 0.45) else {
            Issue.record("the ensemble should decide alone")
            return
        }
        #expect(alone == ensembleAlone)
    }
}

@Suite struct PopulationAccuracyTests {
    @Test func curvesOfOneShapeAreForecastExactlyLeaveOneOut() throws {
        // Three shifts of one curve: each is forecast from the other two, which match exactly.
        let shape: [Double] = [10, 8, 6, 4, 2]
        let sweep = (0..<3).map { shift in
            ReplayCurve(id: "c\(shift)", steps: [1, 2, 3, 4, 5], values: shape.map { $0 + Double(shift) })
        }
        let rows = PopulationAccuracy(forecaster: PopulationForecaster(window: 3)).evaluate([sweep], fractions: [0.6], direction: .minimize)
        let row = try #require(rows.first)
        // ⌈0.6 · 5⌉ = 3 points: the last seen is 6 + shift, the final 2 + shift.
        #expect(row.curves == 3 && row.declined == 0)
        #expect(row.mae < 1e-12 && row.lastValueMAE == 4)
        #expect(row.coverage80 == 1)
    }

    @Test func aSweepOfTwoCurvesHasTooFewOthers() throws {
        let sweep = [ReplayCurve(id: "a", steps: [1, 2, 3], values: [3, 2, 1]), ReplayCurve(id: "b", steps: [1, 2, 3], values: [4, 3, 2])]
        let row = try #require(PopulationAccuracy().evaluate([sweep], fractions: [0.5], direction: .minimize).first)
        #expect(row.curves == 2 && row.declined == 2)
    }
}
