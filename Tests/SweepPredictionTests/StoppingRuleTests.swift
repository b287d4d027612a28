import SweepPrediction
import Testing

/// A sweep whose runs are given as value lists at steps 1, 2, 3, …
func sweepOf(_ direction: Direction, completed: [[Double]] = [], running: [[Double]] = [], stopped: [[Double]] = []) -> SweepCurves {
    var sweep = SweepCurves(direction: direction)
    var id: Int64 = 0
    for (values, state) in completed.map({ ($0, RunCurve.State.completed) }) + stopped.map({ ($0, .stopped) }) + running.map({ ($0, .running) }) {
        for (index, value) in values.enumerated() {
            sweep.record(run: id, step: Double(index + 1), value: value)
        }
        sweep.finish(run: id, as: state)
        id += 1
    }
    return sweep
}

@Suite struct SweepCurvesTests {
    @Test func keepsPointsOrderedAndIgnoresRepeatsAndNonFiniteValues() throws {
        var sweep = SweepCurves(direction: .minimize)
        var changed: [Bool] = []
        changed.append(sweep.record(run: 1, step: 1, value: 5))
        changed.append(sweep.record(run: 1, step: 3, value: 2))
        changed.append(sweep.record(run: 1, step: 2, value: 4))
        changed.append(sweep.record(run: 1, step: 2, value: 9))  // a repeated step is a retransmission
        changed.append(sweep.record(run: 1, step: 4, value: .nan))
        changed.append(sweep.record(run: 1, step: .infinity, value: 1))
        #expect(changed == [true, true, true, false, false, false])
        let run = try #require(sweep[1])
        #expect(run.steps == [1, 2, 3])
        #expect(run.values == [5, 4, 2])
        #expect(run.bests == [5, 4, 2])
        #expect(run.best(atOrBefore: 2.5) == 4)
        #expect(run.runningAverage(atOrBefore: 3) == 11.0 / 3)
        #expect(run.best(atOrBefore: 0.5) == nil)
        #expect(run.firstIndex(atOrAfter: 2.5) == 2)
    }

    @Test func incumbentIsTheBestFinalValueOfCompletedRuns() {
        var sweep = sweepOf(.maximize, completed: [[0.1, 0.5], [0.2, 0.7]], stopped: [[0.9]])
        #expect(sweep.incumbent == 0.7)
        #expect(sweep.incumbentRun == 1)
        sweep.finish(run: 1, as: .stopped)
        #expect(sweep[1]?.state == .completed, "a finished run stays finished")
        #expect(sweep.completedRuns == [0, 1])
    }
}

@Suite struct StoppingRuleTests {
    @Test func noneNeverDecides() {
        let sweep = sweepOf(.minimize, completed: [[1, 1]], running: [[9, 9, 9]])
        #expect(StoppingRule(kind: .none).evaluate(run: 1, in: sweep) == nil)
    }

    @Test func thresholdStopsWorseRunsAfterItsGracePeriod() throws {
        var rule = StoppingRule(kind: .threshold)
        rule.value = 0.5
        rule.minSteps = 3
        #expect(rule.evaluate(run: 0, in: sweepOf(.minimize, running: [[0.9, 0.8]])) == nil)
        let stop = try #require(rule.evaluate(run: 0, in: sweepOf(.minimize, running: [[0.9, 0.8, 0.7]])))
        #expect(stop.stops && stop.evidence.cutoff == 0.5 && stop.evidence.value == 0.7)
        #expect(rule.evaluate(run: 0, in: sweepOf(.maximize, running: [[0.9, 0.8, 0.7]]))?.stops == false)
    }

