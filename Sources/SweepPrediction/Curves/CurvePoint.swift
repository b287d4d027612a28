/// One observation of a learning curve: the metric's value after `step` units of training
/// (an epoch, an iteration count, a training-set size, ...).
public struct CurvePoint: Sendable, Hashable, Codable {
    /// Where on the curve: must be positive and finite to be used.
    public var step: Double
    /// The metric there: must be finite to be used.
    public var value: Double

    /// A point of a curve.
    public init(step: Double, value: Double) {
        self.step = step
        self.value = value
    }

    /// Whether a fit can use the point: a positive, finite step and a finite value.
    public var isUsable: Bool {
        step.isFinite && step > 0 && value.isFinite
    }
}
