import Foundation

/// The predictive distribution of a metric at one step: a weighted mixture of Gaussians, one
/// per ensemble member, so that disagreement between families widens it as much as each
/// family's own noise and parameter uncertainty do.
public struct Prediction: Sendable, Hashable, Codable {
    /// One Gaussian of the mixture.
    public struct Component: Sendable, Hashable, Codable {
        /// Its weight (the weights sum to 1).
        public var weight: Double
        /// Its mean, in metric units.
        public var mean: Double
        /// Its standard deviation, in metric units.
        public var standardDeviation: Double

        /// A component.
        public init(weight: Double, mean: Double, standardDeviation: Double) {
            self.weight = weight
            self.mean = mean
            self.standardDeviation = standardDeviation
        }
    }

    /// The step predicted.
    public var step: Double
    /// The mixture's components; empty when no member gives a finite value at `step`.
    public var components: [Component]

    /// A mixture; the weights are normalised to sum to 1.
    public init(step: Double, components: [Component]) {
        self.step = step
        let total = components.reduce(0) { $0 + $1.weight }
        self.components = total > 0 && total.isFinite
            ? components.map { Component(weight: $0.weight / total, mean: $0.mean, standardDeviation: $0.standardDeviation) }
            : []
    }

    /// Whether there is a distribution (at least one component); NaN answers otherwise.
    public var isEmpty: Bool { components.isEmpty }

    /// The expected value; NaN when empty.
    public var mean: Double {
        guard !components.isEmpty else { return .nan }
        return components.reduce(0) { $0 + $1.weight * $1.mean }
    }

    /// The standard deviation (within-member variance plus the spread of the members' means);
    /// NaN when empty.
    public var standardDeviation: Double {
        guard !components.isEmpty else { return .nan }
        let mean = self.mean
        let variance = components.reduce(0) { total, component in
            let offset = component.mean - mean
            return total + component.weight * (component.standardDeviation * component.standardDeviation + offset * offset)
        }
        return variance.squareRoot()
    }

    /// P(metric ≤ value).
    public func cumulativeProbability(_ value: Double) -> Double {
        guard !components.isEmpty else { return .nan }
        var total = 0.0
        for component in components {
            if component.standardDeviation > 0 {
                total += component.weight * NormalDistribution.cumulativeProbability((value - component.mean) / component.standardDeviation)
            } else if value >= component.mean {
                total += component.weight
            }
        }
        return min(max(total, 0), 1)
    }

    /// The value below which the metric falls with probability `probability` (in (0, 1)),
    /// found by bisection on the mixture's distribution function; NaN when empty.
    public func quantile(_ probability: Double) -> Double {
        guard !components.isEmpty, probability.isFinite else { return .nan }
        if components.count == 1 {
            let only = components[0]
            return only.mean + only.standardDeviation * NormalDistribution.quantile(probability)
        }
        guard probability > 0 else { return -.infinity }
        guard probability < 1 else { return .infinity }
        var low = Double.infinity, high = -Double.infinity
        for component in components {
            low = min(low, component.mean - 40 * component.standardDeviation)
            high = max(high, component.mean + 40 * component.standardDeviation)
        }
        for _ in 0..<200 {
            let middle = 0.5 * (low + high)
            if middle <= low || middle >= high { break }
            if cumulativeProbability(middle) < probability { low = middle } else { high = middle }
        }
        return 0.5 * (low + high)
    }

    /// The central interval holding the metric with probability `coverage` (e.g. 0.8 for
    /// the 10 % and 90 % quantiles).
    public func interval(coverage: Double) -> ClosedRange<Double> {
        let tail = (1 - coverage) / 2
        let low = quantile(tail), high = quantile(1 - tail)
        return low <= high ? low...high : high...low
    }

    /// The probability that the metric at `step` is strictly better than `threshold`
    /// (below it when minimising, above it when maximising); NaN when empty.
    public func probability(betterThan threshold: Double, direction: Direction) -> Double {
        let below = cumulativeProbability(threshold)
        return direction == .minimize ? below : 1 - below
    }
}
