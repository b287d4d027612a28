/// The affine change of coordinates between a curve as given and the unit-sized problem
/// the families are fitted on, so that one set of bounds and starting grids serves epochs
/// 1…50 and training-set sizes 16…100,000, losses and accuracies alike.
///
/// Steps become u = step / lastStep (observed u in (0, 1], extrapolation u > 1); families
/// built on logarithms use t = u · span = step / firstStep (observed t in [1, span]).
/// Values are oriented so that improving is increasing (negated when minimising) and then
/// mapped so that the observed range is [0, 1].
public struct CurveScale: Sendable, Hashable, Codable {
    /// The last (largest) observed step: u = step / lastStep.
    public var lastStep: Double
    /// lastStep / firstStep (≥ 1): t = u · span.
    public var span: Double
    /// Which way is better; values are negated when minimising.
    public var direction: Direction
    /// The smallest oriented value observed: y = (oriented − valueOffset) / valueScale.
    public var valueOffset: Double
    /// The oriented values' observed range (1 for a flat curve).
    public var valueScale: Double

    /// The normalised step u of a step.
    public func normalisedStep(_ step: Double) -> Double { step / lastStep }

    /// The normalised coordinates of a step.
    func coordinates(ofStep step: Double) -> StepCoordinates {
        StepCoordinates(u: normalisedStep(step), span: span)
    }

    /// The normalised value y of a metric value.
    public func normalisedValue(_ value: Double) -> Double {
        (orientation * value - valueOffset) / valueScale
    }

    /// The metric value of a normalised value y.
    public func metricValue(_ normalised: Double) -> Double {
        orientation * (valueOffset + valueScale * normalised)
    }

    /// A normalised standard deviation in metric units.
    public func metricDeviation(_ normalised: Double) -> Double {
        valueScale * normalised
    }

    private var orientation: Double { direction == .minimize ? -1 : 1 }

    /// The scale of the usable `points` (sorted by step, at least one).
    init(sortedPoints points: [CurvePoint], direction: Direction) {
        let first = points[0].step
        let last = points[points.count - 1].step
        lastStep = last
        span = last / first
        self.direction = direction
        let orientation: Double = direction == .minimize ? -1 : 1
        var low = Double.infinity
        var high = -Double.infinity
        for point in points {
            low = min(low, orientation * point.value)
            high = max(high, orientation * point.value)
        }
        valueOffset = low
        let range = high - low
        // A flat (or numerically flat) curve keeps a unit scale: every family then fits a
        // constant and nothing divides by zero.
        valueScale = range > 1e-12 * max(1, abs(low)) ? range : 1
    }
}
