/// What a policy decided about a run at one of its reports, and why: stored in
/// `sweep.stop_decisions` (continue and stop alike) and printed by `sweep replay`.
public struct StopDecision: Sendable, Hashable, Codable {
    /// Continue or stop.
    public enum Verdict: String, Sendable, Hashable, Codable {
        case `continue`, stop
    }

    /// The policy that decided (`median`, `asha`, …).
    public var policy: String
    /// Continue or stop.
    public var verdict: Verdict
    /// The run's step the decision was taken at.
    public var step: Double
    /// A sentence for people (`val_loss 0.41 is worse than the median 0.33 of 6 runs at step 10`).
    public var reason: String
    /// The numbers behind the decision.
    public var evidence: DecisionEvidence

    /// Creates a decision.
    public init(policy: String, verdict: Verdict, step: Double, reason: String, evidence: DecisionEvidence) {
        self.policy = policy
        self.verdict = verdict
        self.step = step
        self.reason = reason
        self.evidence = evidence
    }

    /// Whether the run is to stop.
    public var stops: Bool { verdict == .stop }
}

/// The numbers behind a decision; each policy fills the fields it uses. Encoded as a JSON
/// object without the nil fields.
public struct DecisionEvidence: Sendable, Hashable, Codable {
    /// The run's value compared (its best, its value at a rung, or its latest).
    public var value: Double?
    /// The cut-off the value was compared with (median, rung quantile, band threshold, fixed value).
    public var cutoff: Double?
    /// How many other runs the cut-off came from.
    public var compared: Int?
    /// The rung or band (a step, or a report count for hyperband).
    public var rung: Double?
    /// predict: the step whose value was predicted.
    public var horizon: Double?
    /// predict: the predicted mean at the horizon.
    public var predictedMean: Double?
    /// predict: the 10% quantile of the prediction.
    public var lower: Double?
    /// predict: the 90% quantile of the prediction.
    public var upper: Double?
    /// predict: P(the run's final value is better than the incumbent).
    public var probability: Double?
    /// The best final value of a completed run when the decision was taken.
    public var incumbent: Double?
    /// Completed runs when the decision was taken.
    public var completed: Int?
    /// Points of the run's curve that were used.
    public var points: Int?
    /// predict with cost awareness: the run's expected remaining compute as a fraction of a
    /// completed run's.
    public var relativeRemainingCost: Double?
    /// predict with cost awareness: the threshold the probability was compared with.
    public var threshold: Double?
    /// predict: why there was no prediction ("3 points; at least 5 needed").
    public var insufficient: String?

    /// Empty evidence.
    public init() {}

    /// The JSON keys (those the `stop_decisions` view reads are `predicted_mean`,
    /// `interval_low`, `interval_high`, `probability` and `incumbent`).
    enum CodingKeys: String, CodingKey {
        case value, cutoff, compared, rung, horizon, probability, incumbent, completed, points, insufficient
        case predictedMean = "predicted_mean"
        case lower = "interval_low"
        case upper = "interval_high"
        case relativeRemainingCost = "relative_remaining_cost"
        case threshold
    }
}
