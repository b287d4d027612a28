import Foundation

/// Step 2 of the two-step task prediction (Bhagia et al. 2024): accuracy as a sigmoid of
/// task loss, `accuracy = a / (1 + exp(−k·(L − L₀))) + b`.
///
/// Accuracy falls as loss rises, so fitted `steepness` values are usually negative; `a + b`
/// is then the accuracy approached at low loss and `b` the one at high loss (chance).
public struct AccuracyLink: Sendable, Hashable, Codable, CustomStringConvertible {
    /// a: the span between the two plateaus.
    public var scale: Double
    /// k: how sharply accuracy changes with loss (per unit of loss).
    public var steepness: Double
    /// L₀: the loss at the midpoint of the sigmoid.
    public var midpoint: Double
    /// b: the plateau at one end.
    public var offset: Double
    /// When set, predictions are clamped into this range (the [0, 1] of a probability when
    /// every fitted accuracy lies in it).
    public var range: ClosedRange<Double>?

    /// A link.
    public init(scale: Double, steepness: Double, midpoint: Double, offset: Double, range: ClosedRange<Double>? = nil) {
        self.scale = scale
        self.steepness = steepness
        self.midpoint = midpoint
        self.offset = offset
        self.range = range
    }

    /// The accuracy predicted at a task loss.
    public func accuracy(loss: Double) -> Double {
        let value = scale / (1 + exp(-steepness * (loss - midpoint))) + offset
        guard let range else { return value }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    public var description: String {
        "acc = \(LadderFormat.number(scale))/(1 + exp(\(LadderFormat.number(-steepness))·(L - \(LadderFormat.number(midpoint))))) + \(LadderFormat.number(offset))"
    }
}

/// Fits ``AccuracyLink`` by Huber-weighted least squares from a grid of starts. Loss is
/// standardised inside the fit so that the grid suits any loss scale.
struct AccuracyLinkFitter: Sendable {
    var configuration: LadderFitConfiguration

    /// Points of (loss, accuracy) in standardised loss z = (L − centre) / spread.
    struct Problem: Sendable {
        var center: Double
        var spread: Double
        var z: [Double]
        var accuracy: [Double]
        var range: ClosedRange<Double>?

        init(losses: [Double], accuracies: [Double]) throws {
            guard losses.count >= 5 else {
                throw LadderFitError(.tooFewPoints, "the loss → accuracy sigmoid has 4 parameters and needs at least 5 points with an accuracy, found \(losses.count)")
            }
            for (index, value) in accuracies.enumerated() where !value.isFinite {
                throw LadderFitError(.nonFiniteValue, "point \(index + 1) has an accuracy of \(value); accuracies must be finite numbers")
            }
            let mean = losses.reduce(0, +) / Double(losses.count)
            let variance = losses.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(losses.count)
            guard variance > 0 else {
                throw LadderFitError(.tooFewDistinctValues, "every point with an accuracy has the same loss; the sigmoid needs different losses")
            }
            let deviation = variance.squareRoot()
            center = mean
            spread = deviation
            z = losses.map { ($0 - mean) / deviation }
            accuracy = accuracies
            range = accuracies.allSatisfy { (0...1).contains($0) } ? 0...1 : nil
        }

        init(center: Double, spread: Double, z: [Double], accuracy: [Double], range: ClosedRange<Double>?) {
            self.center = center
            self.spread = spread
            self.z = z
            self.accuracy = accuracy
            self.range = range
        }

        func resampled(_ indices: [Int]) -> Problem {
            Problem(center: center, spread: spread, z: indices.map { z[$0] }, accuracy: indices.map { accuracy[$0] }, range: range)
        }

        /// The link of standardised parameters (a, k', z₀, b).
        func link(_ parameters: [Double]) -> AccuracyLink {
            AccuracyLink(scale: parameters[0], steepness: parameters[1] / spread, midpoint: center + parameters[2] * spread, offset: parameters[3], range: range)
        }

        var model: LadderOptimizer.Model {
            { parameters, residuals, jacobian in
                let (a, k, z0, b) = (parameters[0], parameters[1], parameters[2], parameters[3])
                for point in 0..<z.count {
                    let s = 1 / (1 + exp(-k * (z[point] - z0)))
                    residuals[point] = a * s + b - accuracy[point]
                    let slope = a * s * (1 - s)
                    jacobian[point * 4] = s
                    jacobian[point * 4 + 1] = slope * (z[point] - z0)
                    jacobian[point * 4 + 2] = -slope * k
                    jacobian[point * 4 + 3] = 1
                }
            }
        }

        /// Bounds on (a, k', z₀, b): plateaus inside [0, 1] for probabilities, otherwise
        /// wide, only to keep the optimiser finite.
        var bounds: (lower: [Double], upper: [Double]) {
            if range != nil { return ([0, -60, -25, 0], [1, 60, 25, 1]) }
            let size = accuracy.map(abs).max()! + 1
            return ([0, -60, -25, -10 * size], [10 * size, 60, 25, 10 * size])
        }

        /// Starts: midpoints across the data, steepness both ways, the span of the data.
        var grid: [[Double]] {
            let low = accuracy.min()!, high = accuracy.max()!
            let span = max(high - low, 1e-3)
            var starts: [[Double]] = []
            for z0 in [-2.0, -1, 0, 1, 2] {
                for k in [-8.0, -3, -1, 1, 3] {
                    for a in [span, 2 * span] {
                        // b such that the sigmoid passes through the mean accuracy.
                        let meanShape = z.map { 1 / (1 + exp(-k * ($0 - z0))) }.reduce(0, +) / Double(z.count)
                        let b = accuracy.reduce(0, +) / Double(accuracy.count) - a * meanShape
                        starts.append([a, k, z0, b])
                    }
                }
            }
            return starts
        }
    }

    /// The best parameters from the best `startCount` grid starts (plus `extraStarts`).
    func solve(_ problem: Problem, startCount: Int, extraStarts: [[Double]] = []) -> (parameters: [Double], objective: Double)? {
        let optimizer = LadderOptimizer(huberDelta: configuration.accuracyHuberDelta)
        let model = problem.model
        var residuals = [Double](repeating: 0, count: problem.z.count)
        var jacobian = [Double](repeating: 0, count: problem.z.count * 4)
        let ranked = problem.grid.map { start -> (Double, [Double]) in
            model(start, &residuals, &jacobian)
            return (optimizer.objective(residuals), start)
        }.filter { $0.0.isFinite }.sorted { $0.0 < $1.0 }.map(\.1)
        let (lower, upper) = problem.bounds
        var best: (parameters: [Double], objective: Double)?
        for start in extraStarts + ranked.prefix(startCount) {
            let result = optimizer.minimize(start: start, lower: lower, upper: upper, pointCount: problem.z.count, model: model)
            if result.objective.isFinite, result.objective < best?.objective ?? .infinity {
                best = (result.parameters, result.objective)
            }
        }
        return best
    }
}
