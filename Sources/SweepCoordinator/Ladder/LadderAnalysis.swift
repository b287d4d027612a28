import Foundation
public import SweepCore
public import SweepPrediction
public import SweepStore

/// Why a ladder's results cannot be fitted (yet), worded for the user.
public struct LadderAnalysisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of problem.
    public enum Code: String, Sendable, Hashable {
        /// Fewer finished rungs than a fit needs: wait for more.
        case notEnoughRungs
        /// A rung has no parameter count: the ladder needs `params`, or jobs must report one.
        case noParameterCount
    }

    /// The kind.
    public var code: Code
    /// What is wrong and what to do.
    public var message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// A ladder target (a size that is predicted, not run) as the fit places it.
public struct LadderTargetSize: Sendable, Hashable {
    /// The target's size parameters, as the sweep file gives them.
    public var sizes: [String: ParamValue]
    /// The sizes as text, such as `width=256`.
    public var label: String
    /// Its parameter count and budget; nil when they cannot be told from the ladder.
    public var target: LadderTarget?
    /// How N and D were found (or why not), when not given directly.
    public var note: String?
}

/// The points of one metric of a ladder, ready for ``LadderFitter``.
public struct LadderDataset: Sendable {
    /// The metric fitted (the loss metric of a task).
    public var metric: String
    /// A task: the metric predicted in two steps through `metric` (nil for a loss metric).
    public var task: String?
    /// The loss law's forms to weigh, the first preferred on a tie (see
    /// ``LadderFitConfiguration/forms``): one form, or for `joint` the automatic choice
    /// between it and `equal-exponents`.
    public var forms: [LossLawForm]
    /// One point per finished job that reported the metric.
    public var observations: [LadderObservation]
    /// The job of each point.
    public var jobs: [Int64]
    /// The distinct rungs among the points, ascending.
    public var rungs: [Int]
    /// Every target of the ladder, in the sweep file's order.
    public var targets: [LadderTargetSize]
    /// Points left out, and how the targets were placed.
    public var warnings: [String]

    /// The targets that can be predicted, in order: `LadderFit.predictions` pairs with these.
    public var predictableTargets: [LadderTarget] { targets.compactMap(\.target) }
}

/// Turns a ladder sweep's finished rung jobs into scaling-law points and targets: the pure
/// part of the coordinator's refits and of `sweep ladder show`, so both fit the same way.
///
/// - N, a point's parameter count: the `params` metric the job reported, when it did (the
///   program knows its own size best); else the rung's `ladder.params` entry, or its size
///   value when the ladder is sized by one numeric parameter.
/// - D, a point's budget (tokens or steps): the value of `ladder.budget.parameter` in the
///   job's parameters; none without a budget.
/// - The form: `parameters` (E + A/N^α) without budgets; with budgets, `joint`
///   (E + A/N^α + B/D^β, or E + A/N^α + B/D^α when that predicts the largest rung from the
///   smaller ones better) when the points hold at least six (N, D) pairs off one power-law
///   line, else `compute` (E + A/C^α, C = 6·N·D): along a ladder whose budget grows as a
///   power of N, N and D cannot be told apart, and one term in C captures both.
/// - A target's N: its size value when every rung's N equals its size value; otherwise
///   the log-log line of the rungs' N against their size value, extrapolated. Its D:
///   `per_param × N`, or the log-log line of the rungs' budgets against their N.
public struct LadderAnalysis: Sendable {
    /// Rungs that must have finished before a fit is made: a three-parameter law through
    /// two sizes fits anything, and its intervals mean nothing.
    public static let minimumRungs = 3
    /// The metric a program may report to give its exact parameter count.
    public static let parameterCountMetric = "params"
    /// Points a joint fit needs at least (five parameters, plus one).
    public static let minimumJointPairs = 6

    /// The ladder.
    public var ladder: LadderSpec

    /// An analysis of `ladder`.
    public init(ladder: LadderSpec) {
        self.ladder = ladder
    }

