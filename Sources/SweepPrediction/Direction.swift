/// Whether smaller or larger values of a metric are better.
///
/// SweepPrediction has no dependencies; the coordinator maps `MetricSpec.Goal` onto this.
public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
    case minimize, maximize

    /// Whether `a` is strictly better than `b`.
    @inlinable
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .minimize ? a < b : a > b
    }

    /// The better of two values.
    @inlinable
    public func best(_ a: Double, _ b: Double) -> Double {
        isBetter(b, than: a) ? b : a
    }
}
