import Foundation

/// Goodness of fit, fitted ranges and extrapolation warnings.
extension LadderFitter {
    static func lossReport(_ law: LossLaw, _ observations: [LadderObservation]) -> LossFitReport {
        var relative: [Double] = []
        var logResiduals: [Double] = []
        for observation in observations {
            let predicted = law.loss(parameters: observation.parameters, tokens: observation.tokens)!
            relative.append(predicted / observation.loss - 1)
            logResiduals.append(log(predicted) - log(observation.loss))
        }
        let logs = observations.map { log($0.loss) }
        let mean = logs.reduce(0, +) / Double(logs.count)
        let total = logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        let residual = logResiduals.map { $0 * $0 }.reduce(0, +)
        return LossFitReport(
            pointCount: observations.count,
            rSquaredLog: total > 0 ? 1 - residual / total : 1,
            rootMeanSquareLogError: (residual / Double(observations.count)).squareRoot(),
            meanAbsoluteRelativeError: relative.map(abs).reduce(0, +) / Double(relative.count),
            maxAbsoluteRelativeError: relative.map(abs).max() ?? 0,
            relativeResiduals: relative)
    }

    static func accuracyReport(_ link: AccuracyLink, losses: [Double], accuracies: [Double]) -> AccuracyFitReport {
        let errors = zip(losses, accuracies).map { link.accuracy(loss: $0) - $1 }
        let mean = accuracies.reduce(0, +) / Double(accuracies.count)
        let total = accuracies.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        let residual = errors.map { $0 * $0 }.reduce(0, +)
        return AccuracyFitReport(
            pointCount: losses.count,
            rSquared: total > 0 ? 1 - residual / total : 1,
            rootMeanSquareError: (residual / Double(errors.count)).squareRoot(),
            maxAbsoluteError: errors.map(abs).max() ?? 0,
            lossRange: losses.min()!...losses.max()!)
    }

    static func fittedRange(_ observations: [LadderObservation]) -> LadderFittedRange {
        let sizes = observations.map(\.parameters)
        let tokens = observations.compactMap(\.tokens)
        let allTokens = tokens.count == observations.count && !tokens.isEmpty
        return LadderFittedRange(
            parameters: sizes.min()!...sizes.max()!,
            tokens: allTokens ? tokens.min()!...tokens.max()! : nil,
            largestRunCompute: allTokens ? observations.compactMap(\.compute).max() : nil,
            ladderCompute: LadderCompute.ladderFlops(observations))
    }

    static func extrapolationWarnings(_ target: LadderTarget, range: LadderFittedRange, form: LossLawForm, configuration: LadderFitConfiguration) -> [String] {
        var warnings: [String] = []
        let ratio = configuration.extrapolationWarningRatio
        let sizeRatio = target.parameters / range.parameters.upperBound
        if sizeRatio > ratio {
            warnings.append("N = \(LadderFormat.size(target.parameters)) is \(LadderFormat.number(sizeRatio))× the largest fitted model (\(LadderFormat.size(range.parameters.upperBound))); more than \(LadderFormat.number(ratio))× out, the law's form matters more than the interval shows")
        }
        if form.variables.contains(.tokens), let tokens = range.tokens {
            let tokenRatio = target.tokens / tokens.upperBound
            if tokenRatio > ratio {
                warnings.append("D = \(LadderFormat.size(target.tokens)) tokens is \(LadderFormat.number(tokenRatio))× the most tokens fitted (\(LadderFormat.size(tokens.upperBound)))")
            }
        }
        if let largest = range.largestRunCompute {
            let computeRatio = target.compute / largest
            if computeRatio > configuration.computeWarningRatio {
                warnings.append("the target needs \(LadderFormat.number(computeRatio))× the compute of the largest fitted run (more than \(LadderFormat.number(configuration.computeWarningRatio))×)")
            }
        }
        return warnings
    }
}