    /// The points and targets of `metric` among `results` (only succeeded jobs count).
    /// - Parameter form: the loss law to fit instead of the default described above.
    /// With `task`, each point also carries that metric, for the two-step prediction.
    public func dataset(metric: String, task: String? = nil, results: [LadderRungResult], form requestedForm: LossLawForm? = nil) throws(LadderAnalysisError) -> LadderDataset {
        var observations: [LadderObservation] = []
        var jobs: [Int64] = []
        var rungOfPoint: [Int] = []
        var warnings: [String] = []
        var missing: [Int64] = []
        for result in results where result.state == .succeeded && ladder.rungs.indices.contains(result.rung) {
            guard let value = result.finalMetrics[metric] else {
                missing.append(result.job)
                continue
            }
            guard value > 0 else {
                warnings.append("job \(result.job) (rung \(result.rung)) reported \(metric) = \(value), left out: loss laws are fitted to values greater than 0")
                continue
            }
            var accuracy: Double?
            if let task {
                guard let value = result.finalMetrics[task], value.isFinite else {
                    missing.append(result.job)
                    continue
                }
                accuracy = value
            }
            guard let parameters = parameterCount(of: result) else {
                throw LadderAnalysisError(.noParameterCount, "rung \(result.rung) (\(label(ladder.rungs[result.rung]))) has no parameter count: add 'ladder.params' to the sweep file, or let the program report a '\(Self.parameterCountMetric)' metric")
            }
            let tokens = result.budget ?? ladder.budget(ofRung: result.rung)
            observations.append(LadderObservation(parameters: parameters, tokens: tokens, loss: value, accuracy: accuracy, run: "job \(result.job)"))
            jobs.append(result.job)
            rungOfPoint.append(result.rung)
        }
        if !missing.isEmpty {
            warnings.append("\(missing.count) finished job(s) reported no \(task.map { "\(metric) or \($0)" } ?? metric) (jobs \(missing.prefix(5).map(String.init).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")) and are left out")
        }
        let rungs = Array(Set(rungOfPoint)).sorted()
        guard rungs.count >= Self.minimumRungs else {
            throw LadderAnalysisError(.notEnoughRungs, "\(metric): \(rungs.count) of the ladder's \(ladder.rungs.count) rungs have finished jobs that reported it; a fit needs at least \(Self.minimumRungs)")
        }
        let hasTokens = observations.allSatisfy { $0.tokens != nil }
        let forms = requestedForm.map { [$0] } ?? Self.defaultForms(observations)
        // Per rung: the geometric mean of its points' N and D, for placing the targets.
        var rungParameters: [Int: Double] = [:], rungTokens: [Int: Double] = [:]
        for rung in rungs {
            let points = rungOfPoint.indices.filter { rungOfPoint[$0] == rung }.map { observations[$0] }
            rungParameters[rung] = Self.geometricMean(points.map(\.parameters))
            if hasTokens { rungTokens[rung] = Self.geometricMean(points.compactMap(\.tokens)) }
        }
        let targets = ladder.targets.map { placeTarget($0, rungs: rungs, parameters: rungParameters, tokens: hasTokens ? rungTokens : nil) }
        return LadderDataset(metric: metric, task: task, forms: forms, observations: observations, jobs: jobs, rungs: rungs, targets: targets, warnings: warnings)
    }

    /// The default forms for these points: the default form, and for `joint` its
    /// equal-exponent variant too, the fit keeping whichever predicts the largest rung better.
    public static func defaultForms(_ observations: [LadderObservation]) -> [LossLawForm] {
        let form = defaultForm(observations)
        return form == .joint ? LadderFitConfiguration.automaticForms : [form]
    }

    /// The default form for these points (see the type's documentation).
    public static func defaultForm(_ observations: [LadderObservation]) -> LossLawForm {
        let tokens = observations.compactMap(\.tokens)
        guard tokens.count == observations.count, !tokens.isEmpty else { return .parameters }
        var pairs: [(Double, Double)] = []
        for observation in observations where !pairs.contains(where: { $0.0 == observation.parameters && $0.1 == observation.tokens! }) {
            pairs.append((observation.parameters, observation.tokens!))
        }
        guard pairs.count >= minimumJointPairs, let line = LogLogLine(pairs.map { ($0.0, $0.1) }) else { return .compute }
        let offLine = pairs.contains { abs(log($0.1) - line.logValue(at: $0.0)) > 1e-6 }
        return offLine ? .joint : .compute
    }

    /// A point's N (see the type's documentation).
    func parameterCount(of result: LadderRungResult) -> Double? {
        if let reported = result.finalMetrics[Self.parameterCountMetric], reported > 0 { return reported }
        if let counts = ladder.parameterCounts, counts.indices.contains(result.rung), counts[result.rung] > 0 { return counts[result.rung] }
        if ladder.sizeParameters.count == 1, let value = result.sizes[ladder.sizeParameters[0]]?.numberValue, value > 0 { return value }
        return nil
    }

    /// A target's N and D from the rungs' trends (see the type's documentation).
    func placeTarget(_ sizes: [String: ParamValue], rungs: [Int], parameters: [Int: Double], tokens: [Int: Double]?) -> LadderTargetSize {
        var placed = LadderTargetSize(sizes: sizes, label: label(sizes), target: nil, note: nil)
        guard ladder.sizeParameters.count == 1 else {
            placed.note = "a ladder sized by several parameters gives its targets no parameter count, so \(placed.label) is not predicted"
            return placed
        }
        let name = ladder.sizeParameters[0]
        guard let size = sizes[name]?.numberValue, size > 0 else {
            placed.note = "the target's \(name) is not a number greater than 0"
            return placed
        }
        let rungSizes = rungs.compactMap { rung in ladder.rungs[rung][name]?.numberValue.map { (rung, $0) } }
        var notes: [String] = []
        let count: Double
        if rungSizes.allSatisfy({ abs(parameters[$0.0]! / $0.1 - 1) < 1e-9 }) {
            count = size
        } else if let line = LogLogLine(rungSizes.map { ($0.1, parameters[$0.0]!) }) {
            count = exp(line.logValue(at: size))
            notes.append("N ≈ \(Self.format(exp(line.intercept)))·\(name)^\(Self.format(line.slope)) from the rungs")
        } else {
            placed.note = "the rungs' parameter counts do not follow their \(name), so \(placed.label) is not predicted"
            return placed
        }
        var budget: Double?
        if let tokens {
            if case .perParameter(let factor) = ladder.budget {
                budget = factor * count
            } else if let line = LogLogLine(rungs.map { (parameters[$0]!, tokens[$0]!) }) {
                budget = exp(line.logValue(at: count))
                notes.append("D ≈ \(Self.format(exp(line.intercept)))·N^\(Self.format(line.slope)) from the rungs' budgets")
            } else if let largest = rungs.last {
                budget = tokens[largest]
                notes.append("D = the largest rung's budget")
            }
        }
        placed.target = LadderTarget(parameters: count, tokens: budget)
        placed.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        return placed
    }

    /// Sizes as text: `width=256`, `width=256,depth=4`.
    func label(_ sizes: [String: ParamValue]) -> String {
        ladder.sizeParameters.map { "\($0)=\(sizes[$0]?.displayText ?? "?")" }.joined(separator: ",")
    }

    static func geometricMean(_ values: [Double]) -> Double {
        exp(values.map(log).reduce(0, +) / Double(values.count))
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }
}

/// The least-squares line through points in log-log space: log y = intercept + slope·log x.
struct LogLogLine: Sendable {
    var intercept: Double
    var slope: Double

    /// nil with fewer than two distinct x values.
    init?(_ points: [(x: Double, y: Double)]) {
        let logs = points.filter { $0.x > 0 && $0.y > 0 }.map { (log($0.x), log($0.y)) }
        guard logs.count >= 2 else { return nil }
        let meanX = logs.map(\.0).reduce(0, +) / Double(logs.count)
        let meanY = logs.map(\.1).reduce(0, +) / Double(logs.count)
        let spread = logs.map { ($0.0 - meanX) * ($0.0 - meanX) }.reduce(0, +)
        guard spread > 1e-12 else { return nil }
        slope = logs.map { ($0.0 - meanX) * ($0.1 - meanY) }.reduce(0, +) / spread
        intercept = meanY - slope * meanX
    }

    func logValue(at x: Double) -> Double { intercept + slope * log(x) }
}
