import ArgumentParser
import Foundation
import SweepCoordinator
import SweepCore
import SweepPrediction
import SweepStore

/// `sweep ladder show SWEEP` (or `sweep ladder SWEEP`): fit a ladder sweep's finished rungs
/// from the database, as the coordinator does, and print the predictions.
struct LadderShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Fit a ladder sweep's finished rungs (from the database) and predict its targets.",
        discussion: """
            Reads the final metrics of the sweep's succeeded rung jobs and fits each metric of \
            'ladder.metrics' the way the coordinator does (see docs/ladders.md): N is the `params` \
            metric a job reported, else the rung's 'ladder.params' entry or size value; D is the \
            rung's budget. The coordinator's own fits are in the ladder_fits view.
            Example: sweep ladder show teacher-student-width-ladder --svg ladder.svg
            """
    )

    @Argument(help: "The ladder sweep's name.")
    var sweep: String

    @Option(name: .long, help: "Fit only this metric (repeatable; default: the ladder's metrics).")
    var metric: [String] = []

    @Option(name: .long, help: "The loss law: joint, equal-exponents, parameters, tokens, compute, or auto (the default): parameters without budgets; with budgets, when the points hold six (N, D) pairs off one power-law line, joint or equal-exponents, whichever predicts the largest rung from the smaller ones better; else compute.")
    var form: LadderFormArgument?

    @Option(name: .long, help: "Bootstrap resamples for the intervals (0 for none).")
    var resamples = LadderFitConfiguration().bootstrapResamples

    @Option(name: .long, help: "The intervals' central probability.")
    var level = LadderFitConfiguration().intervalLevel

    @Option(name: .long, help: "The seed of the bootstrap resamples.")
    var seed = LadderFitConfiguration().seed

    @Option(name: .long, help: "Output format: table or json.")
    var format: LadderFitCommand.Format = .table

    @Option(name: .long, help: "Also write an SVG plot of the first metric's fit to this file.")
    var svg: String?

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if resamples < 0 { throw ValidationError("--resamples must be 0 or more") }
        if !(level > 0 && level < 1) { throw ValidationError("--level must lie strictly between 0 and 1, such as 0.9") }
    }

    func run() async throws {
        let logger = CLILogging.logger("sweep.ladder")
        let url = try database.resolve(logger: logger)
        let name = sweep
        let (spec, results) = try await withStore(url, logger: logger) { store in
            let id = try await store.sweepID(named: name)
            let spec = try await store.spec(ofSweep: id)
            guard let ladder = spec.ladder else { return (spec, [LadderRungResult]()) }
            return (spec, try await store.ladderResults(sweep: id, ladder: ladder))
        }
        do {
            guard let ladder = spec.ladder else {
                throw LadderInputError("error: sweep '\(name)' has no 'ladder:' section; sweep ladder show fits ladder sweeps (see docs/ladders.md)")
            }
            // Loss metrics, then tasks (predicted through their loss metric in two steps).
            let tasks = ladder.tasks ?? []
            let chosen: [(metric: String, task: String?)] = metric.isEmpty
                ? ladder.metrics.map { ($0, nil) } + tasks.map { ($0.loss, $0.metric) }
                : metric.map { name in tasks.first { $0.metric == name }.map { ($0.loss, $0.metric) } ?? (name, nil) }
            let analysis = LadderAnalysis(ladder: ladder)
            var groups: [LadderReport.Group] = []
            for (metric, task) in chosen {
                let dataset: LadderDataset
                do {
                    dataset = try analysis.dataset(metric: metric, task: task, results: results, form: form.flatMap { $0 == .auto ? nil : $0.forms.first })
                } catch {
                    throw LadderInputError("sweep '\(name)': error: \(error.message)")
                }
                let placed = dataset.targets.filter { $0.target != nil }
                var notes = dataset.warnings
                notes += dataset.targets.compactMap { target in target.note.map { "\(target.label): \($0)" } }
                notes.append("\(dataset.observations.count) points from \(dataset.rungs.count) rungs (\(dataset.rungs.map(String.init).joined(separator: ", "))), form \(dataset.forms.map(\.rawValue).joined(separator: " or "))")
                if let task { notes.append("\(task) is predicted through \(metric): (N, D) → \(metric) → \(task)") }
                groups.append(LadderReport.Group(
                    name: task ?? metric, points: dataset.observations, targets: dataset.predictableTargets, targetLabels: placed.map(\.label),
                    forms: dataset.forms, notes: notes))
            }
            var configuration = LadderFitConfiguration()
            configuration.bootstrapResamples = resamples
            configuration.intervalLevel = level
            configuration.seed = seed
            let fits = try LadderReport.fit(groups, configuration: configuration, source: "sweep '\(name)'", kind: "metric")
            var output = StandardOutput()
            switch format {
            case .table: LadderFitWriter.writeTable(fits, heading: "metric", to: &output)
            case .json: try LadderFitWriter.writeSweepJSON(fits, sweep: name, to: &output)
            }
            output.flush()
            try LadderReport.writeSVG(fits.first, to: svg, title: "\(name) — \(fits.first?.task ?? "")")
        } catch let error as LadderInputError {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
    }
}
