/// W&B `early_terminate` with `type: hyperband`, as W&B defines it.
public struct HyperbandSpec: Sendable, Hashable, Codable {
    /// Smallest iteration at which runs are compared (gives the brackets with `eta`).
    public var minIter: Int?
    /// Largest iteration; with `s` gives the brackets instead of `min_iter`.
    public var maxIter: Int?
    /// Reduction factor (W&B default 3).
    public var eta: Double
    /// Number of brackets (used with `max_iter`, W&B default 0).
    public var s: Int
    /// Compare against the best of the bracket instead of its median (W&B `strict`).
    public var strict: Bool

    /// Creates a hyperband setting.
    public init(minIter: Int? = nil, maxIter: Int? = nil, eta: Double = 3, s: Int = 0, strict: Bool = false) {
        self.minIter = minIter
        self.maxIter = maxIter
        self.eta = eta
        self.s = s
        self.strict = strict
    }

    /// The bands at which runs are judged, as W&B computes them: `int(min_iter·eta^k)` for
    /// k = 0, 1, … (up to `max_iter` when both are given), or `int(max_iter/eta^k)` for
    /// k = 1…s, stopping below 1, in increasing order. A band counts reports of the metric
    /// (the n-th value a run logged), not the step numbers the run attached to them.
    public var bracketSteps: [Int] {
        if let minIter {
            var bands: [Int] = []
            var band = Double(minIter)
            let limit = Double(maxIter ?? Int(Int32.max))
            while band <= limit, bands.count < 64 {
                bands.append(Int(band))
                band *= eta
            }
            return bands
        }
        guard let maxIter, s > 0 else { return [] }
        var bands: [Int] = []
        var band = Double(maxIter)
        for _ in 0..<s {
            band /= eta
            if band < 1 { break }
            bands.append(Int(band))
        }
        return bands.sorted()
    }
}

/// A built-in kernel and its fixed settings (Sweep's `kernel:`).
public struct KernelSpec: Sendable, Hashable, Codable {
    /// The kernel's registered name (`mlp-train`).
    public var name: String
    /// Settings passed to every job, beneath the swept parameters.
    public var settings: [String: ParamValue]

    /// Creates a kernel reference.
    public init(name: String, settings: [String: ParamValue] = [:]) {
        self.name = name
        self.settings = settings
    }
}

/// What a job needs from the worker that runs it.
public struct ResourceSpec: Sendable, Hashable, Codable {
    /// Worker slots the job occupies.
    public var slots: Int
    /// GPUs the job needs.
    public var gpus: Int
    /// Labels the worker must carry (`zone: a`).
    public var labels: [String: String]

    /// Creates a resource need; one slot, no GPU, no labels by default.
    public init(slots: Int = 1, gpus: Int = 0, labels: [String: String] = [:]) {
        self.slots = slots
        self.gpus = gpus
        self.labels = labels
    }
}

/// How a failed attempt is retried.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// Delay before the first retry; doubles each time.
    public var backoff: Duration
    /// The delay never grows beyond this.
    public var maxBackoff: Duration

    /// Default: 3 attempts, 10 s first backoff, at most 10 min.
    public init(maxAttempts: Int = 3, backoff: Duration = .seconds(10), maxBackoff: Duration = .seconds(600)) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }
}

/// An early-stopping policy and its settings (Sweep's `early_stop:`).
public struct EarlyStopSpec: Sendable, Hashable, Codable {
    /// The policies.
    public enum Policy: String, Sendable, Hashable, Codable, CaseIterable {
        case none, median, asha, hyperband, predict, threshold
    }

    /// Which policy.
    public var policy: Policy
    /// The metric it watches; the sweep's metric when nil.
    public var metric: String?
    /// No decision before this step.
    public var minSteps: Int
    /// median: at least this many other runs must have reached the step.
    public var minTrials: Int
    /// asha: reduction factor between rungs.
    public var reductionFactor: Double
    /// asha: the resource of a full run (defaults to the sweep's `max_steps`).
    public var maxSteps: Int?
    /// hyperband: brackets as in W&B `early_terminate`.
    public var hyperband: HyperbandSpec?
    /// predict: no stop before this many runs have finished.
    public var minCompleted: Int
    /// predict: stop when P(final better than incumbent) falls below this.
    public var probabilityThreshold: Double
    /// predict: the step whose value is predicted (defaults to the sweep's `max_steps`).
    public var horizon: Int?
    /// predict: scale the threshold by each run's expected remaining compute relative to a
    /// completed run's (time since the attempt started).
    public var costAware: Bool
    /// predict: the model: `ensemble` (curve families fitted to the run), `population` (the
    /// sweep's completed runs) or `mixed`.
    public var forecaster: String
    /// threshold: stop when the metric is worse than this after `min_steps`.
    public var value: Double?

