import Foundation

/// Ensemble weights. The question the ensemble answers is how the curve continues, so each
/// family is judged on exactly that: refitted on the curve without its last steps, it is
/// scored by the log predictive density of the held-out points (noise plus delta-method
/// parameter uncertainty as the scale). Summed log densities are a proper scoring rule and
/// make the weights a posterior over families given the held-out points; BIC on the full fit
/// would rank how well each family interpolates, which rewards flexible families that then
/// extrapolate badly. The density is a Student-t rather than the Gaussian the predictions
/// use, so that one wild held-out point (a logging glitch) costs every family a bounded,
/// logarithmic penalty instead of handing all the weight to whichever family is vaguest.
/// Short curves that cannot spare the held-out steps fall back to BIC.
extension CurvePredictor {
    /// One score per fitted family, and how they were computed.
    func scores(
        _ families: [CurveFamily],
        fits: [NormalisedFamilyFit],
        points: [StepCoordinates],
        y: [Double],
        scale: CurveScale,
        distinctSteps: [Double]
    ) -> ([Double], CurveWeighting) {
        let held = max(configuration.minimumHeldOutSteps, Int((configuration.heldOutFraction * Double(distinctSteps.count)).rounded()))
        let trainingSteps = distinctSteps.count - held
        if held >= 1, trainingSteps >= configuration.minimumTrainingSteps {
            let cutoff = scale.normalisedStep(distinctSteps[trainingSteps - 1])
            let trainingCount = points.firstIndex { $0.u > cutoff } ?? points.count
            let training = Array(points[..<trainingCount]), trainingY = Array(y[..<trainingCount])
            let (heldPoints, heldY) = typicalPoints(points[trainingCount...], y[trainingCount...], families: families, fits: fits)
            let scores = zip(families, fits).map { family, fit in
                heldOutScore(
                    family, start: fit.parameters,
                    training: training, trainingY: trainingY,
                    held: heldPoints, heldY: heldY, scale: scale
                )
            }
            if !heldPoints.isEmpty, scores.contains(where: \.isFinite) { return (scores, .heldOut(heldOutSteps: held)) }
        }
        let count = Double(points.count)
        let scores = zip(families, fits).map { family, fit in
            -0.5 * (count * log(fit.weightedMeanSquaredResidual) + Double(family.parameterCount) * log(count))
        }
        return (scores, .informationCriterion)
    }

    /// The held-out points that are not outliers: a point whose residual is more than
    /// `heldOutOutlierCutoff` noise deviations for the median family's full fit is a glitch
    /// that no family predicts, and scoring it would only reward the vaguest family.
    private func typicalPoints(
        _ points: ArraySlice<StepCoordinates>,
        _ y: ArraySlice<Double>,
        families: [CurveFamily],
        fits: [NormalisedFamilyFit]
    ) -> ([StepCoordinates], [Double]) {
        var keptPoints: [StepCoordinates] = [], keptY: [Double] = []
        for (point, value) in zip(points, y) {
            var sizes = zip(families, fits).map { family, fit in
                abs(family.value(at: point, parameters: fit.parameters) - value) / fit.noiseVariance.squareRoot()
            }
            sizes.sort()
            if sizes[sizes.count / 2] <= configuration.heldOutOutlierCutoff {
                keptPoints.append(point)
                keptY.append(value)
            }
        }
        return (keptPoints, keptY)
    }

    /// Σ log t(yᵢ; μᵢ, sᵢ) over the held-out points of the family fitted to the rest;
    /// −infinity when that fit fails. The refit starts from the full fit's parameters, which
    /// saves the starting grid at the price of a little leakage from the held-out points
    /// (the refit settles in the full fit's basin when there are several).
    private func heldOutScore(
        _ family: CurveFamily,
        start: [Double],
        training: [StepCoordinates],
        trainingY: [Double],
        held: [StepCoordinates],
        heldY: [Double],
        scale: CurveScale
    ) -> Double {
        guard let fit = family.fit(training, y: trainingY, configuration: configuration, start: start) else {
            return -.infinity
        }
        let member = FamilyFit(
            family: family, weight: 1, parameters: fit.parameters, scale: scale,
            noiseStandardDeviation: 0, rootMeanSquareError: 0, score: 0,
            normalisedNoiseVariance: fit.noiseVariance, covariance: fit.covariance
        )
        var total = 0.0
        for (heldPoint, heldValue) in zip(held, heldY) {
            guard let (mean, variance) = member.normalisedPrediction(at: heldPoint), variance > 0 else { return -.infinity }
            let deviation = variance.squareRoot()
            total += studentLogDensity((heldValue - mean) / deviation) - log(deviation)
        }
        return total.isNaN ? -.infinity : total
    }

    /// log density of Student's t with `heldOutDegreesOfFreedom` at z.
    private func studentLogDensity(_ z: Double) -> Double {
        let ν = configuration.heldOutDegreesOfFreedom
        return lgamma((ν + 1) / 2) - lgamma(ν / 2) - 0.5 * log(ν * Double.pi) - (ν + 1) / 2 * log1p(z * z / ν)
    }

    /// Normalised weights ∝ prior · exp(score), the prior splitting each shape class evenly.
    static func weights(scores: [Double], families: [CurveFamily]) -> [Double] {
        var classSizes: [String: Int] = [:]
        for family in families { classSizes[family.shapeClass, default: 0] += 1 }
        let best = scores.filter(\.isFinite).max() ?? 0
        var weights = zip(scores, families).map { score, family in
            score.isFinite ? exp(score - best) / Double(classSizes[family.shapeClass] ?? 1) : 0
        }
        let total = weights.reduce(0, +)
        if total > 0 {
            for index in weights.indices { weights[index] /= total }
        } else {
            // No finite score at all: equal weights rather than none.
            weights = Array(repeating: 1 / Double(weights.count), count: weights.count)
        }
        return weights
    }
}
