import ArgumentParser
import Foundation
import SweepPrediction

/// `sweep ladder …`: scaling-law fits of model ladders.
struct LadderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ladder",
        abstract: "Fit scaling laws to a model ladder and predict larger models (see docs/ladders.md).",
        subcommands: [LadderShowCommand.self, LadderFitCommand.self],
        defaultSubcommand: LadderShowCommand.self
    )
}

/// `sweep ladder fit --csv FILE …`: fit results that live outside the database.
struct LadderFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a loss law (and the loss → accuracy sigmoid) to a CSV of runs and predict target sizes.",
        discussion: """
            Each CSV row is one measured point: a model size, its training tokens, its loss and, \
            optionally, a task and that task's accuracy. Step 1 fits L(N, D) = E + A/N^α + B/D^β \
            (Huber on log loss, Hoffmann et al. 2022); with --accuracy-column, step 2 fits \
            accuracy = a/(1 + exp(-k(L - L0))) + b (Bhagia et al. 2024), per task. Intervals come \
            from bootstrap resamples of the rows, both steps together.
            Example: sweep ladder fit --csv runs.csv --size-column params --tokens-column tokens \
            --metric-column loss --target 1.4B --target 6.9B:140B
            """
    )

    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(name: .long, help: "The CSV file: a header row, then one row per measured point.")
    var csv: String

    @Option(name: .long, help: "The column holding each model's parameter count N.")
    var sizeColumn = "params"

    @Option(name: .long, help: "The column holding the training tokens D seen at each point (needed by the joint and compute forms).")
    var tokensColumn: String?

    @Option(name: .long, help: "The column holding the loss to fit (greater than 0, lower is better).")
    var metricColumn = "loss"

    @Option(name: .long, help: "The column naming the task of each row; each task is fitted separately.")
    var taskColumn: String?

    @Option(name: .long, help: "The column holding each row's task accuracy; adds the two-step accuracy prediction.")
    var accuracyColumn: String?

    @Option(name: .long, help: "The column naming the training run of each row, so that checkpoints of one run count their compute once.")
    var runColumn: String?

    @Option(name: .long, help: "Fit only this task (repeatable; default: every task).")
    var task: [String] = []

    @Option(name: .customLong("where"), help: "Keep only rows whose COLUMN equals VALUE, as COLUMN=VALUE (repeatable).")
    var filters: [String] = []

    @Option(name: .long, help: "A size to predict, as N or N:D (such as 6.9B or 6.9e9:140e9); D defaults to 20×N tokens. Repeatable.")
    var target: [String] = []

    @Option(name: .long, help: "The loss law: joint (E + A/N^α + B/D^β), equal-exponents (E + A/N^α + B/D^α), parameters (E + A/N^α), tokens (E + B/D^β), compute (E + A/C^α, C = 6ND), or auto (the default): with --tokens-column, joint or equal-exponents, whichever predicts the largest model from the smaller ones better; without it, parameters.")
    var form: LadderFormArgument?

    @Option(name: .long, help: "Bootstrap resamples for the intervals (0 for none).")
    var resamples = LadderFitConfiguration().bootstrapResamples

    @Option(name: .long, help: "The intervals' central probability.")
    var level = LadderFitConfiguration().intervalLevel

    @Option(name: .long, help: "The seed of the bootstrap resamples.")
    var seed = LadderFitConfiguration().seed

    @Option(name: .long, help: "Output format: table or json.")
    var format: Format = .table

    @Option(name: .long, help: "Also write an SVG plot of the first task's fit (points, curves, extrapolation band, targets) to this file.")
    var svg: String?

    func validate() throws {
        if resamples < 0 { throw ValidationError("--resamples must be 0 or more") }
        if !(level > 0 && level < 1) { throw ValidationError("--level must lie strictly between 0 and 1, such as 0.9") }
    }

    func run() throws {
        do {
            let input = try LadderInput.read(self)
            var configuration = LadderFitConfiguration()
            // `auto` weighs laws in N and D; without token counts the only law is in N.
            let chosen = form ?? .auto
            configuration.forms = chosen == .auto && tokensColumn == nil ? [.parameters] : chosen.forms
            configuration.bootstrapResamples = resamples
            configuration.intervalLevel = level
            configuration.seed = seed
            let targets = try target.map { text throws(LadderInputError) in try LadderTargetParser.parse(text) }
            let groups = input.tasks.map { LadderReport.Group(name: $0.0, points: $0.1, targets: targets, forms: configuration.forms) }
            let results = try LadderReport.fit(groups, configuration: configuration, source: csv)
            var output = StandardOutput()
            switch format {
            case .table: LadderFitWriter.writeTable(results, heading: "task", to: &output)
            case .json: try LadderFitWriter.writeJSON(results, csv: csv, to: &output)
            }
            output.flush()
            let title = results.first?.task.map { "\(csv) — \($0)" } ?? csv
            try LadderReport.writeSVG(results.first, to: svg, title: title)
        } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
    }
}

/// `--form` values: the loss-law forms of SweepPrediction, and `auto`.
enum LadderFormArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, joint, parameters, tokens, compute
    case equalExponents = "equal-exponents"

    /// The forms to weigh, the first preferred.
    var forms: [LossLawForm] { LossLawForm(rawValue: rawValue).map { [$0] } ?? LadderFitConfiguration.automaticForms }
}

/// Target sizes written as N or N:D, each a number with an optional K, M, B or T suffix.
enum LadderTargetParser {
    static func parse(_ text: String) throws(LadderInputError) -> LadderTarget {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let parameters = number(parts[0]) else {
            throw LadderInputError("error: --target '\(text)' is not N or N:D; write sizes like 6.9B, 6.9e9 or 1.4B:300B")
        }
        var tokens: Double?
        if parts.count == 2 {
            guard let value = number(parts[1]) else {
                throw LadderInputError("error: the tokens in --target '\(text)' are not a number; write them like 300B or 3e11")
            }
            tokens = value
        }
        return LadderTarget(parameters: parameters, tokens: tokens)
    }

    /// A positive number such as 1.4B, 70M, 300e9.
    static func number(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let scales: [Character: Double] = ["K": 1e3, "k": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12]
        var digits = Substring(trimmed), scale = 1.0
        if let last = digits.last, let factor = scales[last] {
            scale = factor
            digits = digits.dropLast()
        }
        guard let value = Double(digits), value.isFinite, value > 0 else { return nil }
        return value * scale
    }
}
