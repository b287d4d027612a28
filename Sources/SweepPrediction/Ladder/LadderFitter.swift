import Foundation

/// Fits a model ladder and predicts larger sizes: a loss law (step 1) and, when the points
/// carry accuracies, the loss → accuracy sigmoid of Bhagia et al. (2024) (step 2), with
/// bootstrap intervals drawn by resampling the points of both steps together.
///
/// Pure computation: no I/O, deterministic for a given configuration seed.
public struct LadderFitter: Sendable {
    /// The settings.
    public var configuration: LadderFitConfiguration

    /// A fitter.
    public init(configuration: LadderFitConfiguration = LadderFitConfiguration()) {
        self.configuration = configuration
    }

    /// Step 1 alone: the loss law of `observations` and its bootstrap replicates.
    ///
    /// Pass the result to ``fit(_:targets:lossLaws:)`` for several tasks whose points have the
    /// same sizes, tokens and losses in the same order, to fit the law once.
    public func fitLossLaw(_ observations: [LadderObservation]) throws -> LossLawEnsemble {
        try configuration.validate()
        let fitter = LossLawFitter(configuration: configuration)
        let selection = selectForm(observations)
        let problem = try LossLawFitter.Problem(observations, form: selection?.chosen ?? configuration.form)
        guard let (best, ranked) = fitter.fit(problem) else {
            throw LadderFitError(.noConvergence, "no starting point gave a finite loss law for these \(observations.count) points; check for outliers or fit a simpler form")
        }
        let law = problem.law(best.parameters)
        let extraStarts = [best.parameters] + ranked.prefix(configuration.bootstrapStartCount)
        var bootstrapLaws: [LossLaw?] = []
        for resample in 0..<configuration.bootstrapResamples {
            let indices = LadderRandomNumbers.resampleIndices(seed: configuration.seed, resample: resample, count: observations.count)
            let points = problem.points.resampled(indices)
            // A resample with one value of a variable cannot identify its exponent.
            let identifiable = points.logVariables.allSatisfy { column in column.contains { abs($0 - column[0]) > 1e-9 } }
            guard identifiable, let solution = fitter.solve(problem, points: points, starts: extraStarts) else {
                bootstrapLaws.append(nil)
                continue
            }
            bootstrapLaws.append(problem.law(solution.parameters))
        }
        return LossLawEnsemble(
            law: law, report: Self.lossReport(law, observations), bootstrapLaws: bootstrapLaws,
            seed: configuration.seed, pointCount: observations.count, candidateForms: configuration.forms, selection: selection)
    }

