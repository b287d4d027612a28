/// One recorded curve to replay: its points in increasing step order and what each cost.
public struct ReplayCurve: Sendable, Hashable, Codable {
    /// The curve's name in its source (a CSV's curve_id, a job id).
    public var id: String
    /// Steps, strictly increasing.
    public var steps: [Double]
    /// The metric at each step.
    public var values: [Double]
    /// The compute each point took to produce (incremental).
    public var costs: [Double]

    /// Creates a curve; with no costs, a point costs the steps since the previous one (the
    /// first costs its own step).
    public init(id: String, steps: [Double], values: [Double], costs: [Double]? = nil) {
        self.id = id
        self.steps = steps
        self.values = values
        self.costs = costs ?? steps.indices.map { $0 == 0 ? max(steps[0], 0) : steps[$0] - steps[$0 - 1] }
    }

    /// The final value: the value at the last step.
    public var finalValue: Double? { values.last }
    /// The compute of the whole curve.
    public var totalCost: Double { costs.reduce(0, +) }
}

/// What one replay of one sweep under one policy came to.
public struct ReplayOutcome: Sendable, Hashable, Codable {
    /// Curves in the sweep.
    public var curves: Int
    /// Compute of the reported points.
    public var computeUsed: Double
    /// Compute of every point of every curve (running everything to the end).
    public var computeFull: Double
    /// Simulated wall time with the policy, and without it.
    public var makespan: Double
    /// Simulated wall time running everything to the end.
    public var makespanFull: Double
    /// Best final value among completed runs.
    public var foundBest: Double?
    /// Best final value among all curves.
    public var trueBest: Double?
    /// The curve holding the true best.
    public var trueBestCurve: String?
    /// Whether the true best curve was stopped.
    public var trueBestStopped: Bool
    /// How many of the true top-k were stopped, and k.
    public var topKStopped: Int
    /// The k of `topKStopped`.
    public var topK: Int
    /// Runs stopped.
    public var stopped: Int
    /// Decisions evaluated (continue and stop).
    public var decisions: Int

    /// 1 − used/full.
    public var computeSaved: Double { computeFull > 0 ? 1 - computeUsed / computeFull : 0 }
    /// |found − true|; nil when nothing completed.
    public var regret: Double? {
        guard let foundBest, let trueBest else { return nil }
        return abs(foundBest - trueBest)
    }
    /// regret / |true best|.
    public var relativeRegret: Double? {
        guard let regret, let trueBest, trueBest != 0 else { return nil }
        return regret / abs(trueBest)
    }
}

/// Replays recorded curves through a stopping policy in simulated time with parallel workers.
///
/// Semantics (the Optuna harness in Benchmarks/early-stopping implements the same): curves
/// start in order, each on the next free worker; a curve started at t0 reports point j at
/// t0 + the costs of points 0…j. Reports are processed in time order, ties by curve index
/// then point index. At every report but a curve's last the policy decides; a stop ends the
/// curve there, and the worker takes the next curve at that time. A curve that reports its
/// last point is completed; only completed curves' final values count as found.
public struct ReplaySimulator: Sendable {
    /// The policy.
    public var rule: StoppingRule
    /// Minimize or maximize.
    public var direction: Direction
    /// Parallel workers.
    public var workers: Int
    /// The model `predict` uses.
    public var forecaster: (any CurveForecaster)?
    /// k for "how many of the true top-k were stopped".
    public var topK: Int

    /// Creates a simulator.
    public init(rule: StoppingRule, direction: Direction, workers: Int = 4, forecaster: (any CurveForecaster)? = nil, topK: Int = 5) {
        self.rule = rule
        self.direction = direction
        self.workers = max(1, workers)
        self.forecaster = forecaster
        self.topK = topK
    }

    /// Replays one sweep; `onDecision` sees every decision with the curve's index.
    public func run(_ curves: [ReplayCurve], onDecision: (Int, StopDecision) -> Void = { _, _ in }) -> ReplayOutcome {
        var sweep = SweepCurves(direction: direction)
        // Active curves: (index, next point, time of the next point, its compute so far).
        var active: [(index: Int, next: Int, time: Double, spent: Double)] = []
        var nextCurve = 0
        var used = 0.0, makespan = 0.0
        var stoppedCurves = Set<Int>()
        var decisions = 0

        func start(at time: Double) {
            while active.count < workers, nextCurve < curves.count {
                let curve = curves[nextCurve]
                if !curve.steps.isEmpty {
                    active.append((nextCurve, 0, time + curve.costs[0], curve.costs[0]))
                }
                nextCurve += 1
            }
        }
        start(at: 0)
        while !active.isEmpty {
            var earliest = 0
            for position in active.indices.dropFirst() {
                let a = active[position], b = active[earliest]
                if a.time < b.time || (a.time == b.time && a.index < b.index) { earliest = position }
            }
            let (index, point, time, spent) = active[earliest]
            let curve = curves[index]
            let id = Int64(index)
            used += curve.costs[point]
            makespan = max(makespan, time)
            sweep.record(run: id, step: curve.steps[point], value: curve.values[point], cost: spent)
            var ends = point == curve.steps.count - 1
            if ends {
                sweep.finish(run: id, as: .completed)
            } else if let decision = rule.evaluate(run: id, in: sweep, forecaster: forecaster) {
                decisions += 1
                onDecision(index, decision)
                if decision.stops {
                    sweep.finish(run: id, as: .stopped)
                    stoppedCurves.insert(index)
                    ends = true
                }
            }
            if ends {
                active.remove(at: earliest)
                start(at: time)
            } else {
                active[earliest] = (index, point + 1, time + curve.costs[point + 1], spent + curve.costs[point + 1])
            }
        }

        let finals = curves.indices.compactMap { index in curves[index].finalValue.map { (index, $0) } }
        let ranked = finals.sorted { direction.isBetter($0.1, than: $1.1) || ($0.1 == $1.1 && $0.0 < $1.0) }
        let topK = ranked.prefix(topK)
        let found = sweep.incumbent
        return ReplayOutcome(
            curves: curves.count,
            computeUsed: used,
            computeFull: curves.reduce(0) { $0 + $1.totalCost },
            makespan: makespan,
            makespanFull: Self.makespanRunningEverything(curves, workers: workers),
            foundBest: found,
            trueBest: ranked.first?.1,
            trueBestCurve: ranked.first.map { curves[$0.0].id },
            trueBestStopped: ranked.first.map { stoppedCurves.contains($0.0) } ?? false,
            topKStopped: topK.filter { stoppedCurves.contains($0.0) }.count,
            topK: topK.count,
            stopped: stoppedCurves.count,
            decisions: decisions)
    }

    /// The simulated wall time of running every curve to its end on `workers` workers.
    static func makespanRunningEverything(_ curves: [ReplayCurve], workers: Int) -> Double {
        var free = Array(repeating: 0.0, count: max(1, workers))
        for curve in curves where !curve.steps.isEmpty {
            let worker = free.indices.min { free[$0] < free[$1] || (free[$0] == free[$1] && $0 < $1) } ?? 0
            free[worker] += curve.totalCost
        }
        return free.max() ?? 0
    }
}

extension ReplayCurve {
    /// The same curve with its steps replaced by report counts 1, 2, 3, … (W&B's iterations);
    /// without explicit costs, each report then costs 1.
    public func indexed(keepingCosts: Bool) -> ReplayCurve {
        ReplayCurve(id: id, steps: steps.indices.map { Double($0 + 1) }, values: values, costs: keepingCosts ? costs : nil)
    }
}
