import Foundation
import SweepPrediction

/// `sweep ladder fit` output: a readable table per task, or one JSON document for scripts.
enum LadderFitWriter {
    static func writeTable(_ results: [LadderTaskFit], to output: inout some TextOutputStream) {
        for (index, result) in results.enumerated() {
            let fit = result.fit
            if index > 0 { output.write("\n") }
            if let task = result.task { output.write("task \(task)\n") }
            let loss = fit.lossReport
            output.write("loss law    \(fit.lossFormula)\n")
            output.write("            \(loss.pointCount) points, R² (log) \(format(loss.rSquaredLog, digits: 4)), mean |error| \(percent(loss.meanAbsoluteRelativeError)), max |error| \(percent(loss.maxAbsoluteRelativeError))\n")
            if let formula = fit.accuracyFormula, let accuracy = fit.accuracyReport {
                output.write("accuracy    \(formula)\n")
                output.write("            \(accuracy.pointCount) points, R² \(format(accuracy.rSquared, digits: 3)), RMSE \(format(accuracy.rootMeanSquareError, digits: 4)), max |error| \(format(accuracy.maxAbsoluteError, digits: 4))\n")
            }
            let level = Int((fit.intervalLevel * 100).rounded())
            var header = ["target N", "D", "loss", "\(level)% interval"]
            if fit.accuracyLink != nil { header += ["accuracy", "\(level)% interval"] }
            header.append("ladder compute")
            var rows: [[String]] = []
            for prediction in fit.predictions {
                var row = [size(prediction.target.parameters), size(prediction.target.tokens), format(prediction.loss.value, digits: 4), interval(prediction.loss)]
                if let accuracy = prediction.accuracy { row += [format(accuracy.value, digits: 4), interval(accuracy)] }
                row.append(prediction.computeFraction.map { percent($0) + " of target" } ?? "")
                rows.append(row)
            }
            if !rows.isEmpty { output.write(TextTable.render(header: header, rows: rows)) }
            for warning in fit.warnings { output.write("warning: \(warning)\n") }
            for prediction in fit.predictions {
                for warning in prediction.warnings { output.write("warning: \(size(prediction.target.parameters)): \(warning)\n") }
            }
        }
    }

    /// The document: `{"csv": …, "tasks": [{"task": …, "fit": LadderFit}]}`.
    static func writeJSON(_ results: [LadderTaskFit], csv: String, to output: inout some TextOutputStream) throws(LadderInputError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            let data = try encoder.encode(LadderFitDocument(csv: csv, tasks: results.map { LadderFitDocument.Task(task: $0.task, fit: $0.fit) }))
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