    /// Fits the ladder and predicts every target.
    ///
    /// - Parameters:
    ///   - observations: the ladder's points; those with an accuracy also fit step 2.
    ///   - targets: the sizes to predict.
    ///   - lossLaws: step 1 already fitted to these same points by ``fitLossLaw(_:)``.
    public func fit(_ observations: [LadderObservation], targets: [LadderTarget], lossLaws: LossLawEnsemble? = nil) throws -> LadderFit {
        try configuration.validate()
        let ensemble: LossLawEnsemble
        if let lossLaws, lossLaws.pointCount == observations.count, lossLaws.seed == configuration.seed,
            lossLaws.bootstrapLaws.count == configuration.bootstrapResamples, lossLaws.candidateForms == configuration.forms
        {
            ensemble = lossLaws
        } else {
            ensemble = try fitLossLaw(observations)
        }
        for (index, target) in targets.enumerated() {
            guard target.parameters > 0, target.tokens > 0, target.parameters.isFinite, target.tokens.isFinite else {
                throw LadderFitError(.nonPositiveValue, "target \(index + 1) has N = \(target.parameters), D = \(target.tokens); both must be finite and greater than 0")
            }
        }

        // Step 2 on the points that have an accuracy, resampled with the same indices as step 1.
        let accuracyIndices = observations.indices.filter { observations[$0].accuracy != nil }
        var link: AccuracyLink?
        var accuracyReport: AccuracyFitReport?
        var bootstrapLinks: [AccuracyLink?] = []
        if !accuracyIndices.isEmpty {
            let problem = try AccuracyLinkFitter.Problem(
                losses: accuracyIndices.map { observations[$0].loss }, accuracies: accuracyIndices.map { observations[$0].accuracy! })
            let fitter = AccuracyLinkFitter(configuration: configuration)
            guard let best = fitter.solve(problem, startCount: configuration.startCount) else {
                throw LadderFitError(.noConvergence, "the loss → accuracy sigmoid could not be fitted to \(accuracyIndices.count) points")
            }
            let fullLink = problem.link(best.parameters)
            link = fullLink
            accuracyReport = Self.accuracyReport(fullLink, losses: accuracyIndices.map { observations[$0].loss }, accuracies: problem.accuracy)
            var position = [Int: Int]()
            for (offset, index) in accuracyIndices.enumerated() { position[index] = offset }
            for resample in 0..<configuration.bootstrapResamples {
                let indices = LadderRandomNumbers.resampleIndices(seed: configuration.seed, resample: resample, count: observations.count)
                let chosen = indices.compactMap { position[$0] }
                let resampled = problem.resampled(chosen)
                guard chosen.count >= 5, Set(resampled.z).count >= 2,
                    let solution = fitter.solve(resampled, startCount: configuration.bootstrapStartCount, extraStarts: [best.parameters])
                else {
                    bootstrapLinks.append(nil)
                    continue
                }
                bootstrapLinks.append(resampled.link(solution.parameters))
            }
        }

        let range = Self.fittedRange(observations)
        var predictions: [LadderPrediction] = []
        var successful = 0
        for target in targets {
            let loss = ensemble.law.loss(parameters: target.parameters, tokens: target.tokens)!
            var lossSamples: [Double] = []
            var accuracySamples: [Double] = []
            for (resample, law) in ensemble.bootstrapLaws.enumerated() {
                guard let law, let sample = law.loss(parameters: target.parameters, tokens: target.tokens), sample.isFinite else { continue }
                if link != nil {
                    guard let resampledLink = bootstrapLinks[resample] else { continue }
                    accuracySamples.append(resampledLink.accuracy(loss: sample))
                }
                lossSamples.append(sample)
            }
            successful = lossSamples.count
            var warnings = Self.extrapolationWarnings(target, range: range, form: ensemble.law.form, configuration: configuration)
            var accuracy: LadderEstimate?
            if let link, let accuracyReport {
                accuracy = Self.estimate(link.accuracy(loss: loss), samples: accuracySamples, level: configuration.intervalLevel)
                if loss < accuracyReport.lossRange.lowerBound {
                    warnings.append("the predicted loss \(LadderFormat.number(loss)) is below every loss the accuracy sigmoid was fitted on (lowest \(LadderFormat.number(accuracyReport.lossRange.lowerBound))), so the accuracy is extrapolated along the sigmoid")
                }
            }
            predictions.append(LadderPrediction(
                target: target, loss: Self.estimate(loss, samples: lossSamples, level: configuration.intervalLevel), accuracy: accuracy,
                computeFraction: range.ladderCompute.map { $0 / target.compute }, warnings: warnings))
        }
        if targets.isEmpty {
            successful = ensemble.bootstrapLaws.indices.filter { ensemble.bootstrapLaws[$0] != nil && (link == nil || bootstrapLinks[$0] != nil) }.count
        }

        var warnings: [String] = []
        if configuration.bootstrapResamples > 0 && Double(successful) < 0.8 * Double(configuration.bootstrapResamples) {
            warnings.append("only \(successful) of \(configuration.bootstrapResamples) bootstrap resamples could be fitted; the intervals rest on those")
        }
        if ensemble.report.maxAbsoluteRelativeError > 0.05 {
            warnings.append("the loss law misses a fitted point by \(LadderFormat.number(100 * ensemble.report.maxAbsoluteRelativeError))%; the form may not suit these points")
        }
        return LadderFit(
            form: ensemble.law.form, formSelection: ensemble.selection, lossLaw: ensemble.law, lossFormula: ensemble.law.description, lossReport: ensemble.report,
            accuracyLink: link, accuracyFormula: link?.description, accuracyReport: accuracyReport,
            fittedRange: range, predictions: predictions, intervalLevel: configuration.intervalLevel,
            bootstrapResamples: configuration.bootstrapResamples, successfulResamples: successful, warnings: warnings,
            bootstrapLaws: ensemble.bootstrapLaws.compactMap { $0 }, bootstrapLinks: bootstrapLinks.compactMap { $0 })
    }

    /// `value` with the central `level` percentile interval of `samples`, widened where needed
    /// to hold `value` itself: resamples that leave out the points pulling the fit one way can
    /// put every percentile on one side of the fit to all points, and an interval that does not
    /// contain its own prediction reads as a contradiction.
    static func estimate(_ value: Double, samples: [Double], level: Double) -> LadderEstimate {
        guard samples.count >= 2 else { return LadderEstimate(value: value) }
        let sorted = samples.sorted()
        let tail = (1 - level) / 2
        return LadderEstimate(value: value, lower: min(value, quantile(sorted, tail)), upper: max(value, quantile(sorted, 1 - tail)))
    }

    /// The `probability` quantile of sorted values, interpolating linearly between ranks.
    static func quantile(_ sorted: [Double], _ probability: Double) -> Double {
        let position = probability * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + fraction * (sorted[above] - sorted[below])
    }
}
