/// Counts of durations in fixed buckets, with their sum: Prometheus's histogram, kept by
/// one owner (an actor) and rendered by `PrometheusText.histogram`.
public struct DurationHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets, in seconds, ascending; `+Inf` is implied.
    public let bounds: [Double]
    /// Observations at most each bound (not cumulative; the last entry counts those above
    /// every bound).
    public private(set) var counts: [Int]
    /// Sum of the observations, in seconds.
    public private(set) var sum: Double = 0
    /// Number of observations.
    public private(set) var count = 0

    /// Database round trips: 0.5 ms to 10 s.
    public static let databaseBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init(bounds: [Double] = DurationHistogram.databaseBounds) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    /// Adds one observation.
    public mutating func observe(_ duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        observe(seconds: seconds)
    }

    /// Adds one observation, in seconds.
    public mutating func observe(seconds: Double) {
        var index = 0
        while index < bounds.count, seconds > bounds[index] { index += 1 }
        counts[index] += 1
        sum += seconds
        count += 1
    }

    /// Both histograms' observations together (same bounds).
    public static func + (left: DurationHistogram, right: DurationHistogram) -> DurationHistogram {
        precondition(left.bounds == right.bounds, "histograms with different buckets")
        var sum = left
        for index in sum.counts.indices { sum.counts[index] += right.counts[index] }
        sum.sum += right.sum
        sum.count += right.count
        return sum
    }

    /// The cumulative counts of Prometheus's `le` buckets, `+Inf` last.
    public var cumulativeCounts: [Int] {
        var running = 0
        return counts.map { running += $0; return running }
    }
}

extension PrometheusText {
    /// A histogram family (`NAME_bucket`, `NAME_sum`, `NAME_count`), one series per value of
    /// `label`, in the order of those values.
    public static func histogram(_ name: String, _ help: String, by label: String, _ histograms: [String: DurationHistogram]) -> Family {
        var samples: [Sample] = []
        for (value, histogram) in histograms.sorted(by: { $0.key < $1.key }) {
            for (bound, cumulative) in zip(histogram.bounds.map(format) + ["+Inf"], histogram.cumulativeCounts) {
                samples.append(Sample(suffix: "_bucket", labels: [(label, value), ("le", bound)], value: Double(cumulative)))
            }
            samples.append(Sample(suffix: "_sum", labels: [(label, value)], value: histogram.sum))
            samples.append(Sample(suffix: "_count", labels: [(label, value)], value: Double(histogram.count)))
        }
        return Family(name: name, help: help, type: "histogram", samples: samples)
    }
}
