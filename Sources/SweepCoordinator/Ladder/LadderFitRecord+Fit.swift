import Foundation
import SweepCore
public import SweepPrediction
public import SweepStore

/// The JSON documents of `sweep.ladder_fits` (migrations/0008_ladder_fits.sql).
extension LadderFitRecord {
    /// `law`: the formula and the fitted law, and how its form was chosen when two were
    /// weighed (`selection`: each candidate's error on the held-out largest rung).
    struct Law: Encodable {
        var formula: String
        var form: LossLawForm
        var irreducibleLoss: Double
        var terms: [PowerLawTerm]
        var selection: LossLawFormSelection?
    }

    /// One element of `predictions`.
    struct Prediction: Encodable {
        var target: ParamValue
        var label: String
        var parameters: Double?
        var tokens: Double?
        var value: Double?
        var low: Double?
        var high: Double?
        var relativeWidth: Double?
        var warnings: [String]
    }

    /// The record of one metric's fit; `maxIntervalWidth` (the adaptive setting) decides
    /// `converged`.
    public init(sweep: Int64, dataset: LadderDataset, fit: LadderFit, maxIntervalWidth: Double?) {
        let law = Law(formula: fit.lossFormula, form: fit.form, irreducibleLoss: fit.lossLaw.irreducibleLoss, terms: fit.lossLaw.terms, selection: fit.formSelection)
        var predictions: [Prediction] = []
        var remaining = fit.predictions[...]
        for target in dataset.targets {
            var element = Prediction(target: .object(target.sizes), label: target.label, warnings: target.note.map { [$0] } ?? [])
            if target.target != nil, let prediction = remaining.popFirst() {
                element.parameters = prediction.target.parameters
                element.tokens = dataset.forms.contains(where: \.needsTokens) || dataset.observations.first?.tokens != nil ? prediction.target.tokens : nil
                // A task's record predicts the task metric (step 2); a loss metric's, the loss.
                let estimate = dataset.task == nil ? prediction.loss : prediction.accuracy ?? LadderEstimate(value: .nan)
                element.value = estimate.value
                element.low = estimate.lower
                element.high = estimate.upper
                element.relativeWidth = LadderConvergence.relativeWidth(estimate)
                element.warnings += prediction.warnings
            }
            predictions.append(element)
        }
        self.init(
            sweep: sweep, metric: dataset.task ?? dataset.metric, form: fit.form.rawValue, rungsUsed: dataset.rungs, jobsUsed: dataset.jobs,
            points: dataset.observations.count, lawJSON: Self.json(law), goodnessJSON: Self.json(fit.lossReport),
            predictionsJSON: Self.json(predictions), intervalLevel: fit.intervalLevel,
            converged: maxIntervalWidth.map { LadderConvergence.isNarrow(dataset, fit, maxWidth: $0) },
            warnings: dataset.warnings + fit.warnings)
    }

    /// JSON that PostgreSQL accepts: sorted keys, non-finite numbers as the strings its
    /// double precision input reads.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
