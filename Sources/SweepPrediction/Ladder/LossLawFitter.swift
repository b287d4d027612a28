import Foundation

/// Fits a loss law by Hoffmann et al.'s approach 3: the law is written as a log-sum-exp,
///
///     log L̂ = LSE(e, a₁ − α₁·x₁, a₂ − α₂·x₂)   with E = eᵉ, A = eᵃ, x = log N (or log D, log C),
///
/// so E, A, B stay positive without constraints, and the Huber penalty of log L̂ − log L is
/// minimised from the best points of a grid of starts. Each variable is centred on the log
/// of its geometric mean, which makes one grid fit sizes from thousands to trillions.
///
/// The parameter vector is (e, a₁, α₁, a₂, α₂, …), or (e, a₁, a₂, …, α) when the form's
/// terms share one exponent (``Layout``).
struct LossLawFitter: Sendable {
    var configuration: LadderFitConfiguration

    /// Where each term's coefficient and exponent sit in the parameter vector.
    struct Layout: Sendable {
        var termCount: Int
        var sharedExponent: Bool
        /// The length of the parameter vector (``LossLawForm/parameterCount``).
        var width: Int

        init(_ form: LossLawForm) {
            termCount = form.variables.count
            sharedExponent = form.sharesExponent
            width = form.parameterCount
        }
        func coefficient(_ term: Int) -> Int { sharedExponent ? 1 + term : 1 + 2 * term }
        func exponent(_ term: Int) -> Int { sharedExponent ? 1 + termCount : 2 + 2 * term }
    }

    /// The fitted parameter vector (e, a₁, α₁, …) and its Huber objective.
    struct Solution: Sendable {
        var parameters: [Double]
        var objective: Double
    }

    /// A fit's points in the fitter's coordinates.
    struct Points: Sendable {
        /// Per term: log(variable) − centre, one entry per point.
        var logVariables: [[Double]]
        var logLoss: [Double]

        var count: Int { logLoss.count }

        /// The points at `indices` (a bootstrap resample).
        func resampled(_ indices: [Int]) -> Points {
            Points(logVariables: logVariables.map { column in indices.map { column[$0] } }, logLoss: indices.map { logLoss[$0] })
        }
    }

    /// The data of one fit, checked, with its centring.
    struct Problem: Sendable {
        var form: LossLawForm
        var centers: [Double]
        var points: Points
        /// log of the smallest and of the mean loss, which scale the grid and the bounds.
        var logMinimumLoss: Double
        var logMeanLoss: Double

        var parameterCount: Int { form.parameterCount }
        var layout: Layout { Layout(form) }

        init(_ observations: [LadderObservation], form: LossLawForm) throws {
            self.form = form
            let needed = form.parameterCount + 1
            guard observations.count >= needed else {
                throw LadderFitError(.tooFewPoints, "a \(form.rawValue) loss law has \(needed - 1) parameters and needs at least \(needed) points, found \(observations.count)")
            }
            for (index, observation) in observations.enumerated() {
                try Self.check(observation.parameters, "parameter count", index: index)
                try Self.check(observation.loss, "loss", index: index)
                if form.needsTokens {
                    guard let tokens = observation.tokens else {
                        throw LadderFitError(.missingTokens, "point \(index + 1) has no token count, which a \(form.rawValue) law needs; give tokens for every point or fit the 'parameters' form")
                    }
                    try Self.check(tokens, "token count", index: index)
                }
            }
            var columns: [[Double]] = []
            var centers: [Double] = []
            for variable in form.variables {
                let logs = observations.map { log(variable.value(parameters: $0.parameters, tokens: $0.tokens)!) }
                let distinct = Set(logs.map { ($0 * 1e9).rounded() }).count
                guard distinct >= 2 else {
                    throw LadderFitError(.tooFewDistinctValues, "every point has the same \(variable.rawValue) (\(LadderFormat.number(exp(logs[0])))); a \(form.rawValue) law needs at least 2 different values (3 or more recommended)")
                }
                let center = logs.reduce(0, +) / Double(logs.count)
                centers.append(center)
                columns.append(logs.map { $0 - center })
            }
            self.centers = centers
            let logLoss = observations.map { log($0.loss) }
            points = Points(logVariables: columns, logLoss: logLoss)
            logMinimumLoss = logLoss.min()!
            logMeanLoss = log(observations.map(\.loss).reduce(0, +) / Double(observations.count))
        }

        private static func check(_ value: Double, _ what: String, index: Int) throws {
            guard value.isFinite else {
                throw LadderFitError(.nonFiniteValue, "point \(index + 1) has a \(what) of \(value); every \(what) must be a finite number")
            }
            guard value > 0 else {
                throw LadderFitError(.nonPositiveValue, "point \(index + 1) has a \(what) of \(LadderFormat.number(value)); every \(what) must be greater than 0 (losses are fitted on a log scale)")
            }
        }

        /// Lower and upper bounds of (e, a₁, α₁, …).
        func bounds(exponents: ClosedRange<Double>) -> (lower: [Double], upper: [Double]) {
            let layout = layout
            var lower = [Double](repeating: 0, count: layout.width), upper = lower
            lower[0] = logMinimumLoss - 12
            upper[0] = logMinimumLoss + 0.5
            for term in form.variables.indices {
                lower[layout.coefficient(term)] = logMeanLoss - 25
                upper[layout.coefficient(term)] = logMeanLoss + 15
                lower[layout.exponent(term)] = exponents.lowerBound
                upper[layout.exponent(term)] = exponents.upperBound
            }
            return (lower, upper)
        }

