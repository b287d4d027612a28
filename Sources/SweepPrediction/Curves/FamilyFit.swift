/// One family fitted to a curve: its parameters, its noise, its weight in the ensemble, and
/// the Gaussian predictive distribution it gives on its own.
public struct FamilyFit: Sendable {
    /// Which family.
    public var family: CurveFamily
    /// The family's weight in the ensemble (the weights of a ``CurveFit``'s members sum to 1).
    public var weight: Double
    /// The fitted parameters, named by ``CurveFamily/parameterNames``, on the normalised
    /// coordinates of ``scale`` (see ``CurveScale``).
    public var parameters: [Double]
    /// The coordinates the parameters live on.
    public var scale: CurveScale
    /// The estimated standard deviation of the observation noise, in metric units
    /// (robustly weighted residuals, corrected for the parameters' degrees of freedom).
    public var noiseStandardDeviation: Double
    /// The root mean square of the residuals over the points fitted, in metric units.
    public var rootMeanSquareError: Double
    /// The score that set the weight before normalisation: the held-out log predictive
    /// density (Student-t), or −BIC/2, in normalised units (see ``CurveWeighting``).
    public var score: Double

    /// σ², normalised.
    var normalisedNoiseVariance: Double
    /// The covariance of the parameters (σ²·(JᵀWJ)⁻¹ over the parameters off their bounds),
    /// row-major, normalised.
    var covariance: [Double]

    /// The metric value the family expects at `step` (the fitted curve, without noise).
    public func value(at step: Double) -> Double {
        scale.metricValue(family.value(at: scale.coordinates(ofStep: step), parameters: parameters))
    }

    /// The limit of the fitted curve as the step grows, in metric units; nil for families
    /// that grow without bound (log-log linear, vapor pressure with c > 0).
    public var asymptote: Double? {
        family.normalisedAsymptote(parameters).map(scale.metricValue)
    }

    /// The family's own predictive distribution at `step`: a Gaussian whose variance is the
    /// noise variance plus the parameters' uncertainty carried to `step` by the delta method
    /// (so it widens with the extrapolation distance).
    /// Empty (NaN answers) when `step` is not positive and finite.
    public func predict(at step: Double) -> Prediction {
        guard step.isFinite, step > 0, let (mean, variance) = normalisedPrediction(at: scale.coordinates(ofStep: step)) else {
            return Prediction(step: step, components: [])
        }
        return Prediction(step: step, components: [
            Prediction.Component(
                weight: 1,
                mean: scale.metricValue(mean),
                standardDeviation: scale.metricDeviation(variance.squareRoot())
            ),
        ])
    }

    /// Mean and variance at a normalised step (normalised units), nil where not finite.
    func normalisedPrediction(at point: StepCoordinates) -> (mean: Double, variance: Double)? {
        let count = parameters.count
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { buffer in
            let gradient = buffer.baseAddress!
            let mean = family.value(at: point, parameters: parameters, gradient: gradient)
            var variance = normalisedNoiseVariance
            for j in 0..<count {
                var row = 0.0
                for k in 0..<count { row += covariance[j * count + k] * gradient[k] }
                variance += gradient[j] * row
            }
            guard mean.isFinite, variance.isFinite, variance >= 0 else { return nil }
            return (mean, variance)
        }
    }
}
