import Foundation

/// An early-stopping policy with its settings: a pure function from a sweep's curves to a
/// decision about one run at its newest report. The coordinator calls it as metrics arrive
/// and `sweep replay` calls it in simulated time; the code is the same.
public struct StoppingRule: Sendable, Hashable, Codable {
    /// The policies.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Never stops; evaluates nothing.
        case none
        /// Google Vizier's median stopping rule.
        case median
        /// Asynchronous successive halving (the stopping form, as in Ray Tune).
        case asha
        /// W&B `early_terminate: hyperband`, with W&B's semantics.
        case hyperband
        /// Stops once the predicted final value is unlikely to beat the incumbent.
        case predict
        /// Stops a run whose value is worse than a fixed value.
        case threshold
    }

    /// Which policy.
    public var kind: Kind
    /// No decision before this step (median: the grace period; asha: the first rung;
    /// predict and threshold: the first step judged).
    public var minSteps: Double
    /// median: at least this many completed runs must have reached the step.
    public var minTrials: Int
    /// asha: reduction factor η; a run continues past a rung only in the best 1/η there.
    public var reductionFactor: Double
    /// asha: the steps of a full run; no rung at or beyond it.
    public var maxSteps: Double?
    /// hyperband: the bands, counted in reports of the metric (W&B counts history rows).
    public var bands: [Int]
    /// hyperband: judge the value at the band instead of the best so far (W&B `strict`).
    public var strict: Bool
    /// hyperband: the fraction of runs let through a band (W&B uses 1/eta).
    public var passFraction: Double
    /// predict: no stop before this many runs have completed.
    public var minCompleted: Int
    /// predict: stop when P(final better than the incumbent) is below this.
    public var probabilityThreshold: Double
    /// predict: the step whose value is predicted; else `maxSteps`; else the longest
    /// completed run's last step.
    public var horizon: Double?
    /// predict: no prediction from fewer points than this.
    public var minPoints: Int
    /// predict: scale the threshold by the run's expected remaining compute relative to a
    /// completed run's (`relativeRemainingCost(of:at:horizon:in:)`), so that a run with much
    /// compute still to spend is stopped on weaker evidence and one near its end on stronger.
    /// Needs costs; without them the plain threshold applies.
    public var costAware: Bool
    /// predict: which model forecasts a run's value at the horizon.
    public var forecaster: ForecasterKind
    /// threshold: the value a run must be no worse than after `minSteps`.
    public var value: Double?

    /// A policy with the documented defaults.
    public init(kind: Kind) {
        self.kind = kind
        self.minSteps = kind == .predict ? 5 : 1
        self.minTrials = 5
        self.reductionFactor = 3
        self.bands = []
        self.strict = false
        self.passFraction = 1.0 / 3.0
        self.minCompleted = 3
        self.probabilityThreshold = 0.05
        self.minPoints = 5
        self.costAware = false
        self.forecaster = .ensemble
    }

    /// The highest threshold cost awareness can raise `predict`'s to: a run more likely than
    /// not to beat the incumbent is never stopped, however much compute it has left.
    public static let costAwareCeiling = 0.5

    /// Decides about `run` at its newest report; nil when the policy does not judge this
    /// report (before the grace period, between rungs, policy `none`). `forecaster` is used
    /// by `predict` only.
    public func evaluate(run id: Int64, in sweep: SweepCurves, forecaster: (any CurveForecaster)? = nil) -> StopDecision? {
        guard let run = sweep[id], run.state == .running, let step = run.lastStep, let latest = run.lastValue else { return nil }
        switch kind {
        case .none:
            return nil
        case .threshold:
            guard step >= minSteps, let limit = value else { return nil }
            var evidence = DecisionEvidence()
            evidence.value = latest
            evidence.cutoff = limit
            let worse = sweep.direction.isBetter(limit, than: latest)
            return decision(worse, step: step, evidence: evidence,
                            reason: worse ? "\(Self.format(latest)) is worse than the threshold \(Self.format(limit)) at step \(Self.format(step))"
                                          : "\(Self.format(latest)) is no worse than the threshold \(Self.format(limit))")
        case .median:
            return median(run, step: step, in: sweep)
        case .asha:
            return asha(run, step: step, in: sweep)
        case .hyperband:
            return hyperband(run, step: step, in: sweep)
        case .predict:
            return predict(run, step: step, in: sweep, forecaster: forecaster)
        }
    }

    private func decision(_ stop: Bool, step: Double, evidence: DecisionEvidence, reason: String) -> StopDecision {
        StopDecision(policy: kind.rawValue, verdict: stop ? .stop : .continue, step: step, reason: reason, evidence: evidence)
    }

    /// Vizier: stop if the run's best value by step s is strictly worse than the median of the
    /// running averages, up to s, of the completed runs that reached s.
    private func median(_ run: RunCurve, step: Double, in sweep: SweepCurves) -> StopDecision? {
        guard step >= minSteps, let best = run.bests.last else { return nil }
        var averages: [Double] = []
        for other in sweep.completedRuns where other != run.id {
            guard let curve = sweep[other], let last = curve.lastStep, last >= step,
                  let average = curve.runningAverage(atOrBefore: step) else { continue }
            averages.append(average)
        }
        guard averages.count >= minTrials else { return nil }
        let cutoff = Self.quantile(averages.sorted(), 0.5)
        var evidence = DecisionEvidence()
        evidence.value = best
        evidence.cutoff = cutoff
        evidence.compared = averages.count
        let worse = sweep.direction.isBetter(cutoff, than: best)
        return decision(worse, step: step, evidence: evidence, reason: worse
            ? "best \(Self.format(best)) by step \(Self.format(step)) is worse than the median \(Self.format(cutoff)) of \(averages.count) completed runs' running averages"
            : "best \(Self.format(best)) by step \(Self.format(step)) is no worse than the median \(Self.format(cutoff)) of \(averages.count) completed runs")
    }

    /// The asha rungs: minSteps·η^k below maxSteps.
    public var ashaRungs: [Double] {
        var rungs: [Double] = []
        var rung = max(minSteps, .leastNonzeroMagnitude)
        while rungs.count < 64, maxSteps.map({ rung < $0 }) ?? true {
            rungs.append(rung)
            rung *= reductionFactor
        }
        return rungs
    }

    /// Stopping ASHA: when the run's newest report crosses a rung, it continues only if its
    /// best value so far is within the best 1/η of the values every run had there (itself included).
    private func asha(_ run: RunCurve, step: Double, in sweep: SweepCurves) -> StopDecision? {
        let previous = run.count >= 2 ? run.steps[run.count - 2] : -Double.infinity
        guard let rung = ashaRungs.last(where: { $0 <= step && $0 > previous }), let value = run.bests.last else { return nil }
        var recorded: [Double] = [value]
        for (other, curve) in sweep.runs where other != run.id {
            guard let last = curve.lastStep, last >= rung else { continue }
            recorded.append(curve.bests[curve.firstIndex(atOrAfter: rung)])
        }
        recorded.sort()
        let cutoff = Self.quantile(recorded, sweep.direction == .minimize ? 1 / reductionFactor : 1 - 1 / reductionFactor)
        var evidence = DecisionEvidence()
        evidence.value = value
        evidence.cutoff = cutoff
        evidence.rung = rung
        evidence.compared = recorded.count - 1
        let worse = sweep.direction.isBetter(cutoff, than: value)
        return decision(worse, step: step, evidence: evidence, reason: worse
            ? "best \(Self.format(value)) at rung \(Self.format(rung)) is outside the best 1/\(Self.format(reductionFactor)) of \(recorded.count) runs (cut-off \(Self.format(cutoff)))"
            : "best \(Self.format(value)) at rung \(Self.format(rung)) is within the best 1/\(Self.format(reductionFactor)) of \(recorded.count) runs (cut-off \(Self.format(cutoff)))")
    }

    /// W&B hyperband: bands count reports. The threshold of band b is the value at position
    /// int(r·n) of the sorted values every run (any state) had at its b-th report; a running run
    /// past band b stops if its best so far (strict: its b-th value) is worse than the
    /// threshold of the highest band it has passed.
    private func hyperband(_ run: RunCurve, step: Double, in sweep: SweepCurves) -> StopDecision? {
        let reports = run.count
        guard let band = bands.last(where: { $0 <= reports }), band >= 1 else { return nil }
        let sign: Double = sweep.direction == .minimize ? 1 : -1
        var bandValues: [Double] = []
        for curve in sweep.runs.values where curve.count >= band {
            bandValues.append(sign * curve.values[band - 1])
        }
        bandValues.sort()
        let threshold = bandValues[min(bandValues.count - 1, Int(passFraction * Double(bandValues.count)))]
        let condition = sign * (strict ? run.values[band - 1] : (run.bests.last ?? run.values[band - 1]))
        var evidence = DecisionEvidence()
        evidence.value = sign * condition
        evidence.cutoff = sign * threshold
        evidence.rung = Double(band)
        evidence.compared = bandValues.count - 1
        let worse = condition > threshold
        let what = strict ? "value at report \(band)" : "best"
        return decision(worse, step: step, evidence: evidence, reason: worse
            ? "\(what) \(Self.format(sign * condition)) is worse than band \(band)'s threshold \(Self.format(sign * threshold)) (\(bandValues.count) runs)"
            : "\(what) \(Self.format(sign * condition)) passes band \(band)'s threshold \(Self.format(sign * threshold)) (\(bandValues.count) runs)")
    }

    /// Whether `predict` fits the curve at its n-th point: every point up to 20, then about
    /// every 5% more points (a deterministic schedule, the same online and offline).
    public static func predictsAt(pointCount n: Int) -> Bool {
        n <= 20 || n % max(1, n / 20) == 0
    }

    /// The step `predict` forecasts for.
    public func predictionHorizon(in sweep: SweepCurves) -> Double? {
        if let horizon { return horizon }
        if let maxSteps { return maxSteps }
        return sweep.completedRuns.compactMap { sweep[$0]?.lastStep }.max()
    }

    private func predict(_ run: RunCurve, step: Double, in sweep: SweepCurves, forecaster: (any CurveForecaster)?) -> StopDecision? {
        guard step >= minSteps, run.count >= minPoints, Self.predictsAt(pointCount: run.count),
              sweep.completedRuns.count >= minCompleted, let incumbent = sweep.incumbent,
              let horizon = predictionHorizon(in: sweep), horizon > step, let forecaster else { return nil }
        var evidence = DecisionEvidence()
        evidence.incumbent = incumbent
        evidence.completed = sweep.completedRuns.count
        evidence.horizon = horizon
        evidence.points = run.count
        var threshold = probabilityThreshold
        if costAware, let relative = Self.relativeRemainingCost(of: run, at: step, horizon: horizon, in: sweep) {
            evidence.relativeRemainingCost = relative
            threshold = min(probabilityThreshold * relative, Self.costAwareCeiling)
            evidence.threshold = threshold
        }
        switch forecaster.forecast(run: run, in: sweep, at: horizon, against: incumbent) {
        case .insufficient(let why):
            evidence.insufficient = why
            return decision(false, step: step, evidence: evidence, reason: "no prediction: \(why)")
        case .forecast(let forecast):
            evidence.predictedMean = forecast.mean
            evidence.lower = forecast.lower
            evidence.upper = forecast.upper
            evidence.probability = forecast.probability
            let stop = forecast.probability < threshold
            let summary = "P(final at step \(Self.format(horizon)) better than \(Self.format(incumbent))) = \(Self.format(forecast.probability)); predicted \(Self.format(forecast.mean)) [\(Self.format(forecast.lower)), \(Self.format(forecast.upper))]"
            return decision(stop, step: step, evidence: evidence,
                            reason: stop ? "\(summary) < \(Self.format(threshold))\(Self.costNote(evidence, threshold: probabilityThreshold))" : summary)
        }
    }

    /// How a cost-aware threshold came about, for the reason; empty without cost awareness.
    private static func costNote(_ evidence: DecisionEvidence, threshold: Double) -> String {
        guard let relative = evidence.relativeRemainingCost else { return "" }
        return " (\(format(threshold)) × remaining compute \(format(relative)) of a completed run's)"
    }

    /// The compute a run still needs to reach `horizon`, as a fraction of what a completed run
    /// used in all: the run's cost so far times the median ratio (cost after `step`, up to the
    /// horizon) / (cost up to `step`) over the completed runs that reported beyond `step`,
    /// divided by the median of their costs up to the horizon (a completed run's last point
    /// counts as its end: a program whose `max_steps` is 40 may report steps 0…39). Nil
    /// without costs (a run or no completed run that recorded them).
    public static func relativeRemainingCost(of run: RunCurve, at step: Double, horizon: Double, in sweep: SweepCurves) -> Double? {
        guard let spent = run.costs.last, spent > 0 else { return nil }
        var ratios: [Double] = [], totals: [Double] = []
        for id in sweep.completedRuns where id != run.id {
            guard let curve = sweep[id], let atStep = curve.lastIndex(atOrBefore: step),
                  let atHorizon = curve.lastIndex(atOrBefore: horizon), atHorizon > atStep else { continue }
            let before = curve.costs[atStep], total = curve.costs[atHorizon]
            guard before > 0, total >= before else { continue }
            ratios.append((total - before) / before)
            totals.append(total)
        }
        guard !ratios.isEmpty else { return nil }
        let typical = quantile(totals.sorted(), 0.5)
        guard typical > 0 else { return nil }
        return spent * quantile(ratios.sorted(), 0.5) / typical
    }

    /// The p-quantile of sorted values, linearly interpolated (numpy's default).
    public static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let position = min(max(p, 0), 1) * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }

    static func format(_ x: Double) -> String {
        String(format: "%.4g", x)
    }
}

