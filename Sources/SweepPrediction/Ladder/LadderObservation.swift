/// One measured point of a model ladder: a model of `parameters` parameters trained on
/// `tokens` tokens reached `loss` (and, for a downstream task, `accuracy`).
public struct LadderObservation: Sendable, Hashable, Codable {
    /// The model's parameter count N.
    public var parameters: Double
    /// The training tokens D seen when the point was measured; nil when unknown (size-only fits).
    public var tokens: Double?
    /// The (task or validation) loss at this point; must be greater than 0.
    public var loss: Double
    /// The task's accuracy (or any score) at this point, for the two-step task prediction.
    public var accuracy: Double?
    /// The training run the point belongs to, so that checkpoints of one run count their
    /// compute once; nil makes each point its own run.
    public var run: String?

    /// An observation.
    public init(parameters: Double, tokens: Double? = nil, loss: Double, accuracy: Double? = nil, run: String? = nil) {
        self.parameters = parameters
        self.tokens = tokens
        self.loss = loss
        self.accuracy = accuracy
        self.run = run
    }

    /// Training compute in FLOPs by the usual estimate C ≈ 6·N·D; nil without tokens.
    public var compute: Double? { tokens.map { LadderCompute.flops(parameters: parameters, tokens: $0) } }
}

/// A model size to predict: parameters and training tokens.
public struct LadderTarget: Sendable, Hashable, Codable {
    /// Tokens per parameter assumed when a target gives no tokens (the Chinchilla-optimal ratio).
    public static let defaultTokensPerParameter = 20.0

    /// The target's parameter count N.
    public var parameters: Double
    /// The target's training tokens D.
    public var tokens: Double

    /// A target; `tokens` defaults to ``defaultTokensPerParameter`` × `parameters`.
    public init(parameters: Double, tokens: Double? = nil) {
        self.parameters = parameters
        self.tokens = tokens ?? Self.defaultTokensPerParameter * parameters
    }

    /// The target's training compute, 6·N·D FLOPs.
    public var compute: Double { LadderCompute.flops(parameters: parameters, tokens: tokens) }
}

/// Training-compute estimates.
public enum LadderCompute {
    /// FLOPs per parameter per token of a forward and backward pass (Kaplan et al. 2020).
    public static let flopsPerParameterToken = 6.0

    /// C ≈ 6·N·D.
    public static func flops(parameters: Double, tokens: Double) -> Double {
        flopsPerParameterToken * parameters * tokens
    }

    /// The compute a ladder spent: each run's 6·N·D at its last (largest-D) point, summed;
    /// nil when some point has no tokens.
    public static func ladderFlops(_ observations: [LadderObservation]) -> Double? {
        var byRun: [String: Double] = [:]
        var unnamed = 0.0
        for observation in observations {
            guard let compute = observation.compute else { return nil }
            if let run = observation.run {
                byRun[run] = max(byRun[run] ?? 0, compute)
            } else {
                unnamed += compute
            }
        }
        return byRun.values.reduce(unnamed, +)
    }
}