    @Test func medianComparesBestSoFarWithCompletedRunsRunningAverages() throws {
        var rule = StoppingRule(kind: .median)
        rule.minTrials = 3
        rule.minSteps = 2
        // Running averages at step 2: 1.5, 2.5, 3.5 → median 2.5.
        let completed: [[Double]] = [[2, 1, 0.5], [3, 2, 1], [4, 3, 2]]
        #expect(rule.evaluate(run: 3, in: sweepOf(.minimize, completed: completed, running: [[9]])) == nil, "grace period")
        let stop = try #require(rule.evaluate(run: 3, in: sweepOf(.minimize, completed: completed, running: [[9, 2.6]])))
        #expect(stop.stops && stop.evidence.cutoff == 2.5 && stop.evidence.compared == 3)
        let keep = try #require(rule.evaluate(run: 3, in: sweepOf(.minimize, completed: completed, running: [[9, 2.5]])))
        #expect(!keep.stops, "equal to the median is not strictly worse")
        #expect(rule.evaluate(run: 2, in: sweepOf(.minimize, completed: Array(completed.prefix(2)), running: [[9, 9]])) == nil,
                "fewer completed runs than min_trials")
    }

    @Test func ashaJudgesOncePerRungAgainstTheTopFraction() throws {
        var rule = StoppingRule(kind: .asha)
        rule.minSteps = 1
        rule.reductionFactor = 2
        rule.maxSteps = 8
        #expect(rule.ashaRungs == [1, 2, 4])
        // Others at rung 2 (best by their first step ≥ 2): 1, 2, 3.
        let others: [[Double]] = [[5, 1, 1], [5, 2, 2], [5, 3, 3]]
        let worse = try #require(rule.evaluate(run: 3, in: sweepOf(.minimize, running: others + [[5, 2.6]])))
        // Values 1, 2, 2.6, 3: the 0.5 quantile is 2.3.
        #expect(worse.stops && worse.evidence.rung == 2 && abs((worse.evidence.cutoff ?? 0) - 2.3) < 1e-12)
        #expect(rule.evaluate(run: 3, in: sweepOf(.minimize, running: others + [[5, 1.5]]))?.stops == false)
        #expect(rule.evaluate(run: 3, in: sweepOf(.minimize, running: others + [[5, 1.5, 9]])) == nil, "step 3 crosses no rung")
        #expect(rule.evaluate(run: 0, in: sweepOf(.minimize, running: [[7]]))?.stops == false, "alone at a rung, a run continues")
    }

    @Test func hyperbandFollowsWandBBands() throws {
        // W&B's own example: max_iter 5, eta 2, s 2 → bands [1, 2].
        var rule = StoppingRule(kind: .hyperband)
        rule.bands = [1, 2]
        rule.passFraction = 0.5
        let sweep = sweepOf(.minimize, completed: [[10, 9], [10, 6, 6]], running: [[10, 10], [10, 8, 8], [10, 7, 7]])
        // Band 2 values: 9, 6, 10, 8, 7 → sorted [6, 7, 8, 9, 10], threshold at int(0.5·5) = 2 → 8.
        let b = try #require(rule.evaluate(run: 2, in: sweep))
        #expect(b.stops && b.evidence.cutoff == 8 && b.evidence.rung == 2)
        #expect(rule.evaluate(run: 3, in: sweep)?.stops == false, "8 is not worse than 8")
        #expect(rule.evaluate(run: 4, in: sweep)?.stops == false)
        #expect(rule.evaluate(run: 0, in: sweep) == nil, "completed runs are not judged")

        rule.strict = true
        let strictSweep = sweepOf(.maximize, completed: [[1, 5], [1, 4]], running: [[1, 6, 2]])
        // Maximize: band 2 values 5, 4, 6; negated sorted [-6, -5, -4]; threshold index 1 → 5.
        let strict = try #require(rule.evaluate(run: 2, in: strictSweep))
        #expect(!strict.stops && strict.evidence.cutoff == 5 && strict.evidence.value == 6)
    }

    @Test func predictWaitsForCompletedRunsAndStopsOnLowProbability() throws {
        struct Fixed: CurveForecaster {
            let probability: Double
            func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome {
                .forecast(Forecast(mean: values.last ?? 0, lower: 0, upper: 1, probability: probability))
            }
        }
        var rule = StoppingRule(kind: .predict)
        rule.minCompleted = 2
        rule.minSteps = 2
        rule.minPoints = 3
        let six = [Double](repeating: 1, count: 6)
        let sweep = sweepOf(.minimize, completed: [six, six], running: [[3, 2, 1.5]])
        let stop = try #require(rule.evaluate(run: 2, in: sweep, forecaster: Fixed(probability: 0.01)))
        #expect(stop.stops && stop.evidence.horizon == 6 && stop.evidence.incumbent == 1 && stop.evidence.probability == 0.01)
        #expect(rule.evaluate(run: 2, in: sweep, forecaster: Fixed(probability: 0.2))?.stops == false)
        let early = sweepOf(.minimize, completed: [six], running: [[3, 2, 1.5]])
        #expect(rule.evaluate(run: 1, in: early, forecaster: Fixed(probability: 0)) == nil, "min_completed")
        #expect(rule.evaluate(run: 2, in: sweepOf(.minimize, completed: [six, six], running: [[3, 2]]), forecaster: Fixed(probability: 0)) == nil,
                "min_points")
        #expect(StoppingRule.predictsAt(pointCount: 20) && StoppingRule.predictsAt(pointCount: 44) && !StoppingRule.predictsAt(pointCount: 45))
    }

    /// Completed runs costing 1 per step to step 10 (10 in all); a cheap run that spent 0.5
    /// by step 5 (0.5 left: 5% of a completed run) and a dear one that spent 20 by step 5
    /// (20 left: twice a completed run), each with P = 0.02 of beating the incumbent.
    @Test func costAwarePredictScalesTheThresholdByTheComputeLeft() throws {
        struct Fixed: CurveForecaster {
            func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome {
                .forecast(Forecast(mean: 1, lower: 0, upper: 2, probability: 0.02))
            }
        }
        var sweep = SweepCurves(direction: .minimize)
        for run: Int64 in 0..<3 {
            for step in 1...10 { sweep.record(run: run, step: Double(step), value: 1, cost: Double(step)) }
            sweep.finish(run: run, as: .completed)
        }
        for step in 1...5 {
            sweep.record(run: 3, step: Double(step), value: 2, cost: 0.1 * Double(step))
            sweep.record(run: 4, step: Double(step), value: 2, cost: 4 * Double(step))
            sweep.record(run: 5, step: Double(step), value: 2)
        }
        var rule = StoppingRule(kind: .predict)
        rule.costAware = true
        // Completed runs: cost 5 at step 5, 10 at step 10: ratio (10 − 5)/5 = 1, typical 10.
        #expect(StoppingRule.relativeRemainingCost(of: try #require(sweep[3]), at: 5, horizon: 10, in: sweep) == 0.05)
        #expect(StoppingRule.relativeRemainingCost(of: try #require(sweep[4]), at: 5, horizon: 10, in: sweep) == 2)
        #expect(StoppingRule.relativeRemainingCost(of: try #require(sweep[5]), at: 5, horizon: 10, in: sweep) == nil, "no costs")

        let cheap = try #require(rule.evaluate(run: 3, in: sweep, forecaster: Fixed()))
        #expect(!cheap.stops && cheap.evidence.threshold == 0.05 * 0.05 && cheap.evidence.relativeRemainingCost == 0.05)
        let dear = try #require(rule.evaluate(run: 4, in: sweep, forecaster: Fixed()))
        #expect(dear.stops && dear.evidence.threshold == 0.1 && dear.reason.contains("remaining compute 2"))
        let unknown = try #require(rule.evaluate(run: 5, in: sweep, forecaster: Fixed()))
        #expect(unknown.stops && unknown.evidence.threshold == nil, "without costs the plain threshold (0.05) applies")
        // However dear, a run more likely than not to win is never stopped.
        rule.probabilityThreshold = 0.9
        #expect(try #require(rule.evaluate(run: 4, in: sweep, forecaster: Fixed())).evidence.threshold == StoppingRule.costAwareCeiling)
        rule.probabilityThreshold = 0.05
        rule.costAware = false
        let plain = try #require(rule.evaluate(run: 3, in: sweep, forecaster: Fixed()))
        #expect(plain.stops && plain.evidence.relativeRemainingCost == nil)
    }
}