/// The models `predict` can forecast with (`early_stop.forecaster`).
public enum ForecasterKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The ensemble of curve families fitted to the run's own points (EnsembleForecaster).
    case ensemble
    /// The sweep's completed runs, shifted to the run's latest points (PopulationForecaster).
    case population
    /// Both, with equal weight (MixedForecaster).
    case mixed

    /// The forecaster, with `ensemble` as its parametric side.
    public func forecaster(ensemble: EnsembleForecaster = EnsembleForecaster(), population: PopulationForecaster = PopulationForecaster()) -> any CurveForecaster {
        switch self {
        case .ensemble: ensemble
        case .population: population
        case .mixed: MixedForecaster(ensemble: ensemble, population: population)
        }
    }
}

/// What `predict` asks of a learning-curve model: the predictive distribution of a run's
/// value at a future step, summarized against a threshold.
public protocol CurveForecaster: Sendable {
    /// Forecasts the value at `step` from the points so far; `threshold` is the value the
    /// run must beat (the incumbent).
    func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome
    /// Forecasts a run of a sweep, which may read the sweep's other runs; by default the run's
    /// own points only.
    func forecast(run: RunCurve, in sweep: SweepCurves, at step: Double, against threshold: Double) -> ForecastOutcome
}

extension CurveForecaster {
    public func forecast(run: RunCurve, in sweep: SweepCurves, at step: Double, against threshold: Double) -> ForecastOutcome {
        forecast(steps: run.steps, values: run.values, direction: sweep.direction, at: step, against: threshold)
    }
}

/// A forecast, or why there is none.
public enum ForecastOutcome: Sendable {
    /// The predictive distribution at the requested step.
    case forecast(Forecast)
    /// Not enough evidence to predict (too few points, no family fitted).
    case insufficient(String)
}

/// A predictive distribution summarized for a decision.
public struct Forecast: Sendable, Hashable, Codable {
    /// Predicted mean.
    public var mean: Double
    /// 10% quantile.
    public var lower: Double
    /// 90% quantile.
    public var upper: Double
    /// P(value better than the threshold asked about).
    public var probability: Double

    /// Creates a forecast.
    public init(mean: Double, lower: Double, upper: Double, probability: Double) {
        self.mean = mean
        self.lower = lower
        self.upper = upper
        self.probability = probability
    }
}
