/// `predict`'s forecaster: the weighted ensemble of learning-curve families (CurvePredictor),
/// made conservative for decisions.
///
/// On real curves (LCDB, scikit-learn; docs/early-stopping.md) the ensemble's own intervals
/// are far too narrow far from the data (an 80% interval held the final value of 20–65% of
/// curves), and a few extrapolations run away entirely. Two guards follow from that:
/// - a forecast whose mean lies more than `plausibleRanges` times the range of the observed
///   values beyond them is declined (not enough evidence), so a runaway fit never stops a run;
/// - the spread is widened by a discrepancy term: a Gaussian whose variance is the
///   mixture's plus (`discrepancy` × the change still predicted from the last value)², so the
///   further the forecast reaches, the less sure it is, and never less than `spreadFloor`
///   times the range of the observed values, or a tenth of the last value when that is
///   wider (a curve that was flat so far may still move).
public struct EnsembleForecaster: CurveForecaster {
    /// The predictor.
    public var predictor: CurvePredictor
    /// The fraction of the predicted change still to come taken as its standard deviation.
    public var discrepancy: Double
    /// How far outside the observed values, in observed ranges, a forecast may lie.
    public var plausibleRanges: Double
    /// The standard deviation is at least this fraction of the observed values' range.
    public var spreadFloor: Double

    /// The predictor for decisions: every member kept (no `plausibleRanges` gate), because a
    /// runaway member that pulls the mixture out of the plausible band is itself the warning
    /// on which the forecaster declines. Gating members instead, and deciding on the rest,
    /// measured a worse trade on LCDB (docs/early-stopping.md, "Members that run away").
    public static let decisionPredictor: CurvePredictor = {
        var configuration = CurvePredictor.Configuration()
        configuration.plausibleRanges = nil
        return CurvePredictor(configuration: configuration)
    }()

    /// A forecaster with the decision predictor.
    public init(predictor: CurvePredictor = EnsembleForecaster.decisionPredictor, discrepancy: Double = 0.5, plausibleRanges: Double = 1, spreadFloor: Double = 0.5) {
        self.predictor = predictor
        self.discrepancy = discrepancy
        self.plausibleRanges = plausibleRanges
        self.spreadFloor = spreadFloor
    }

    /// The calibrated predictive distribution at `step` (a Gaussian), or why there is none.
    public func distribution(steps: [Double], values: [Double], direction: Direction, at step: Double) -> Result<(mean: Double, standardDeviation: Double), ForecastDeclined> {
        let points = zip(steps, values).map { CurvePoint(step: $0, value: $1) }
        switch predictor.fit(points, direction: direction) {
        case .insufficientEvidence(let why):
            return .failure(ForecastDeclined(description: "\(why)"))
        case .fitted(let fit):
            return calibrated(fit.predict(at: step), observed: values)
        }
    }

    /// Applies the guards to a raw prediction given the observed values.
    public func calibrated(_ prediction: Prediction, observed values: [Double]) -> Result<(mean: Double, standardDeviation: Double), ForecastDeclined> {
        let mean = prediction.mean, spread = prediction.standardDeviation
        guard mean.isFinite, spread.isFinite, let last = values.last, let low = values.min(), let high = values.max() else {
            return .failure(ForecastDeclined(description: "the ensemble's prediction is not finite"))
        }
        let range = max(high - low, abs(last) * 0.1, 1e-12)
        guard mean >= low - plausibleRanges * range, mean <= high + plausibleRanges * range else {
            return .failure(ForecastDeclined(description: "the extrapolation (\(StoppingRule.format(mean))) leaves the observed values [\(StoppingRule.format(low)), \(StoppingRule.format(high))] by more than \(StoppingRule.format(plausibleRanges)) of their range"))
        }
        let change = discrepancy * abs(mean - last)
        return .success((mean, max((spread * spread + change * change).squareRoot(), spreadFloor * range)))
    }

    public func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome {
        switch distribution(steps: steps, values: values, direction: direction, at: step) {
        case .failure(let why):
            return .insufficient(why.description)
        case .success(let (mean, sd)):
            let z = sd > 0 ? (threshold - mean) / sd : (threshold - mean) * .infinity
            let below = sd > 0 ? NormalDistribution.cumulativeProbability(z) : (mean < threshold ? 1 : 0)
            let z90 = NormalDistribution.quantile(0.9)
            return .forecast(Forecast(
                mean: mean, lower: mean - z90 * sd, upper: mean + z90 * sd,
                probability: direction == .minimize ? below : 1 - below))
        }
    }
}

/// Why the forecaster gave no forecast.
public struct ForecastDeclined: Error, Sendable, CustomStringConvertible {
    /// For people.
    public var description: String
}
