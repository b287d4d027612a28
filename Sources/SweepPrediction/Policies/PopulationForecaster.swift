import Foundation

/// A forecaster that reads a run's future off the sweep's completed runs (learning-curve
/// extrapolation from earlier runs of the same sweep, after Chandrashekaran and Lane, 2017):
/// each completed run, shifted to match the run's latest points, proposes the run's value at
/// the horizon; the proposals are weighted by how well each matched and mixed.
///
/// For a run whose latest `window` points are at steps s₁…s_w, and a completed run c with
/// values c(sᵢ) (its last value at or before each step): the shift b = mean(run − c) over the
/// window, the proposal c(horizon) + b (c's last value at or before the horizon), the match
/// error e = the root mean square of the differences left. Weights are exp(−½(e/e₀)²) with e₀
/// the median error (a floor of 10⁻³ of the run's observed range); each proposal is a Gaussian
/// whose spread is √(e² + (`spreadFloor` × range)²), the range being the run's observed range or
/// a tenth of its last value when wider. Completed runs that had no point at or before the
/// window's first step, or none after the run's latest step, propose nothing.
public struct PopulationForecaster: CurveForecaster {
    /// Latest points of the run matched against each completed run.
    public var window: Int
    /// Each proposal's least spread, as a fraction of the run's observed range.
    public var spreadFloor: Double
    /// Fewest completed runs that must propose before there is a forecast.
    public var minimumProposals: Int

    /// A forecaster with the settings measured in docs/early-stopping.md.
    public init(window: Int = 4, spreadFloor: Double = 0.25, minimumProposals: Int = 2) {
        self.window = max(1, window)
        self.spreadFloor = spreadFloor
        self.minimumProposals = max(1, minimumProposals)
    }

    /// Without the sweep there is nothing to read from.
    public func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome {
        .insufficient("the population forecaster needs the sweep's completed runs")
    }

    public func forecast(run: RunCurve, in sweep: SweepCurves, at horizon: Double, against threshold: Double) -> ForecastOutcome {
        guard let prediction = prediction(for: run, in: sweep, at: horizon) else {
            return .insufficient("fewer than \(minimumProposals) completed runs reach past step \(StoppingRule.format(run.lastStep ?? 0)) with points where it has them")
        }
        // Mean and P(better) of the mixture; the 10% and 90% quantiles of a Gaussian with its variance.
        let mean = prediction.mean, spread = NormalDistribution.quantile(0.9) * prediction.standardDeviation
        return .forecast(Forecast(mean: mean, lower: mean - spread, upper: mean + spread,
                                  probability: prediction.probability(betterThan: threshold, direction: sweep.direction)))
    }

    /// The proposals for `run` at `horizon` as one predictive distribution (their mixture),
    /// or nil when too few runs propose.
    public func prediction(for run: RunCurve, in sweep: SweepCurves, at horizon: Double) -> Prediction? {
        guard let proposals = proposals(for: run, in: sweep, at: horizon) else { return nil }
        let prediction = Prediction(step: horizon, components: proposals.map {
            Prediction.Component(weight: $0.weight, mean: $0.mean, standardDeviation: $0.spread)
        })
        return prediction.isEmpty ? nil : prediction
    }

    /// The weighted Gaussian proposals for `run` at `horizon`, or nil when too few runs propose.
    public func proposals(for run: RunCurve, in sweep: SweepCurves, at horizon: Double) -> [(weight: Double, mean: Double, spread: Double)]? {
        guard let latestStep = run.lastStep, let last = run.lastValue, let low = run.values.min(), let high = run.values.max() else { return nil }
        let start = max(0, run.count - window)
        let range = max(high - low, abs(last) * 0.1, 1e-12)
        var raw: [(mean: Double, error: Double)] = []
        for id in sweep.completedRuns where id != run.id {
            guard let other = sweep[id], let end = other.lastIndex(atOrBefore: horizon), other.steps[end] > latestStep else { continue }
            var differences: [Double] = []
            differences.reserveCapacity(run.count - start)
            for index in start..<run.count {
                guard let matched = other.lastIndex(atOrBefore: run.steps[index]) else { break }
                differences.append(run.values[index] - other.values[matched])
            }
            guard differences.count == run.count - start else { continue }
            let shift = differences.reduce(0, +) / Double(differences.count)
            let error = (differences.reduce(0) { $0 + ($1 - shift) * ($1 - shift) } / Double(differences.count)).squareRoot()
            raw.append((other.values[end] + shift, error))
        }
        guard raw.count >= minimumProposals else { return nil }
        let errors = raw.map(\.error).sorted()
        let scale = max(StoppingRule.quantile(errors, 0.5), 1e-3 * range)
        let floor = spreadFloor * range
        return raw.map { proposal in
            let z = proposal.error / scale
            return (exp(-0.5 * z * z), proposal.mean, max((proposal.error * proposal.error + floor * floor).squareRoot(), 1e-12))
        }
    }
}

/// The ensemble of curve families and the population of completed runs, each given half the
/// weight: P(better) is the mean of the two, and when one has no forecast the other decides.
public struct MixedForecaster: CurveForecaster {
    /// The parametric side.
    public var ensemble: EnsembleForecaster
    /// The side that reads completed runs.
    public var population: PopulationForecaster

    /// Creates the mixture.
    public init(ensemble: EnsembleForecaster = EnsembleForecaster(), population: PopulationForecaster = PopulationForecaster()) {
        self.ensemble = ensemble
        self.population = population
    }

    public func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome {
        ensemble.forecast(steps: steps, values: values, direction: direction, at: step, against: threshold)
    }

    public func forecast(run: RunCurve, in sweep: SweepCurves, at horizon: Double, against threshold: Double) -> ForecastOutcome {
        let parametric = ensemble.forecast(run: run, in: sweep, at: horizon, against: threshold)
        let read = population.forecast(run: run, in: sweep, at: horizon, against: threshold)
        switch (parametric, read) {
        case (.forecast(let a), .forecast(let b)):
            return .forecast(Forecast(mean: (a.mean + b.mean) / 2, lower: min(a.lower, b.lower), upper: max(a.upper, b.upper),
                                      probability: (a.probability + b.probability) / 2))
        case (.forecast, .insufficient): return parametric
        case (.insufficient, .forecast): return read
        case (.insufficient(let why), .insufficient): return .insufficient(why)
        }
    }
}
