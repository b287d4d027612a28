/// A sweep as written in YAML, validated and typed: the W&B keys plus Sweep's extensions.
public struct SweepSpec: Sendable, Hashable, Codable {
    /// How configurations are chosen.
    public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
        /// Every combination of the parameters' values.
        case grid
        /// Independent random draws.
        case random
        /// Scrambled Sobol quasi-random draws (Sweep's extension): covers the space more evenly.
        case sobol
        /// Bayesian optimization (parsed, not supported yet).
        case bayes
    }

    /// Name shown in listings (W&B `name`).
    public var name: String?
    /// Free text (W&B `description`).
    public var description: String?
    /// W&B `project`, kept for compatibility; informational.
    public var project: String?
    /// W&B `entity`, kept for compatibility; informational.
    public var entity: String?
    /// The training script a command runs (W&B `program`).
    public var program: String?
    /// The search method.
    public var method: Method
    /// The objective.
    public var metric: MetricSpec?
    /// Parameter leaves in declaration order; nested parameters have multi-part paths.
    public var parameters: [ParameterSpec]
    /// At most this many configurations (W&B `run_cap`).
    public var runCap: Int?
    /// The command line of a command job.
    public var command: CommandTemplate?
    /// W&B `early_terminate` (hyperband).
    public var earlyTerminate: HyperbandSpec?
    /// Seed of deterministic expansion.
    public var seed: UInt64
    /// Replicate seeds: each configuration runs once per seed.
    public var seeds: [Int64]
    /// A built-in kernel instead of a command.
    public var kernel: KernelSpec?
    /// What a job needs from a worker.
    public var resources: ResourceSpec
    /// How failed attempts are retried.
    public var retries: RetryPolicy
    /// The number of steps a run takes at most, if known.
    public var maxSteps: Int?
    /// Higher priority sweeps' jobs are claimed first.
    public var priority: Int
    /// Early-stopping policy (Sweep's form; `early_terminate` maps onto it).
    public var earlyStop: EarlyStopSpec?
    /// A model ladder: rungs of increasing size whose results predict the targets.
    public var ladder: LadderSpec?

    /// Creates a spec; the decoder is the usual way to get one.
    public init(
        method: Method, parameters: [ParameterSpec], metric: MetricSpec? = nil,
        program: String? = nil, command: CommandTemplate? = nil, runCap: Int? = nil, seed: UInt64 = 0
    ) {
        self.method = method
        self.parameters = parameters
        self.metric = metric
        self.program = program
        self.command = command
        self.runCap = runCap
        self.seed = seed
        self.seeds = [0]
        self.resources = ResourceSpec()
        self.retries = RetryPolicy()
        self.priority = 0
    }
}

/// The objective of a sweep.
public struct MetricSpec: Sendable, Hashable, Codable {
    /// Whether smaller or larger is better.
    public enum Goal: String, Sendable, Hashable, Codable, CaseIterable {
        case minimize, maximize
    }

    /// The metric's name as the program reports it.
    public var name: String
    /// Minimize (the W&B default) or maximize.
    public var goal: Goal
    /// A value that, once reached, ends the sweep.
    public var target: Double?

    /// Creates a metric.
    public init(name: String, goal: Goal = .minimize, target: Double? = nil) {
        self.name = name
        self.goal = goal
        self.target = target
    }

    /// Whether `a` is better than `b` under this goal.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        goal == .minimize ? a < b : a > b
    }
}

/// One parameter leaf: its path (nested parameters have several parts) and distribution.
public struct ParameterSpec: Sendable, Hashable, Codable {
    /// `["optimizer", "lr"]` for a nested parameter, `["lr"]` otherwise.
    public var path: [String]
    /// How its values are chosen.
    public var distribution: Distribution
    /// Where it was declared.
    public var location: SourceLocation?

    /// Creates a parameter.
    public init(path: [String], distribution: Distribution, location: SourceLocation? = nil) {
        self.path = path
        self.distribution = distribution
        self.location = location
    }

    /// `optimizer.lr`.
    public var dottedName: String { path.joined(separator: ".") }
}

