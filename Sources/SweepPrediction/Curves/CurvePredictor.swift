import Foundation

/// Extrapolates a learning curve: fits every configured ``CurveFamily`` by robust
/// Levenberg–Marquardt and weights them by how well each predicted the curve's own last
/// steps when fitted without them.
public struct CurvePredictor: Sendable {
    /// The robust loss of the fits, its threshold in units of the noise's robust scale.
    public enum Loss: Sendable, Hashable {
        /// Plain least squares.
        case squared
        /// Huber: quadratic within `threshold` noise scales, linear beyond (1.345 keeps 95 %
        /// efficiency under Gaussian noise).
        case huber(threshold: Double)
        /// Cauchy: logarithmic beyond `scale` noise scales; rejects outliers harder but can
        /// have several minima.
        case cauchy(scale: Double)

        /// The solver's loss for a noise scale (residual units).
        func robustLoss(noiseScale: Double) -> RobustLoss {
            switch self {
            case .squared: .squared
            case .huber(let threshold): .huber(threshold: threshold * noiseScale)
            case .cauchy(let scale): .cauchy(scale: scale * noiseScale)
            }
        }
    }

    /// The predictor's settings.
    public struct Configuration: Sendable, Hashable {
        /// The families of the ensemble.
        public var families: [CurveFamily] = CurveFamily.allCases
        /// Fewer distinct usable steps than this gives ``InsufficientEvidence/tooFewSteps(distinct:required:ignored:)``.
        public var minimumDistinctSteps = 5
        /// The fraction of the distinct steps (the last ones) held out to weight the families.
        public var heldOutFraction = 0.2
        /// At least this many distinct steps are held out; with too few steps to both hold
        /// these out and keep `minimumTrainingSteps`, weights come from BIC instead.
        public var minimumHeldOutSteps = 2
        /// Distinct steps the held-out fits must keep.
        public var minimumTrainingSteps = 6
        /// Degrees of freedom of the Student-t density that scores held-out points: small
        /// enough that one wild point cannot decide the weights, large enough that ordinary
        /// points score almost as under a Gaussian.
        public var heldOutDegreesOfFreedom = 4.0
        /// Held-out points further than this many noise deviations from the median family's
        /// full fit are glitches and are not scored.
        public var heldOutOutlierCutoff = 6.0
        /// The loss of the fits.
        public var loss: Loss = .huber(threshold: 1.345)
        /// Starting points tried per family (the best grid points).
        public var startsPerFamily = 1
        /// A floor on the noise standard deviation, as a fraction of the curve's observed
        /// range: keeps exact (noise-free) curves from giving zero-width predictions and
        /// degenerate robust weights.
        public var minimumNoiseStandardDeviation = 1e-6
        /// Members with less than this fraction of the largest weight are left out of predictions.
        public var negligibleWeight = 1e-4
        /// A member whose mean at the predicted step lies more than this many observed ranges
        /// below or above the observed values is left out of that prediction (its weight goes
        /// to the others): a fit that runs away far from the data is implausible, as Domhan et
        /// al. (2015) reject extrapolations that leave the metric's possible values. With every
        /// member out, the prediction is empty. nil keeps every member.
        public var plausibleRanges: Double? = 1
        /// The Levenberg–Marquardt limits. Tolerances are loose because a change of 1e-6 in
        /// the cost is far below the noise; the iteration cap stops families that crawl
        /// along a degenerate valley (a stretched exponential imitating a power law, its
        /// amplitude growing without end) where they are, and lets the held-out score judge
        /// them.
        public var solver: LevenbergMarquardt.Configuration = {
            var solver = LevenbergMarquardt.Configuration()
            solver.maximumIterations = 30
            solver.costTolerance = 1e-6
            solver.parameterTolerance = 1e-6
            return solver
        }()

        /// The defaults.
        public init() {}
    }

    /// The settings.
    public var configuration: Configuration

    /// A predictor with the given settings.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Fits the ensemble to `points` (any order; points with a non-positive or non-finite
    /// step or a non-finite value are ignored and counted) of a metric with `direction`.
    public func fit(_ points: [CurvePoint], direction: Direction) -> CurveFitOutcome {
        fit(points, direction: direction, families: configuration.families)
    }

    /// Fits one family alone (weight 1), e.g. for a best-single-family baseline.
    public func fit(_ points: [CurvePoint], direction: Direction, family: CurveFamily) -> CurveFitOutcome {
        fit(points, direction: direction, families: [family])
    }

    private func fit(_ points: [CurvePoint], direction: Direction, families requested: [CurveFamily]) -> CurveFitOutcome {
        var families: [CurveFamily] = []
        for family in requested where !families.contains(family) { families.append(family) }

        let usable = points.filter(\.isUsable).sorted { $0.step < $1.step }
        let ignored = points.count - usable.count
        let distinctSteps = Self.distinctSteps(usable)
        guard distinctSteps.count >= max(configuration.minimumDistinctSteps, 2) else {
            return .insufficientEvidence(.tooFewSteps(
                distinct: distinctSteps.count,
                required: max(configuration.minimumDistinctSteps, 2),
                ignored: ignored
            ))
        }

        let scale = CurveScale(sortedPoints: usable, direction: direction)
        let coordinates = usable.map { scale.coordinates(ofStep: $0.step) }
        let y = usable.map { scale.normalisedValue($0.value) }

        var fitted: [(family: CurveFamily, fit: NormalisedFamilyFit)] = []
        var failed: [CurveFamily] = []
        for family in families {
            if let fit = family.fit(coordinates, y: y, configuration: configuration) {
                fitted.append((family, fit))
            } else {
                failed.append(family)
            }
        }
        guard !fitted.isEmpty else { return .insufficientEvidence(.allFamiliesFailed(tried: families)) }

        let (scores, weighting) = self.scores(
            fitted.map(\.family), fits: fitted.map(\.fit),
            points: coordinates, y: y, scale: scale, distinctSteps: distinctSteps
        )
        let weights = Self.weights(scores: scores, families: fitted.map(\.family))

        var members: [FamilyFit] = []
        for (index, entry) in fitted.enumerated() {
            members.append(FamilyFit(
                family: entry.family,
                weight: weights[index],
                parameters: entry.fit.parameters,
                scale: scale,
                noiseStandardDeviation: scale.metricDeviation(entry.fit.noiseVariance.squareRoot()),
                rootMeanSquareError: scale.metricDeviation(entry.fit.meanSquaredResidual.squareRoot()),
                score: scores[index],
                normalisedNoiseVariance: entry.fit.noiseVariance,
                covariance: entry.fit.covariance
            ))
        }
        members.sort { $0.weight > $1.weight }

        let fit = CurveFit(
            members: members,
            failedFamilies: failed,
            weighting: weighting,
            scale: scale,
            pointCount: usable.count,
            ignoredPointCount: ignored,
            negligibleWeight: configuration.negligibleWeight,
            plausibleRanges: configuration.plausibleRanges
        )
        let check = fit.predict(at: scale.lastStep)
        guard check.mean.isFinite, check.standardDeviation.isFinite else {
            return .insufficientEvidence(.nonFinitePrediction)
        }
        return .fitted(fit)
    }

    private static func distinctSteps(_ sorted: [CurvePoint]) -> [Double] {
        var steps: [Double] = []
        for point in sorted where steps.last != point.step { steps.append(point.step) }
        return steps
    }
}
