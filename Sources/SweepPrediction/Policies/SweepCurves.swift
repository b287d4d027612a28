/// One run's curve of the watched metric, as a stopping policy sees it: the points reported
/// so far in increasing step order, with running bests and sums kept alongside so that
/// "best by step s" and "running average up to step s" cost a binary search.
public struct RunCurve: Sendable {
    /// Where a run stands.
    public enum State: String, Sendable, Hashable, Codable {
        /// Still reporting.
        case running
        /// Reported its last point: its final value counts.
        case completed
        /// Stopped early (by a policy, a cancellation or a failure): its final value does not count.
        case stopped
    }

    /// The run's identity (a job id online, a curve's index offline).
    public let id: Int64
    /// Reported steps, strictly increasing.
    public private(set) var steps: [Double] = []
    /// The value at each step.
    public private(set) var values: [Double] = []
    /// `bests[i]`: the best of `values[0...i]` under the sweep's direction.
    public private(set) var bests: [Double] = []
    /// `sums[i]`: the sum of `values[0...i]` (for running averages).
    public private(set) var sums: [Double] = []
    /// `costs[i]`: the compute the run had used when it reported point i (seconds since it
    /// started, online; the accumulated cost column, offline); NaN where unknown.
    public private(set) var costs: [Double] = []
    /// Where the run stands.
    public internal(set) var state: State = .running

    /// An empty running curve.
    public init(id: Int64) {
        self.id = id
    }

    /// Number of points.
    public var count: Int { steps.count }
    /// The newest step, if any.
    public var lastStep: Double? { steps.last }
    /// The newest value, if any.
    public var lastValue: Double? { values.last }
    /// The value that counts for ranking: the last value of a completed run, nil otherwise.
    public var finalValue: Double? { state == .completed ? values.last : nil }

    /// Adds a point. A step already present is ignored (reports are idempotent); a step
    /// older than the newest is inserted in order. Non-finite values are ignored.
    /// Returns whether the curve changed.
    @discardableResult
    mutating func insert(step: Double, value: Double, cost: Double?, direction: Direction) -> Bool {
        guard step.isFinite, value.isFinite else { return false }
        let cost = cost.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } ?? .nan
        if let last = steps.last, step <= last {
            let index = firstIndex(atOrAfter: step)
            if index < steps.count, steps[index] == step { return false }
            steps.insert(step, at: index)
            values.insert(value, at: index)
            costs.insert(cost, at: index)
            rebuildPrefixes(from: index, direction: direction)
            return true
        }
        steps.append(step)
        values.append(value)
        costs.append(cost)
        bests.append(bests.last.map { direction.best($0, value) } ?? value)
        sums.append((sums.last ?? 0) + value)
        return true
    }

    private mutating func rebuildPrefixes(from start: Int, direction: Direction) {
        bests.removeSubrange(start...)
        sums.removeSubrange(start...)
        for index in start..<values.count {
            bests.append(bests.last.map { direction.best($0, values[index]) } ?? values[index])
            sums.append((sums.last ?? 0) + values[index])
        }
    }

    /// The index of the first point whose step is at least `step` (`count` when none is).
    public func firstIndex(atOrAfter step: Double) -> Int {
        var low = 0, high = steps.count
        while low < high {
            let middle = (low + high) / 2
            if steps[middle] < step { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The index of the last point whose step is at most `step`, if any.
    public func lastIndex(atOrBefore step: Double) -> Int? {
        var low = 0, high = steps.count
        while low < high {
            let middle = (low + high) / 2
            if steps[middle] <= step { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    /// The best value reported at or before `step`.
    public func best(atOrBefore step: Double) -> Double? {
        lastIndex(atOrBefore: step).map { bests[$0] }
    }

    /// The mean of the values reported at or before `step`.
    public func runningAverage(atOrBefore step: Double) -> Double? {
        lastIndex(atOrBefore: step).map { sums[$0] / Double($0 + 1) }
    }
}

/// Every run of one sweep, for one metric and direction: the state a stopping policy reads.
/// Online the coordinator keeps one per sweep with a policy; offline `sweep replay` builds one
/// as simulated time advances. Both call the same policies on it.
public struct SweepCurves: Sendable {
    /// Whether the metric is minimized or maximized.
    public let direction: Direction
    /// Runs by id.
    public private(set) var runs: [Int64: RunCurve] = [:]
    /// Ids of completed runs, in the order they completed.
    public private(set) var completedRuns: [Int64] = []
    /// The best final value of a completed run.
    public private(set) var incumbent: Double?
    /// The run that holds the incumbent.
    public private(set) var incumbentRun: Int64?

    /// An empty sweep.
    public init(direction: Direction) {
        self.direction = direction
    }

    /// The run with this id.
    public subscript(run: Int64) -> RunCurve? { runs[run] }

    /// Records a point of a run (creating the run on its first point), with the compute the
    /// run had used by then when it is known (`cost`: seconds since the run started, or any
    /// unit shared by the sweep's runs). Returns whether the curve changed: a repeated step or
    /// a non-finite value changes nothing.
    @discardableResult
    public mutating func record(run: Int64, step: Double, value: Double, cost: Double? = nil) -> Bool {
        runs[run, default: RunCurve(id: run)].insert(step: step, value: value, cost: cost, direction: direction)
    }

    /// Forgets a run's points and state: a retry starts a new curve. A completed run that is
    /// restarted no longer holds the incumbent.
    public mutating func restart(run: Int64) {
        guard runs.removeValue(forKey: run) != nil else { return }
        guard let position = completedRuns.firstIndex(of: run) else { return }
        completedRuns.remove(at: position)
        incumbent = nil
        incumbentRun = nil
        for other in completedRuns {
            if let final = runs[other]?.values.last, incumbent.map({ direction.isBetter(final, than: $0) }) ?? true {
                incumbent = final
                incumbentRun = other
            }
        }
    }

    /// Takes back a run's `stopped`: a stop that was decided but could not be carried out (no
    /// worker held the run), so that how the run really ends decides its state. A completed
    /// or running run stays as it is.
    public mutating func resume(run: Int64) {
        guard runs[run]?.state == .stopped else { return }
        runs[run]?.state = .running
    }

    /// Marks a run completed (its last value now counts) or stopped. A run that is already
    /// completed or stopped stays as it is.
    public mutating func finish(run: Int64, as state: RunCurve.State) {
        guard state != .running else { return }
        var curve = runs[run] ?? RunCurve(id: run)
        guard curve.state == .running else { return }
        curve.state = state
        runs[run] = curve
        guard state == .completed else { return }
        completedRuns.append(run)
        if let final = curve.values.last, incumbent.map({ direction.isBetter(final, than: $0) }) ?? true {
            incumbent = final
            incumbentRun = run
        }
    }
}
