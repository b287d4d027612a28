/// A predicted value with its bootstrap interval.
public struct LadderEstimate: Sendable, Hashable, Codable {
    /// The prediction of the fit to all points.
    public var value: Double
    /// The lower end of the interval (nil without bootstrap resamples).
    public var lower: Double?
    /// The upper end of the interval.
    public var upper: Double?

    /// An estimate.
    public init(value: Double, lower: Double? = nil, upper: Double? = nil) {
        self.value = value
        self.lower = lower
        self.upper = upper
    }
}

/// How well a loss law matches the points it was fitted to.
public struct LossFitReport: Sendable, Hashable, Codable {
    /// The number of fitted points.
    public var pointCount: Int
    /// R² of log L̂ against log L.
    public var rSquaredLog: Double
    /// The root mean square of log L̂ − log L.
    public var rootMeanSquareLogError: Double
    /// The mean of |L̂/L − 1|.
    public var meanAbsoluteRelativeError: Double
    /// The largest |L̂/L − 1|.
    public var maxAbsoluteRelativeError: Double
    /// L̂/L − 1 for each point, in input order.
    public var relativeResiduals: [Double]
}

/// How well the loss → accuracy sigmoid matches the points it was fitted to.
public struct AccuracyFitReport: Sendable, Hashable, Codable {
    /// The number of fitted points.
    public var pointCount: Int
    /// R² of the predicted against the observed accuracy.
    public var rSquared: Double
    /// The root mean square accuracy error.
    public var rootMeanSquareError: Double
    /// The largest absolute accuracy error.
    public var maxAbsoluteError: Double
    /// The lowest and highest loss among the fitted points: the sigmoid is only checked there.
    public var lossRange: ClosedRange<Double>
}

/// The span of the fitted points, against which targets are judged.
public struct LadderFittedRange: Sendable, Hashable, Codable {
    /// The smallest and largest parameter counts.
    public var parameters: ClosedRange<Double>
    /// The smallest and largest token counts, when known.
    public var tokens: ClosedRange<Double>?
    /// The compute of the largest run (6·N·D at its last point), when tokens are known.
    public var largestRunCompute: Double?
    /// The compute of the whole ladder: every run's 6·N·D at its last point, summed.
    public var ladderCompute: Double?
}

/// The prediction for one target size.
public struct LadderPrediction: Sendable, Hashable, Codable {
    /// The size predicted.
    public var target: LadderTarget
    /// Its loss.
    public var loss: LadderEstimate
    /// Its accuracy by the two-step prediction, when the points have accuracies.
    public var accuracy: LadderEstimate?
    /// The ladder's compute as a fraction of the target's (6·N·D), when tokens are known.
    public var computeFraction: Double?
    /// Reasons to distrust this prediction: how far it extrapolates.
    public var warnings: [String]
}

/// A fitted loss law with its bootstrap replicates, reusable across tasks that share the
/// same loss points (the replicates pair with accuracy resamples by index).
public struct LossLawEnsemble: Sendable {
    /// The law fitted to all points.
    public var law: LossLaw
    /// Its fit report.
    public var report: LossFitReport
    /// The law of each bootstrap resample, nil where that resample could not be fitted.
    public var bootstrapLaws: [LossLaw?]
    /// The seed the resamples were drawn with.
    public var seed: UInt64
    /// The number of points the resamples were drawn from.
    public var pointCount: Int
    /// The forms that were weighed (the configured form first), so a reuse can be checked.
    public var candidateForms: [LossLawForm]
    /// How the form was chosen, when several were weighed.
    public var selection: LossLawFormSelection?
}

/// The result of a ladder fit: the loss law, the optional accuracy link, their fit
/// reports, and predictions for the targets with intervals and warnings.
public struct LadderFit: Sendable, Codable {
    /// The form of the loss law.
    public var form: LossLawForm
    /// How the form was chosen, when several were weighed (`sweep ladder fit --form auto`).
    public var formSelection: LossLawFormSelection?
    /// The loss law fitted to all points.
    public var lossLaw: LossLaw
    /// The loss law as a formula.
    public var lossFormula: String
    /// How well it fits.
    public var lossReport: LossFitReport
    /// The loss → accuracy sigmoid, when the points have accuracies.
    public var accuracyLink: AccuracyLink?
    /// The sigmoid as a formula.
    public var accuracyFormula: String?
    /// How well it fits.
    public var accuracyReport: AccuracyFitReport?
    /// The span of the fitted points.
    public var fittedRange: LadderFittedRange
    /// One prediction per target, in the order given.
    public var predictions: [LadderPrediction]
    /// The interval level (0.9: 5th to 95th percentile of the bootstrap predictions).
    public var intervalLevel: Double
    /// Bootstrap resamples drawn.
    public var bootstrapResamples: Int
    /// Bootstrap resamples that gave a fit (both steps, for accuracies).
    public var successfulResamples: Int
    /// Reasons to distrust the whole fit.
    public var warnings: [String]

    /// The bootstrap loss laws, for plotting bands (not encoded).
    public var bootstrapLaws: [LossLaw] = []
    /// The bootstrap accuracy links, for plotting bands (not encoded).
    public var bootstrapLinks: [AccuracyLink] = []

    enum CodingKeys: String, CodingKey {
        case form, formSelection, lossLaw, lossFormula, lossReport, accuracyLink, accuracyFormula, accuracyReport
        case fittedRange, predictions, intervalLevel, bootstrapResamples, successfulResamples, warnings
    }
}