@Suite struct ReplayTests {
    let curves = [
        ReplayCurve(id: "a", steps: [1, 2, 3], values: [3, 2, 1]),
        ReplayCurve(id: "b", steps: [1, 2, 3], values: [5, 5, 5]),
        ReplayCurve(id: "c", steps: [1, 2, 3], values: [2, 1, 0.5], costs: [1, 1, 4]),
    ]

    @Test func runningEverythingSavesNothingAndFindsTheTrueBest() {
        let outcome = ReplaySimulator(rule: StoppingRule(kind: .none), direction: .minimize, workers: 2).run(curves)
        #expect(outcome.computeUsed == 12 && outcome.computeFull == 12 && outcome.computeSaved == 0)
        #expect(outcome.regret == 0 && outcome.foundBest == 0.5 && outcome.trueBestCurve == "c")
        // Workers: a (0–3) then c (3–9); b (0–3). Makespan 9.
        #expect(outcome.makespan == 9 && outcome.makespanFull == 9)
        #expect(!outcome.trueBestStopped && outcome.stopped == 0 && outcome.decisions == 0)
    }

    @Test func aStopSavesTheRestOfTheCurveAndFreesTheWorker() {
        var rule = StoppingRule(kind: .threshold)
        rule.value = 4
        var decided: [(Int, Bool)] = []
        let outcome = ReplaySimulator(rule: rule, direction: .minimize, workers: 2, topK: 2).run(curves) { decided.append(($0, $1.stops)) }
        // b stops at its first report (5 > 4), costing 1 of its 3; c starts at t = 1 on b's worker.
        #expect(outcome.computeUsed == 10 && outcome.stopped == 1 && outcome.topKStopped == 0)
        #expect(outcome.makespan == 7)
        #expect(decided.map(\.0) == [0, 1, 0, 2, 2], "events in time order, ties by curve index")
        #expect(decided.map(\.1) == [false, true, false, false, false])
    }

