/// The settings of a ladder fit, with the defaults the documentation's backtests use.
public struct LadderFitConfiguration: Sendable, Hashable, Codable {
    /// The loss law to fit.
    public var form: LossLawForm = .joint
    /// Other forms to weigh against `form`: when not empty, the fit keeps whichever of them
    /// best predicts the ladder's largest model from its smaller ones
    /// (``LossLawFormSelection``), and `form` on a tie.
    public var alternativeForms: [LossLawForm] = []
    /// The Huber threshold on log-loss residuals; Hoffmann et al. (2022) use 1e-3, which is
    /// close to least absolute deviations and so robust to a few bad runs.
    public var huberDelta = 1e-3
    /// The Huber threshold on accuracy residuals of the loss → accuracy sigmoid (accuracy units).
    public var accuracyHuberDelta = 0.05
    /// Exponents (α, β) are kept inside this range.
    public var exponentRange: ClosedRange<Double> = 0...2.5
    /// How many of the best grid starting points the optimiser refines on the full data.
    public var startCount = 12
    /// How many of the best grid starting points each bootstrap resample refines, besides
    /// the full-data solution.
    public var bootstrapStartCount = 2
    /// Bootstrap resamples (of the points, with replacement) for the intervals; 0 for none.
    public var bootstrapResamples = 200
    /// The seed of the bootstrap's generator: the same seed gives the same intervals.
    public var seed: UInt64 = 0x5EED
    /// The central probability of the intervals (0.9 gives the 5th to 95th percentile).
    public var intervalLevel = 0.9
    /// Warn when a target has more than this many times the parameters (or tokens) of the
    /// largest fitted point.
    public var extrapolationWarningRatio = 10.0
    /// Warn when a target needs more than this many times the compute of the largest fitted run.
    public var computeWarningRatio = 100.0

    /// The defaults.
    public init() {}

    /// The defaults with another form.
    public init(form: LossLawForm) {
        self.form = form
    }

    /// `form` followed by the `alternativeForms` not already listed: the forms weighed, the
    /// first winning ties. Setting it to one form fits that form; an empty list is ignored.
    public var forms: [LossLawForm] {
        get {
            var forms = [form]
            for alternative in alternativeForms where !forms.contains(alternative) { forms.append(alternative) }
            return forms
        }
        set {
            guard let first = newValue.first else { return }
            form = first
            alternativeForms = Array(newValue.dropFirst())
        }
    }

    /// The forms `sweep ladder fit --form auto` weighs for points with token counts: the
    /// joint law of Hoffmann et al. and its equal-exponent variant.
    public static let automaticForms: [LossLawForm] = [.joint, .equalExponents]

    /// Checks the settings; throws ``LadderFitError`` naming the bad one.
    public func validate() throws {
        guard huberDelta > 0, accuracyHuberDelta > 0 else {
            throw LadderFitError(.invalidConfiguration, "the Huber thresholds must be greater than 0")
        }
        guard exponentRange.lowerBound >= 0, exponentRange.upperBound > exponentRange.lowerBound else {
            throw LadderFitError(.invalidConfiguration, "the exponent range must be non-negative and not empty, found \(exponentRange)")
        }
        guard startCount >= 1, bootstrapStartCount >= 0, bootstrapResamples >= 0 else {
            throw LadderFitError(.invalidConfiguration, "start and resample counts must not be negative (and at least one start)")
        }
        guard intervalLevel > 0, intervalLevel < 1 else {
            throw LadderFitError(.invalidConfiguration, "the interval level must lie strictly between 0 and 1, found \(intervalLevel)")
        }
    }
}
