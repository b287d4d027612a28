import Foundation

/// How well the population forecaster (`forecaster: population`) predicts the final value of
/// recorded curves from their beginnings, leave-one-out within each sweep: every other curve
/// of the sweep counts as a completed run, the curve's first ⌈f·n⌉ points as the running
/// one. Online only the runs completed so far are there, so this is the model's accuracy
/// with a full sweep behind it.
public struct PopulationAccuracy: Sendable {
    /// The results at one fraction of each curve.
    public struct Row: Sendable, Hashable, Codable {
        /// Fraction of each curve's points used (the first ⌈f·n⌉).
        public var fraction: Double
        /// Curves evaluated.
        public var curves: Int
        /// Curves with no forecast (fewer than 2 other curves reach past their last point).
        public var declined: Int
        /// Mean absolute error of the mixture's mean, over the curves forecast.
        public var mae: Double
        /// The last observed value's, over the same curves.
        public var lastValueMAE: Double
        /// Mean log density of the true final value under the mixture.
        public var logLikelihood: Double
        /// Fraction of forecast curves whose final value lies between the mixture's 10% and 90% quantiles.
        public var coverage80: Double
    }

    /// The forecaster evaluated.
    public var forecaster: PopulationForecaster

    /// Creates an evaluation.
    public init(forecaster: PopulationForecaster = PopulationForecaster()) {
        self.forecaster = forecaster
    }

    /// Evaluates every curve with at least 3 points of every sweep at each fraction. Log
    /// densities are floored at log(1e-300).
    public func evaluate(_ sweeps: [[ReplayCurve]], fractions: [Double], direction: Direction) -> [Row] {
        fractions.map { fraction in
            var count = 0, declined = 0, predicted = 0, covered = 0
            var error = 0.0, lastError = 0.0, logLikelihood = 0.0
            for curves in sweeps {
                var others = SweepCurves(direction: direction)
                for (index, curve) in curves.enumerated() {
                    for (step, value) in zip(curve.steps, curve.values) { others.record(run: Int64(index), step: step, value: value) }
                    others.finish(run: Int64(index), as: .completed)
                }
                for (index, curve) in curves.enumerated() where curve.steps.count >= 3 {
                    guard let truth = curve.values.last, let horizon = curve.steps.last else { continue }
                    count += 1
                    let used = min(curve.steps.count - 1, max(1, Int((fraction * Double(curve.steps.count)).rounded(.up))))
                    var sweep = others
                    sweep.restart(run: Int64(index))
                    for point in 0..<used { sweep.record(run: Int64(index), step: curve.steps[point], value: curve.values[point]) }
                    guard let run = sweep[Int64(index)], let prediction = forecaster.prediction(for: run, in: sweep, at: horizon) else {
                        declined += 1
                        continue
                    }
                    predicted += 1
                    error += abs(prediction.mean - truth)
                    lastError += abs(curve.values[used - 1] - truth)
                    logLikelihood += PredictionAccuracy.logDensity(of: truth, in: prediction)
                    let below = prediction.cumulativeProbability(truth)
                    if below >= 0.1, below <= 0.9 { covered += 1 }
                }
            }
            let p = Double(max(predicted, 1))
            return Row(fraction: fraction, curves: count, declined: declined, mae: error / p, lastValueMAE: lastError / p,
                       logLikelihood: logLikelihood / p, coverage80: Double(covered) / p)
        }
    }
}