        /// The grid of starting points: E a fraction of the smallest loss, each term a
        /// fraction of the mean loss at the centre, exponents from shallow to steep.
        func grid(exponents: ClosedRange<Double>) -> [[Double]] {
            let eValues = [0.05, 0.3, 0.6, 0.85].map { logMinimumLoss + log($0) }
            let aValues = [0.03, 0.1, 0.3, 1.0].map { logMeanLoss + log($0) }
            let exponentValues = [0.1, 0.3, 0.6, 1.0, 1.5].map { min(max($0, exponents.lowerBound), exponents.upperBound) }
            var starts: [[Double]] = eValues.map { [$0] }
            if form.sharesExponent {
                for _ in form.variables { starts = starts.flatMap { start in aValues.map { start + [$0] } } }
                return starts.flatMap { start in exponentValues.map { start + [$0] } }
            }
            for _ in form.variables {
                var extended: [[Double]] = []
                for start in starts { for a in aValues { for exponent in exponentValues { extended.append(start + [a, exponent]) } } }
                starts = extended
            }
            return starts
        }

        /// The law a parameter vector stands for, in the data's own units.
        func law(_ parameters: [Double]) -> LossLaw {
            let layout = layout
            var terms: [PowerLawTerm] = []
            for (index, variable) in form.variables.enumerated() {
                let a = parameters[layout.coefficient(index)], exponent = parameters[layout.exponent(index)]
                // eᵃ·exp(−α(log v − c)) = e^(a + α·c) / v^α.
                terms.append(PowerLawTerm(variable: variable, coefficient: exp(a + exponent * centers[index]), exponent: exponent))
            }
            return LossLaw(form: form, irreducibleLoss: exp(parameters[0]), terms: terms)
        }
    }

    /// The model of `points` for the optimiser: residuals log L̂ − log L and their Jacobian.
    static func model(_ points: Points, layout: Layout) -> LadderOptimizer.Model {
        let termCount = layout.termCount
        let width = layout.width
        return { parameters, residuals, jacobian in
            var exponents = [Double](repeating: 0, count: termCount)
            for point in 0..<points.count {
                // Log-sum-exp with the largest exponent factored out, for stability.
                var largest = parameters[0]
                for term in 0..<termCount {
                    exponents[term] = parameters[layout.coefficient(term)] - parameters[layout.exponent(term)] * points.logVariables[term][point]
                    largest = max(largest, exponents[term])
                }
                let irreducible = exp(parameters[0] - largest)
                var sum = irreducible
                for term in 0..<termCount {
                    exponents[term] = exp(exponents[term] - largest)
                    sum += exponents[term]
                }
                residuals[point] = largest + log(sum) - points.logLoss[point]
                let row = point * width
                jacobian[row] = irreducible / sum
                if layout.sharedExponent { jacobian[row + layout.exponent(0)] = 0 }
                for term in 0..<termCount {
                    let share = exponents[term] / sum
                    jacobian[row + layout.coefficient(term)] = share
                    let derivative = -share * points.logVariables[term][point]
                    // A shared exponent collects the derivative of every term.
                    if layout.sharedExponent { jacobian[row + layout.exponent(term)] += derivative } else { jacobian[row + layout.exponent(term)] = derivative }
                }
            }
        }
    }

    /// Grid starts ordered by their objective on `points`, best first.
    func rankedStarts(_ problem: Problem, points: Points) -> [[Double]] {
        let optimizer = LadderOptimizer(huberDelta: configuration.huberDelta)
        let model = Self.model(points, layout: problem.layout)
        var residuals = [Double](repeating: 0, count: points.count)
        var jacobian = [Double](repeating: 0, count: points.count * problem.parameterCount)
        let scored = problem.grid(exponents: configuration.exponentRange).map { start -> (Double, [Double]) in
            model(start, &residuals, &jacobian)
            return (optimizer.objective(residuals), start)
        }
        return scored.filter { $0.0.isFinite }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The law of `problem` fitted to all its points from the best `startCount` grid starts,
    /// with the ranked grid (the bootstrap refines from its head too); nil when no start
    /// converges.
    func fit(_ problem: Problem) -> (solution: Solution, ranked: [[Double]])? {
        let ranked = rankedStarts(problem, points: problem.points)
        guard let solution = solve(problem, points: problem.points, starts: Array(ranked.prefix(configuration.startCount))) else { return nil }
        return (solution, ranked)
    }

    /// The best solution from `starts`; nil when no start gives a finite objective.
    func solve(_ problem: Problem, points: Points, starts: [[Double]]) -> Solution? {
        let optimizer = LadderOptimizer(huberDelta: configuration.huberDelta)
        let model = Self.model(points, layout: problem.layout)
        let (lower, upper) = problem.bounds(exponents: configuration.exponentRange)
        var best: Solution?
        for start in starts {
            let result = optimizer.minimize(start: start, lower: lower, upper: upper, pointCount: points.count, model: model)
            if result.objective.isFinite, result.objective < best?.objective ?? .infinity {
                best = Solution(parameters: result.parameters, objective: result.objective)
            }
        }
        return best
    }
}
