/// `predict`'s forecaster: the weighted ensemble of learning-curve families (CurvePredictor).
public struct EnsembleForecaster: CurveForecaster {
    /// The predictor.
    public var predictor: CurvePredictor

    /// A forecaster with the predictor's default configuration.
    public init(predictor: CurvePredictor = CurvePredictor()) {
        self.predictor = predictor
    }

    public func forecast(steps: [Double], values: [Double], direction: Direction, at step: Double, against threshold: Double) -> ForecastOutcome {
        let points = zip(steps, values).map { CurvePoint(step: $0, value: $1) }
        switch predictor.fit(points, direction: direction) {
        case .insufficientEvidence(let why):
            return .insufficient("\(why)")
        case .fitted(let fit):
            let prediction = fit.predict(at: step)
            return .forecast(Forecast(
                mean: prediction.mean, lower: prediction.quantile(0.1), upper: prediction.quantile(0.9),
                probability: prediction.probability(betterThan: threshold, direction: direction)))
        }
    }
}
