/// What ``CurvePredictor/fit(_:direction:)`` concludes: an ensemble, or a reason why the
/// curve does not support a prediction.
public enum CurveFitOutcome: Sendable {
    /// The ensemble fitted to the curve.
    case fitted(CurveFit)
    /// Not enough evidence to predict; the reason says what is missing.
    case insufficientEvidence(InsufficientEvidence)

    /// The fit, or nil when there was not enough evidence.
    public var fit: CurveFit? {
        if case .fitted(let fit) = self { return fit }
        return nil
    }
}

/// Why a curve gave no prediction.
public enum InsufficientEvidence: Sendable, Hashable, CustomStringConvertible {
    /// Fewer distinct usable steps than required (`ignored` points had a non-positive or
    /// non-finite step, or a non-finite value).
    case tooFewSteps(distinct: Int, required: Int, ignored: Int)
    /// Every family's fit failed (non-finite, or fewer points than parameters).
    case allFamiliesFailed(tried: [CurveFamily])
    /// The ensemble's prediction at the last observed step is not finite.
    case nonFinitePrediction

    /// What happened and what would help.
    public var description: String {
        switch self {
        case .tooFewSteps(let distinct, let required, let ignored):
            let ignoredNote = ignored > 0 ? " (\(ignored) point(s) ignored: step must be positive and finite, value finite)" : ""
            return "only \(distinct) distinct usable step(s)\(ignoredNote); at least \(required) are needed to extrapolate — report more steps"
        case .allFamiliesFailed(let tried):
            return "no curve family could be fitted (tried \(tried.map(\.rawValue).joined(separator: ", ")))"
        case .nonFinitePrediction:
            return "the ensemble's prediction at the last observed step is not finite"
        }
    }
}

/// How the ensemble's weights were set.
public enum CurveWeighting: Sendable, Hashable {
    /// Each family was refitted without the last `heldOutSteps` distinct steps and weighted
    /// by its log predictive density of those points (how well it extrapolated; a Student-t,
    /// glitches past `heldOutOutlierCutoff` noise deviations skipped), times a prior that
    /// splits each shape class evenly.
    case heldOut(heldOutSteps: Int)
    /// Too few steps to hold any out: weights ∝ prior · exp(−BIC/2) on the full fit.
    case informationCriterion
}

/// An ensemble of curve families fitted to one curve; its predictions are mixtures over the
/// members.
public struct CurveFit: Sendable {
    /// The members, by decreasing weight; families whose weight rounded to zero are kept
    /// with weight 0 so that they can still be inspected.
    public var members: [FamilyFit]
    /// Families whose fit failed (too few points for their parameters, or non-finite).
    public var failedFamilies: [CurveFamily]
    /// How the weights were set.
    public var weighting: CurveWeighting
    /// The coordinates the members were fitted on.
    public var scale: CurveScale
    /// Usable points fitted.
    public var pointCount: Int
    /// Points ignored because their step was not positive and finite or their value not finite.
    public var ignoredPointCount: Int
    /// Members with less than this fraction of the largest weight are left out of predictions.
    var negligibleWeight: Double
    /// Members predicting further than this many observed ranges outside the observed values
    /// are left out of a prediction (nil: none is).
    var plausibleRanges: Double? = nil

    /// The metric's direction.
    public var direction: Direction { scale.direction }

    /// The largest step observed.
    public var lastObservedStep: Double { scale.lastStep }

    /// The member with the largest weight: the best single family.
    public var bestMember: FamilyFit { members[0] }

    /// The ensemble's predictive distribution at `step`: the weighted mixture of the
    /// members' Gaussians; empty (NaN answers) when `step` is not positive and finite or no
    /// member is finite there.
    public func predict(at step: Double) -> Prediction {
        guard step.isFinite, step > 0 else { return Prediction(step: step, components: []) }
        let largest = members.first?.weight ?? 0
        var components: [Prediction.Component] = []
        components.reserveCapacity(members.count)
        let point = scale.coordinates(ofStep: step)
        for member in members where member.weight > negligibleWeight * largest {
            guard let (mean, variance) = member.normalisedPrediction(at: point) else { continue }
            // Observed values span [0, 1] here.
            if let ranges = plausibleRanges, mean < -ranges || mean > 1 + ranges { continue }
            components.append(Prediction.Component(
                weight: member.weight,
                mean: scale.metricValue(mean),
                standardDeviation: scale.metricDeviation(variance.squareRoot())
            ))
        }
        return Prediction(step: step, components: components)
    }
}
