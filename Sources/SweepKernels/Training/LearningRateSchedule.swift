/// How the learning rate decays after the warmup.
public enum ScheduleKind: String, CaseIterable, Sendable {
    /// The base rate throughout.
    case constant
    /// Half a cosine from the base rate down to the minimum over the remaining steps.
    case cosine
    /// A straight line from the base rate down to the minimum over the remaining steps.
    case linear

    /// The accepted names, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The learning rate at each step: a linear warmup from `base / warmupSteps` to `base`
/// over the first `warmupSteps` steps, then the decay of `kind` down to `minimum` at the
/// last step.
public struct LearningRateSchedule: Sendable, Equatable {
    /// The decay after the warmup.
    public var kind: ScheduleKind
    /// The peak (and, for `constant`, the only) learning rate.
    public var base: Double
    /// The rate the decay ends at.
    public var minimum: Double
    /// Steps of linear warmup (0: none).
    public var warmupSteps: Int
    /// The total number of steps.
    public var totalSteps: Int

    /// Creates a schedule.
    public init(kind: ScheduleKind, base: Double, minimum: Double = 0, warmupSteps: Int = 0, totalSteps: Int) {
        self.kind = kind
        self.base = base
        self.minimum = minimum
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The rate for step `step` (0-based).
    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let decaySteps = totalSteps - warmupSteps - 1
        guard decaySteps > 0 else { return base }
        let progress = min(1, Double(step - warmupSteps) / Double(decaySteps))
        switch kind {
        case .constant: return base
        case .cosine: return minimum + (base - minimum) * (1 + Double.cosine(Double.pi * progress)) / 2
        case .linear: return base + (minimum - base) * progress
        }
    }
}
