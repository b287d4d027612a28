import Foundation
import SweepPrediction

/// One group's fit (a task of `sweep ladder fit`, a metric of `sweep ladder show`) with the
/// points it was fitted to.
struct LadderTaskFit {
    var task: String?
    var points: [LadderObservation]
    var fit: LadderFit
    /// Names of the targets, in the order of `fit.predictions` (sizes as the sweep file
    /// gives them); nil prints the targets' N and D only.
    var targetLabels: [String]?
    /// How the points and targets were chosen, printed under the fit.
    var notes: [String] = []
}

/// The fitting both `sweep ladder fit` and `sweep ladder show` do: fit each group (step 1
/// once for groups with the same loss points and form), print, plot.
enum LadderReport {
    /// Points to fit together, their targets and form.
    struct Group {
        var name: String?
        var points: [LadderObservation]
        var targets: [LadderTarget]
        var targetLabels: [String]?
        /// The forms to weigh, the first preferred (``LadderFitConfiguration/forms``).
        var forms: [LossLawForm]
        var notes: [String] = []
    }

    /// Fits every group; errors name `source` and the group (`kind` 'name').
    static func fit(_ groups: [Group], configuration: LadderFitConfiguration, source: String, kind: String = "task") throws(LadderInputError) -> [LadderTaskFit] {
        var results: [LadderTaskFit] = []
        // Groups that share the loss points (one validation loss, many tasks) fit step 1 once.
        var lawCache: [[LossLawForm]: [[LadderObservation]: LossLawEnsemble]] = [:]
        for group in groups {
            var settings = configuration
            settings.forms = group.forms
            let fitter = LadderFitter(configuration: settings)
            let lossPoints = group.points.map { LadderObservation(parameters: $0.parameters, tokens: $0.tokens, loss: $0.loss, run: $0.run) }
            do {
                let laws = try lawCache[group.forms]?[lossPoints] ?? fitter.fitLossLaw(lossPoints)
                lawCache[group.forms, default: [:]][lossPoints] = laws
                let fit = try fitter.fit(group.points, targets: group.targets, lossLaws: laws)
                results.append(LadderTaskFit(task: group.name, points: group.points, fit: fit, targetLabels: group.targetLabels, notes: group.notes))
            } catch let error as LadderFitError {
                throw LadderInputError("\(source): error: \(group.name.map { "\(kind) '\($0)': " } ?? "")\(error.message)")
            } catch {
                throw LadderInputError("\(source): error: \(error)")
            }
        }
        return results
    }

    /// Writes the SVG of `result` to `path`, when both are given.
    static func writeSVG(_ result: LadderTaskFit?, to path: String?, title: String) throws(LadderInputError) {
        guard let path, let result else { return }
        let plot = LadderPlot(fit: result.fit, points: result.points, title: title)
        guard FileManager.default.createFile(atPath: path, contents: Data(plot.render().utf8)) else {
            throw LadderInputError("\(path): error: cannot write the SVG file (does its folder exist?)")
        }
    }
}
