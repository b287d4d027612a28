import Foundation

/// How well the final value of recorded curves is predicted from their beginnings: the
/// ensemble against the best single family (the member with the largest weight) and the
/// last observed value.
public struct PredictionAccuracy: Sendable {
    /// The results at one fraction of each curve.
    public struct Row: Sendable, Hashable, Codable {
        /// Fraction of each curve's points used (the first ⌈f·n⌉).
        public var fraction: Double
        /// Curves evaluated.
        public var curves: Int
        /// Curves the ensemble declined (not enough evidence); they count in the
        /// `…WithFallback` means with the last value as their prediction.
        public var insufficient: Int
        /// Mean absolute error of the final value over the curves the ensemble predicted.
        public var ensembleMAE: Double
        /// The same curves, predicted by the best single family.
        public var bestFamilyMAE: Double
        /// The same curves, predicted by their last observed value.
        public var lastValueMAE: Double
        /// Over every curve, the ensemble falling back to the last value where it declined.
        public var ensembleMAEWithFallback: Double
        /// Over every curve, the last value.
        public var lastValueMAEAll: Double
        /// Mean log predictive density of the true final value, ensemble (curves predicted).
        public var ensembleLogLikelihood: Double
        /// The same for the best single family.
        public var bestFamilyLogLikelihood: Double
        /// Fraction of predicted curves whose final value lies in the ensemble's 80% interval.
        public var coverage80: Double
        /// The calibrated forecast `predict` uses (EnsembleForecaster): curves it declined,
        /// and over the curves both predicted, its MAE, mean log density and 80% coverage.
        public var calibratedDeclined: Int
        public var calibratedMAE: Double
        public var calibratedLogLikelihood: Double
        public var calibratedCoverage80: Double
        /// The last value's MAE over the curves the calibrated forecast predicted.
        public var lastValueMAEOnCalibrated: Double
    }

    /// The predictor evaluated (the raw ensemble and its best single family).
    public var predictor: CurvePredictor
    /// The calibrated forecaster evaluated alongside, on its own fit of the same points
    /// (`predict`'s: its predictor keeps runaway members, on which it declines).
    public var forecaster: EnsembleForecaster

    /// Creates an evaluation.
    public init(predictor: CurvePredictor = CurvePredictor(), forecaster: EnsembleForecaster = EnsembleForecaster()) {
        self.predictor = predictor
        self.forecaster = forecaster
    }

    /// Evaluates every curve with at least 3 points at each fraction. Log densities are
    /// floored at log(1e-300) so that one confident miss cannot make the mean −∞.
    public func evaluate(_ curves: [ReplayCurve], fractions: [Double], direction: Direction) -> [Row] {
        // Whether the forecaster's predictor fits exactly as `predictor` does, but for its gate.
        let forecasterGate = forecaster.predictor.configuration.plausibleRanges
        var fitsAlike = predictor.configuration
        fitsAlike.plausibleRanges = forecasterGate
        let reuseFit = fitsAlike == forecaster.predictor.configuration
        return fractions.map { fraction in
            var count = 0, insufficient = 0, predicted = 0, covered = 0
            var ensemble = 0.0, best = 0.0, lastOnPredicted = 0.0, fallback = 0.0, lastAll = 0.0
            var ensembleLL = 0.0, bestLL = 0.0
            var calibratedDeclined = 0, calibratedCount = 0, calibratedCovered = 0
            var calibratedError = 0.0, calibratedLL = 0.0, lastOnCalibrated = 0.0
            for curve in curves where curve.steps.count >= 3 {
                guard let truth = curve.values.last, let horizon = curve.steps.last else { continue }
                let used = min(curve.steps.count - 1, max(1, Int((fraction * Double(curve.steps.count)).rounded(.up))))
                let points = (0..<used).map { CurvePoint(step: curve.steps[$0], value: curve.values[$0]) }
                let last = curve.values[used - 1]
                count += 1
                lastAll += abs(last - truth)
                guard case .fitted(let fit) = predictor.fit(points, direction: direction) else {
                    insufficient += 1
                    fallback += abs(last - truth)
                    continue
                }
                let prediction = fit.predict(at: horizon)
                let single = fit.bestMember.predict(at: horizon)
                guard prediction.mean.isFinite, single.mean.isFinite else {
                    insufficient += 1
                    fallback += abs(last - truth)
                    continue
                }
                predicted += 1
                ensemble += abs(prediction.mean - truth)
                fallback += abs(prediction.mean - truth)
                best += abs(single.mean - truth)
                lastOnPredicted += abs(last - truth)
                ensembleLL += Self.logDensity(of: truth, in: prediction)
                bestLL += Self.logDensity(of: truth, in: single)
                if prediction.interval(coverage: 0.8).contains(truth) { covered += 1 }
                // The forecaster's predictor differs from `predictor` only in the runaway gate
                // (the defaults): the same fit, predicted with the forecaster's gate, is what it
                // would compute, without fitting every family a second time.
                let calibrated: Result<(mean: Double, standardDeviation: Double), ForecastDeclined>
                if reuseFit {
                    var forecasterFit = fit
                    forecasterFit.plausibleRanges = forecasterGate
                    calibrated = forecaster.calibrated(forecasterFit.predict(at: horizon), observed: Array(curve.values[0..<used]))
                } else {
                    calibrated = forecaster.distribution(steps: Array(curve.steps[0..<used]), values: Array(curve.values[0..<used]), direction: direction, at: horizon)
                }
                switch calibrated {
                case .failure:
                    calibratedDeclined += 1
                case .success(let (mean, sd)):
                    calibratedCount += 1
                    calibratedError += abs(mean - truth)
                    lastOnCalibrated += abs(last - truth)
                    let z = (truth - mean) / max(sd, 1e-12)
                    calibratedLL += max(NormalDistribution.logDensity(z) - log(max(sd, 1e-12)), log(1e-300))
                    if abs(z) <= NormalDistribution.quantile(0.9) { calibratedCovered += 1 }
                }
            }
            let p = Double(max(predicted, 1)), n = Double(max(count, 1))
            return Row(
                fraction: fraction, curves: count, insufficient: insufficient,
                ensembleMAE: ensemble / p, bestFamilyMAE: best / p, lastValueMAE: lastOnPredicted / p,
                ensembleMAEWithFallback: fallback / n, lastValueMAEAll: lastAll / n,
                ensembleLogLikelihood: ensembleLL / p, bestFamilyLogLikelihood: bestLL / p,
                coverage80: Double(covered) / p,
                calibratedDeclined: calibratedDeclined,
                calibratedMAE: calibratedError / Double(max(calibratedCount, 1)),
                calibratedLogLikelihood: calibratedLL / Double(max(calibratedCount, 1)),
                calibratedCoverage80: Double(calibratedCovered) / Double(max(calibratedCount, 1)),
                lastValueMAEOnCalibrated: lastOnCalibrated / Double(max(calibratedCount, 1)))
        }
    }

    /// log of the mixture density at `value`.
    static func logDensity(of value: Double, in prediction: Prediction) -> Double {
        let total = prediction.components.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return log(1e-300) }
        var density = 0.0
        for component in prediction.components {
            let sd = max(component.standardDeviation, 1e-12)
            let z = (value - component.mean) / sd
            density += component.weight / total * exp(-0.5 * z * z) / (sd * (2 * Double.pi).squareRoot())
        }
        return log(max(density, 1e-300))
    }
}
