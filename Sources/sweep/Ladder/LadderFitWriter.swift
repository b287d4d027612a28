import Foundation
import SweepPrediction

/// `sweep ladder fit` and `sweep ladder show` output: a readable table per task (or metric),
/// or one JSON document for scripts.
enum LadderFitWriter {
    /// The tables; each group starts with `heading` and its name (`task arc_easy`, `metric val_loss`).
    static func writeTable(_ results: [LadderTaskFit], heading: String, to output: inout some TextOutputStream) {
        for (index, result) in results.enumerated() {
            let fit = result.fit
            if index > 0 { output.write("\n") }
            if let task = result.task { output.write("\(heading) \(task)\n") }
            let loss = fit.lossReport
            output.write("loss law    \(fit.lossFormula)\n")
            output.write("            \(loss.pointCount) points, R² (log) \(format(loss.rSquaredLog, digits: 4)), mean |error| \(percent(loss.meanAbsoluteRelativeError)), max |error| \(percent(loss.maxAbsoluteRelativeError))\n")
            if let selection = fit.formSelection { output.write("            form \(selection.summary)\n") }
            if let formula = fit.accuracyFormula, let accuracy = fit.accuracyReport {
                output.write("accuracy    \(formula)\n")
                output.write("            \(accuracy.pointCount) points, R² \(format(accuracy.rSquared, digits: 3)), RMSE \(format(accuracy.rootMeanSquareError, digits: 4)), max |error| \(format(accuracy.maxAbsoluteError, digits: 4))\n")
            }
            let level = Int((fit.intervalLevel * 100).rounded())
            var header = ["target N", "D", "loss", "\(level)% interval"]
            if result.targetLabels != nil { header.insert("target", at: 0) }
            if fit.accuracyLink != nil { header += ["accuracy", "\(level)% interval"] }
            header.append("ladder compute")
            var rows: [[String]] = []
            for (index, prediction) in fit.predictions.enumerated() {
                var row = [size(prediction.target.parameters), size(prediction.target.tokens), format(prediction.loss.value, digits: 4), interval(prediction.loss)]
                if let labels = result.targetLabels { row.insert(index < labels.count ? labels[index] : "", at: 0) }
                if let accuracy = prediction.accuracy { row += [format(accuracy.value, digits: 4), interval(accuracy)] }
                row.append(prediction.computeFraction.map { percent($0) + " of target" } ?? "")
                rows.append(row)
            }
            if !rows.isEmpty { output.write(TextTable.render(header: header, rows: rows)) }
            for note in result.notes { output.write("note: \(note)\n") }
            for warning in fit.warnings { output.write("warning: \(warning)\n") }
            for (index, prediction) in fit.predictions.enumerated() {
                let name = result.targetLabels.flatMap { index < $0.count ? $0[index] : nil } ?? size(prediction.target.parameters)
                for warning in prediction.warnings { output.write("warning: \(name): \(warning)\n") }
            }
        }
    }

    /// The document: `{"csv": …, "tasks": [{"task": …, "fit": LadderFit}]}`.
    static func writeJSON(_ results: [LadderTaskFit], csv: String, to output: inout some TextOutputStream) throws(LadderInputError) {
        try write(LadderFitDocument(csv: csv, tasks: results.map { LadderFitDocument.Task(task: $0.task, fit: $0.fit) }), to: &output)
    }

    /// The document of `sweep ladder show`: `{"sweep": …, "metrics": [{"metric": …, "targets":
    /// [labels], "notes": […], "fit": LadderFit}]}`.
    static func writeSweepJSON(_ results: [LadderTaskFit], sweep: String, to output: inout some TextOutputStream) throws(LadderInputError) {
        let metrics = results.map { LadderSweepDocument.Metric(metric: $0.task ?? "", targets: $0.targetLabels ?? [], notes: $0.notes, fit: $0.fit) }
        try write(LadderSweepDocument(sweep: sweep, metrics: metrics), to: &output)
    }

    private static func write(_ document: some Encodable, to output: inout some TextOutputStream) throws(LadderInputError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            let data = try encoder.encode(document)
            output.write(String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            throw LadderInputError("error: the fit could not be written as JSON: \(error)")
        }
    }

    static func format(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)g", value)
    }

    static func percent(_ fraction: Double) -> String {
        String(format: fraction < 0.001 ? "%.2g%%" : "%.2f%%", 100 * fraction)
    }

    static func interval(_ estimate: LadderEstimate) -> String {
        guard let lower = estimate.lower, let upper = estimate.upper else { return "" }
        return "\(format(lower, digits: 4)) – \(format(upper, digits: 4))"
    }

    /// A size such as 70M, 1.4B or 300B.
    static func size(_ value: Double) -> String {
        for (scale, suffix) in [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")] where value >= scale {
            return format(value / scale, digits: 3) + suffix
        }
        return format(value, digits: 3)
    }
}

/// The JSON document of `sweep ladder fit --format json`.
private struct LadderFitDocument: Encodable {
    struct Task: Encodable {
        var task: String?
        var fit: LadderFit
    }
    var csv: String
    var tasks: [Task]
}

/// The JSON document of `sweep ladder show --format json`.
private struct LadderSweepDocument: Encodable {
    struct Metric: Encodable {
        var metric: String
        var targets: [String]
        var notes: [String]
        var fit: LadderFit
    }
    var sweep: String
    var metrics: [Metric]
}
