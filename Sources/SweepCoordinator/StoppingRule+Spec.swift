public import SweepCore
public import SweepPrediction

extension StoppingRule {
    /// The policy a sweep declares (`early_stop`, or W&B's `early_terminate`), with the
    /// sweep's `max_steps` filling in asha's full resource and predict's horizon; nil when
    /// it declares none.
    public init?(sweep spec: SweepSpec) {
        if let earlyStop = spec.earlyStop {
            self.init(earlyStop, maxSteps: spec.maxSteps)
        } else if let hyperband = spec.earlyTerminate {
            self.init(hyperband: hyperband)
        } else {
            return nil
        }
    }

    /// Sweep's `early_stop`.
    public init(_ earlyStop: EarlyStopSpec, maxSteps: Int?) {
        let kind = Kind(rawValue: earlyStop.policy.rawValue) ?? .none
        self.init(kind: kind)
        minSteps = Double(earlyStop.minSteps)
        minTrials = earlyStop.minTrials
        reductionFactor = earlyStop.reductionFactor
        self.maxSteps = (earlyStop.maxSteps ?? maxSteps).map(Double.init)
        minCompleted = earlyStop.minCompleted
        probabilityThreshold = earlyStop.probabilityThreshold
        horizon = (earlyStop.horizon ?? maxSteps).map(Double.init)
        costAware = earlyStop.costAware
        forecaster = ForecasterKind(rawValue: earlyStop.forecaster) ?? .ensemble
        value = earlyStop.value
        if let hyperband = earlyStop.hyperband {
            bands = hyperband.bracketSteps
            strict = hyperband.strict
            passFraction = 1 / hyperband.eta
        }
    }

    /// W&B's `early_terminate: {type: hyperband}`.
    public init(hyperband: HyperbandSpec) {
        self.init(kind: .hyperband)
        bands = hyperband.bracketSteps
        strict = hyperband.strict
        passFraction = 1 / hyperband.eta
    }
}

extension SweepSpec {
    /// The metric an early-stopping policy watches: `early_stop.metric`, else the objective.
    public var stoppingMetric: String? {
        earlyStop?.metric ?? metric?.name
    }

    /// The direction of the objective (minimize unless the metric says otherwise).
    public var stoppingDirection: Direction {
        metric?.goal == .maximize ? .maximize : .minimize
    }
}