    /// Creates a policy with the documented defaults.
    public init(policy: Policy) {
        self.policy = policy
        self.minSteps = policy == .predict ? 5 : 1
        self.minTrials = 5
        self.reductionFactor = 3
        self.minCompleted = 3
        self.probabilityThreshold = 0.05
        self.costAware = false
        self.forecaster = "ensemble"
    }
}

extension EarlyStopSpec {
    private enum CodingKeys: String, CodingKey {
        case policy, metric, minSteps, minTrials, reductionFactor, maxSteps, hyperband, minCompleted, probabilityThreshold, horizon, value, costAware, forecaster
    }

    /// Decodes a stored spec; `costAware` and `forecaster` came later, so sweeps stored before
    /// them lack the keys.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(policy: try container.decode(Policy.self, forKey: .policy))
        metric = try container.decodeIfPresent(String.self, forKey: .metric)
        minSteps = try container.decode(Int.self, forKey: .minSteps)
        minTrials = try container.decode(Int.self, forKey: .minTrials)
        reductionFactor = try container.decode(Double.self, forKey: .reductionFactor)
        maxSteps = try container.decodeIfPresent(Int.self, forKey: .maxSteps)
        hyperband = try container.decodeIfPresent(HyperbandSpec.self, forKey: .hyperband)
        minCompleted = try container.decode(Int.self, forKey: .minCompleted)
        probabilityThreshold = try container.decode(Double.self, forKey: .probabilityThreshold)
        horizon = try container.decodeIfPresent(Int.self, forKey: .horizon)
        value = try container.decodeIfPresent(Double.self, forKey: .value)
        costAware = try container.decodeIfPresent(Bool.self, forKey: .costAware) ?? false
        forecaster = try container.decodeIfPresent(String.self, forKey: .forecaster) ?? "ensemble"
    }
}

/// A task metric of a ladder (an accuracy) and the loss metric it is predicted through.
public struct LadderTask: Sendable, Hashable, Codable {
    /// The task metric (`val_acc`).
    public var metric: String
    /// The loss metric whose scaling law predicts it (`val_loss`).
    public var loss: String

    /// Creates a task.
    public init(metric: String, loss: String) {
        self.metric = metric
        self.loss = loss
    }
}

/// A model ladder: rungs of growing size whose results are fitted to predict the targets.
public struct LadderSpec: Sendable, Hashable, Codable {
    /// How each rung's training budget is set.
    public enum Budget: Sendable, Hashable, Codable {
        /// One explicit budget per rung.
        case perRung([Double])
        /// Budget = factor × the rung's parameter count (20 tokens per parameter).
        case perParameter(Double)
    }

    /// The parameters whose values define a rung's size.
    public var sizeParameters: [String]
    /// One mapping per rung: size parameter → value.
    public var rungs: [[String: ParamValue]]
    /// The model's parameter count for each rung, when known in advance.
    public var parameterCounts: [Double]?
    /// The job parameter that receives the budget, if any.
    public var budgetParameter: String?
    /// How budgets are set.
    public var budget: Budget?
    /// Sizes to predict (never run).
    public var targets: [[String: ParamValue]]
    /// Metrics to fit.
    public var metrics: [String]
    /// Stop scheduling larger rungs once the relative prediction interval is this narrow.
    public var maxIntervalWidth: Double?
    /// Task metrics predicted in two steps: (N, D) → the task's loss metric → the task
    /// metric through a sigmoid (`tasks: {val_acc: val_loss}`). Nil in specs stored before
    /// tasks existed.
    public var tasks: [LadderTask]?

    /// The budget of rung `index`, if a budget is configured.
    public func budget(ofRung index: Int) -> Double? {
        switch budget {
        case .perRung(let values): values[index]
        case .perParameter(let factor): parameterCounts.map { factor * $0[index] }
        case nil: nil
        }
    }
}
