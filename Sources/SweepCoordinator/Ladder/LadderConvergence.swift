import Foundation
public import SweepPrediction

/// The adaptive ladder's test: have the targets' prediction intervals become narrow enough
/// that larger rungs would add little?
public struct LadderConvergence: Sendable, Hashable {
    /// The widest relative interval among all targets of all metrics.
    public var widestWidth: Double
    /// The metric and target it belongs to.
    public var widestMetric: String
    public var widestTarget: String
    /// The highest rung fitted; queued jobs of higher rungs are no longer needed.
    public var highestRung: Int

    /// (high − low) / |predicted|; nil without an interval or at a prediction of 0.
    public static func relativeWidth(_ estimate: LadderEstimate) -> Double? {
        guard let lower = estimate.lower, let upper = estimate.upper, estimate.value != 0, estimate.value.isFinite else { return nil }
        return (upper - lower) / abs(estimate.value)
    }

    /// Whether one metric's fit has every target of its ladder predicted with a relative
    /// interval width below `maxWidth`; false when the ladder has no targets, or some target
    /// could not be predicted.
    public static func isNarrow(_ dataset: LadderDataset, _ fit: LadderFit, maxWidth: Double) -> Bool {
        widest(dataset, fit).map { $0.width < maxWidth } ?? false
    }

    /// The widest relative interval of a fit and the target's label; nil when some target
    /// has no interval (or there are none).
    static func widest(_ dataset: LadderDataset, _ fit: LadderFit) -> (width: Double, target: String)? {
        let placed = dataset.targets.filter { $0.target != nil }
        guard !dataset.targets.isEmpty, placed.count == dataset.targets.count, fit.predictions.count == placed.count else { return nil }
        var widest: (width: Double, target: String)?
        for (target, prediction) in zip(placed, fit.predictions) {
            guard let width = relativeWidth(prediction.loss), width.isFinite else { return nil }
            if width >= widest?.width ?? -1 { widest = (width, target.label) }
        }
        return widest
    }

    /// The decision over every metric of a ladder: converged when each of `metrics` has a
    /// fit whose targets all have relative widths below `maxWidth`.
    public static func check(metrics: [String], fits: [(dataset: LadderDataset, fit: LadderFit)], maxWidth: Double) -> LadderConvergence? {
        guard !metrics.isEmpty else { return nil }
        var result: LadderConvergence?
        for metric in metrics {
            guard let entry = fits.first(where: { $0.dataset.metric == metric && $0.dataset.task == nil }),
                  let widest = widest(entry.dataset, entry.fit), widest.width < maxWidth else { return nil }
            let highest = entry.dataset.rungs.last ?? 0
            if result == nil || widest.width > result!.widestWidth {
                result = LadderConvergence(widestWidth: widest.width, widestMetric: metric, widestTarget: widest.target, highestRung: max(highest, result?.highestRung ?? 0))
            } else {
                result!.highestRung = max(result!.highestRung, highest)
            }
        }
        return result
    }

    /// The stop reason of the jobs this makes unnecessary.
    public func reason(maxWidth: Double, level: Double) -> String {
        "ladder converged: after rung \(highestRung), every target's \(Int((level * 100).rounded()))% interval is narrower than "
            + "\(Self.percent(maxWidth)) of its prediction (widest: \(widestMetric) at \(widestTarget), \(Self.percent(widestWidth)))"
    }

    static func percent(_ fraction: Double) -> String {
        String(format: "%.3g%%", 100 * fraction)
    }
}