    @Test func theReplayRecordsEachPointsAccumulatedCost() {
        var rule = StoppingRule(kind: .predict)
        rule.costAware = true
        rule.minCompleted = 1
        rule.minPoints = 2
        rule.minSteps = 1
        struct Never: CurveForecaster {
            func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome {
                .forecast(Forecast(mean: 0, lower: 0, upper: 0, probability: 1))
            }
        }
        let curves = [ReplayCurve(id: "a", steps: [1, 2, 3], values: [3, 2, 1], costs: [1, 1, 1]),
                      ReplayCurve(id: "b", steps: [1, 2, 3], values: [3, 2, 1], costs: [2, 2, 2])]
        var remaining: [Double] = []
        _ = ReplaySimulator(rule: rule, direction: .minimize, workers: 1, forecaster: Never()).run(curves) { _, decision in
            if let relative = decision.evidence.relativeRemainingCost { remaining.append(relative) }
        }
        // b at step 2 has spent 4; a had spent 2 by step 2 and 3 in all: 4 × (1/2) / 3.
        #expect(remaining == [4.0 * 0.5 / 3])
    }

    @Test func stoppingTheBestCountsAsRegret() {
        var rule = StoppingRule(kind: .threshold)
        rule.value = 1.5
        rule.minSteps = 1
        let outcome = ReplaySimulator(rule: rule, direction: .minimize, workers: 1, topK: 2).run(curves)
        // a: 3 > 1.5 stop; b: stop; c: 2 > 1.5 stop → nothing completes.
        #expect(outcome.foundBest == nil && outcome.regret == nil && outcome.trueBestStopped && outcome.topKStopped == 2)
    }
}
