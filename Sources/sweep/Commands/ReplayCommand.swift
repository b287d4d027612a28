import ArgumentParser
import Foundation
import SweepCore
import SweepCoordinator
import SweepPrediction
import SweepStore

/// `sweep replay`: recorded curves through early-stopping policies in simulated time.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded curves through early-stopping policies and report compute saved and regret.",
        discussion: """
            Curves come from a sweep in the database (SWEEP: each job's curve of the watched \
            metric, in job order) or from CSV files (--csv, one simulated sweep per file, \
            columns curve_id,step,value[,cost]; curves in the order of their first row). Curves \
            run on --workers simulated workers in order; each report is judged by the policy as \
            online; a stop frees the worker. Reported per policy: compute used against running \
            everything to the end, the best final value found against the true best (regret), \
            and how many of the true top-k runs were stopped. Without --policy, a sweep from \
            the database replays its own policy and CSV files replay every policy. \
            See docs/early-stopping.md.
            """
    )

    @Argument(help: "A sweep in the database whose curves to replay.")
    var sweep: String?

    @Option(name: .long, parsing: .singleValue, help: "A CSV of curves (repeatable; each file is one sweep).")
    var csv: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "Policy: none, median, asha, hyperband, predict, threshold, or all (repeatable).")
    var policy: [String] = []

    @Option(name: .long, help: "Goal of the CSV curves' metric: minimize or maximize.")
    var goal: String = "minimize"

    @Option(name: .long, help: "Simulated parallel workers.")
    var workers: Int = 4

    @Option(name: .long, help: "How steps count: 'value' (as recorded) or 'index' (1, 2, 3, … per report, W&B's iterations).")
    var steps: String = "value"

    @Option(name: .long, help: "What a point of a sweep in the database costs: 'steps' (the steps since the one before) or 'seconds' (the time since the one before, as recorded; the first counts from its attempt's start).")
    var costs: String = "steps"

    @Option(name: .long, help: "k of 'how many of the true top-k were stopped'.")
    var topK: Int = 5

    @Option(name: .long, help: "Policy setting: no decision before this step.")
    var minSteps: Double?
    @Option(name: .long, help: "median: completed runs needed at a step.")
    var minTrials: Int?
    @Option(name: .long, help: "asha: reduction factor.")
    var reductionFactor: Double?
    @Option(name: .long, help: "asha: steps of a full run; predict: default horizon.")
    var maxSteps: Double?
    @Option(name: .long, help: "hyperband: first band, in reports (W&B min_iter; default 3).")
    var minIter: Int?
    @Option(name: .long, help: "hyperband: factor between bands (W&B eta; default 3).")
    var eta: Double?
    @Flag(name: .long, help: "hyperband: judge the value at the band, not the best so far (W&B strict).")
    var strict = false
    @Option(name: .long, help: "predict: completed runs needed before any stop.")
    var minCompleted: Int?
    @Option(name: .long, help: "predict: stop when P(final better than the incumbent) is below this.")
    var probabilityThreshold: Double?
    @Option(name: .long, help: "predict: the step whose value is predicted (default: the longest completed run's last step).")
    var horizon: Double?
    @Option(name: .long, help: "predict: the forecast's extra spread, as a fraction of the change it still predicts.")
    var discrepancy: Double = 0.5
    @Option(name: .long, help: "predict: the forecast's least spread, as a fraction of the range of the observed values.")
    var spreadFloor: Double = 0.5
    @Flag(name: .long, inversion: .prefixedNo, help: "predict: scale the threshold by each run's expected remaining compute relative to a completed run's (uses the curves' costs).")
    var costAware: Bool?
    @Option(name: .long, help: "predict: the model: 'ensemble' (curve families fitted to the run), 'population' (the sweep's completed runs, shifted to the run), or 'mixed' (both, equally); default: the sweep's own, else ensemble.")
    var forecaster: String?
    @Option(name: .long, help: "predict, population model: the run's latest points matched against each completed run.")
    var populationWindow: Int = 4
    @Option(name: .long, help: "predict, population model: each proposal's least spread, as a fraction of the run's observed range.")
    var populationSpreadFloor: Double = 0.25
    @Option(name: .long, help: "predict: fewest points to predict from.")
    var minPoints: Int?
    @Option(name: .long, help: "threshold: the value a run must be no worse than.")
    var value: Double?

    @Flag(name: .long, help: "Instead of replaying policies, measure how well the curve ensemble predicts each curve's final value from its first 10%, 20% and 40% (against the best single family and the last value).")
    var accuracy = false

    @Option(name: .long, help: "Output format: table or json.")
    var format: String = "table"

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard sweep != nil || !csv.isEmpty else { throw ValidationError("give a SWEEP from the database or one or more --csv files") }
        guard sweep == nil || csv.isEmpty else { throw ValidationError("give either a SWEEP or --csv files, not both") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard ["value", "index"].contains(steps) else { throw ValidationError("--steps is 'value' or 'index', not '\(steps)'") }
        if let forecaster, ForecasterKind(rawValue: forecaster) == nil {
            throw ValidationError("--forecaster is one of \(ForecasterKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(forecaster)'")
        }
        guard populationWindow >= 1, populationSpreadFloor >= 0, populationSpreadFloor.isFinite else {
            throw ValidationError("--population-window must be at least 1 and --population-spread-floor a number ≥ 0")
        }
        guard ["steps", "seconds"].contains(costs) else { throw ValidationError("--costs is 'steps' or 'seconds', not '\(costs)'") }
        guard ["table", "json"].contains(format) else { throw ValidationError("--format is 'table' or 'json', not '\(format)'") }
        guard ["minimize", "maximize"].contains(goal) else { throw ValidationError("--goal is 'minimize' or 'maximize', not '\(goal)'") }
        for name in policy where name != "all" && StoppingRule.Kind(rawValue: name) == nil {
            throw ValidationError("unknown policy '\(name)' (expected one of: \(StoppingRule.Kind.allCases.map(\.rawValue).joined(separator: ", ")), all)")
        }
    }

    func run() async throws {
        var sweeps: [(name: String, curves: [ReplayCurve])] = []
        var direction = goal == "maximize" ? Direction.maximize : .minimize
        var declared: StoppingRule?
        var notes: [String] = []
        if let sweep {
            let loaded = try await loadSweep(sweep)
            sweeps = [(sweep, loaded.curves)]
            direction = loaded.direction
            declared = loaded.rule
            notes = loaded.notes
        } else {
            for file in csv {
                guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("\(file): cannot read the file") }
                do {
                    sweeps.append((file, try CurveCSV.parse(String(decoding: data, as: UTF8.self), file: file)))
                } catch {
                    throw CommandFailure(error.description)
                }
            }
        }
        if steps == "index" {
            let keep = !csv.isEmpty || costs == "seconds"
            sweeps = sweeps.map { ($0.name, $0.curves.map { $0.indexed(keepingCosts: keep) }) }
        }
        if accuracy {
            let fractions = [0.1, 0.2, 0.4]
            let rows = PredictionAccuracy(forecaster: EnsembleForecaster(discrepancy: discrepancy, spreadFloor: spreadFloor)).evaluate(sweeps.flatMap(\.curves), fractions: fractions, direction: direction)
            let population = PopulationAccuracy(forecaster: PopulationForecaster(window: populationWindow, spreadFloor: populationSpreadFloor))
                .evaluate(sweeps.map(\.curves), fractions: fractions, direction: direction)
            try printAccuracy(rows, population: population)
            return
        }
        let rules = try chosenRules(declared: declared)
        var reports: [PolicyReport] = []
        for rule in rules {
            let model = rule.forecaster.forecaster(ensemble: EnsembleForecaster(discrepancy: discrepancy, spreadFloor: spreadFloor),
                                                   population: PopulationForecaster(window: populationWindow, spreadFloor: populationSpreadFloor))
            let simulator = ReplaySimulator(rule: rule, direction: direction, workers: workers, forecaster: model, topK: topK)
            reports.append(PolicyReport(rule: rule, outcomes: await Self.replay(sweeps, with: simulator)))
        }
        if format == "json" {
            try printJSON(reports, direction: direction)
        } else {
            printTable(reports, sweeps: sweeps.count, curves: sweeps.reduce(0) { $0 + $1.curves.count })
            for note in notes { print("note: \(note)") }
        }
    }

    /// Replays the sweeps on every core (each sweep on its own), results in input order.
    static func replay(_ sweeps: [(name: String, curves: [ReplayCurve])], with simulator: ReplaySimulator) async -> [(name: String, outcome: ReplayOutcome)] {
        let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var outcomes = [ReplayOutcome?](repeating: nil, count: sweeps.count)
        await withTaskGroup(of: (Int, ReplayOutcome).self) { group in
            var next = 0
            func launch() {
                guard next < sweeps.count else { return }
                let index = next, curves = sweeps[index].curves
                group.addTask { (index, simulator.run(curves)) }
                next += 1
            }
            for _ in 0..<lanes { launch() }
            for await (index, outcome) in group {
                outcomes[index] = outcome
                launch()
            }
        }
        return zip(sweeps, outcomes).map { ($0.name, $1!) }
    }

    private func loadSweep(_ name: String) async throws -> (curves: [ReplayCurve], direction: Direction, rule: StoppingRule?, notes: [String]) {
        let logger = CLILogging.logger("sweep.replay")
        let url = try database.resolve(logger: logger)
        return try await withStore(url, logger: logger) { store in
            let id = try await store.sweepID(named: name)
            let spec = try await store.spec(ofSweep: id)
            guard let metric = spec.stoppingMetric else {
                throw CommandFailure("sweep '\(name)' has no metric to replay; it declares no 'metric'")
            }
            let recorded = try await store.curves(sweep: id, metric: metric)
            guard !recorded.isEmpty else { throw CommandFailure("sweep '\(name)' has no recorded points of '\(metric)'") }
            var timed = 0
            let curves = recorded.map { curve in
                // Recorded seconds become each point's own cost (the time since the point before);
                // a curve with a point of unknown time keeps step costs.
                var seconds: [Double]?
                if costs == "seconds", curve.costs.allSatisfy({ $0.isFinite && $0 >= 0 }) {
                    seconds = curve.costs.indices.map { max(0, curve.costs[$0] - ($0 == 0 ? 0 : curve.costs[$0 - 1])) }
                    timed += 1
                }
                return ReplayCurve(id: "job \(curve.job)", steps: curve.steps.map(Double.init), values: curve.values, costs: seconds)
            }
            let costNote = costs == "seconds"
                ? "a point costs the seconds since the one before (\(timed) of \(curves.count) curves; the others, with points of unknown time, the steps)"
                : "a point costs the steps since the one before"
            var notes = ["\(curves.count) curves of '\(metric)' (\(spec.stoppingDirection.rawValue)); \(costNote)"]
            let truncated = recorded.filter { $0.state != .succeeded }.count
            if truncated > 0 {
                notes.append("\(truncated) of the jobs did not succeed (stopped, failed or still running): their curves end where they ended, so the replay treats them as complete")
            }
            return (curves, spec.stoppingDirection, StoppingRule(sweep: spec), notes)
        }
    }

    /// The policies to replay, with the command's settings applied.
    private func chosenRules(declared: StoppingRule?) throws -> [StoppingRule] {
        var kinds: [StoppingRule.Kind] = []
        for name in policy {
            if name == "all" { kinds += StoppingRule.Kind.allCases } else if let kind = StoppingRule.Kind(rawValue: name) { kinds.append(kind) }
        }
        var rules: [StoppingRule] = []
        if kinds.isEmpty {
            rules = declared.map { [$0] } ?? StoppingRule.Kind.allCases.map { StoppingRule(kind: $0) }
        } else {
            var seen = Set<StoppingRule.Kind>()
            for kind in kinds where seen.insert(kind).inserted {
                rules.append(declared?.kind == kind ? declared! : StoppingRule(kind: kind))
            }
        }
        return try rules.compactMap { rule in
            var rule = rule
            if let minSteps { rule.minSteps = minSteps }
            if let minTrials { rule.minTrials = minTrials }
            if let reductionFactor { rule.reductionFactor = reductionFactor }
            if let maxSteps { rule.maxSteps = maxSteps }
            if let minCompleted { rule.minCompleted = minCompleted }
            if let probabilityThreshold { rule.probabilityThreshold = probabilityThreshold }
            if let horizon { rule.horizon = horizon }
            if let minPoints { rule.minPoints = minPoints }
            if let costAware { rule.costAware = costAware }
            if let forecaster, let kind = ForecasterKind(rawValue: forecaster) { rule.forecaster = kind }
            if let value { rule.value = value }
            if rule.kind == .hyperband, minIter != nil || eta != nil || strict || rule.bands.isEmpty {
                let hyperband = HyperbandSpec(minIter: minIter ?? 3, eta: eta ?? 3, strict: strict)
                rule.bands = hyperband.bracketSteps
                rule.strict = hyperband.strict
                rule.passFraction = 1 / hyperband.eta
            }
            if rule.kind == .threshold, rule.value == nil {
                if policy.contains("threshold") { throw CommandFailure("policy 'threshold' needs --value") }
                return nil
            }
            return rule
        }
    }

    private func printTable(_ reports: [PolicyReport], sweeps: Int, curves: Int) {
        print("\(sweeps) sweep\(sweeps == 1 ? "" : "s"), \(curves) curves, \(workers) workers")
        let header = ["policy", "compute saved", "time saved", "regret", "rel. regret", "best stopped", "top-\(topK) stopped", "runs stopped", "decisions"]
        let rows = reports.map { report -> [String] in
            let s = report.summary
            return [Self.label(report.rule),
                    Self.percent(s.computeSaved), Self.percent(s.timeSaved),
                    String(format: "%.4g", s.regret), String(format: "%.2f%%", 100 * s.relativeRegret),
                    "\(s.bestStopped)/\(s.sweeps)", String(format: "%.2f", s.topKStopped),
                    "\(s.stopped)", "\(s.decisions)"]
        }
        // The policy column is never cut: its predict variants differ at the end of the label.
        print(TextTable.render(header: header, rows: rows, maxWidth: max(40, rows.map { $0[0].count }.max() ?? 0)), terminator: "")
        print("compute and time saved: mean over sweeps of 1 - used/full; regret: mean |best found - true best|; best stopped: sweeps whose true best run was stopped")
    }

    /// The policy's name; for `predict`, with the settings that tell its variants apart.
    static func label(_ rule: StoppingRule) -> String {
        guard rule.kind == .predict else { return rule.kind.rawValue }
        var settings = [String(format: "p < %g", rule.probabilityThreshold)]
        if rule.costAware { settings.append("cost-aware") }
        if rule.forecaster != .ensemble { settings.append(rule.forecaster.rawValue) }
        return "predict (\(settings.joined(separator: ", ")))"
    }

    /// A percentage with one decimal; rounding noise around zero prints as 0.0%.
    static func percent(_ x: Double) -> String {
        String(format: "%.1f%%", abs(x) < 5e-4 ? 0 : 100 * x)
    }

    private func printAccuracy(_ rows: [PredictionAccuracy.Row], population: [PopulationAccuracy.Row]) throws {
        if format == "json" {
            struct Output: Encodable {
                var ensemble: [PredictionAccuracy.Row]
                var population: [PopulationAccuracy.Row]
            }
            try Self.printPrettyJSON(Output(ensemble: rows, population: population))
            return
        }
        let header = ["from", "curves", "declined", "MAE ensemble", "MAE best family", "MAE last value", "LL ensemble", "LL best family", "80% covered",
                      "MAE ens.+fallback", "MAE last (all)", "calibrated: declined", "MAE", "MAE last value", "LL", "80% covered"]
        let cells = rows.map { row -> [String] in
            [String(format: "%.0f%%", 100 * row.fraction), "\(row.curves)", "\(row.insufficient)",
             String(format: "%.4f", row.ensembleMAE), String(format: "%.4f", row.bestFamilyMAE), String(format: "%.4f", row.lastValueMAE),
             String(format: "%.2f", row.ensembleLogLikelihood), String(format: "%.2f", row.bestFamilyLogLikelihood),
             String(format: "%.1f%%", 100 * row.coverage80),
             String(format: "%.4f", row.ensembleMAEWithFallback), String(format: "%.4f", row.lastValueMAEAll),
             "\(row.calibratedDeclined)", String(format: "%.4f", row.calibratedMAE), String(format: "%.4f", row.lastValueMAEOnCalibrated),
             String(format: "%.2f", row.calibratedLogLikelihood),
             String(format: "%.1f%%", 100 * row.calibratedCoverage80)]
        }
        print(TextTable.render(header: header, rows: cells), terminator: "")
        print("final value predicted from the first ⌈f·n⌉ points of each curve (at least 1, at most n-1); MAE and mean log density of the true final value over the curves the ensemble predicted; the last two columns over every curve")
        print("")
        let populationCells = population.map { row -> [String] in
            [String(format: "%.0f%%", 100 * row.fraction), "\(row.curves)", "\(row.declined)", String(format: "%.4f", row.mae),
             String(format: "%.4f", row.lastValueMAE), String(format: "%.2f", row.logLikelihood), String(format: "%.1f%%", 100 * row.coverage80)]
        }
        print(TextTable.render(header: ["from", "curves", "declined", "MAE population", "MAE last value", "LL population", "80% covered"], rows: populationCells), terminator: "")
        print("population forecaster, leave-one-out: each curve forecast from the other curves of its file (sweep), all taken as completed")
    }

    private func printJSON(_ reports: [PolicyReport], direction: Direction) throws {
        struct Output: Encodable {
            var direction: String
            var workers: Int
            var topK: Int
            var policies: [PolicyJSON]
        }
        struct PolicyJSON: Encodable {
            var policy: String
            var rule: StoppingRule
            var summary: PolicySummary
            var sweeps: [SweepJSON]
        }
        struct SweepJSON: Encodable {
            var name: String
            var outcome: ReplayOutcome
            var computeSaved: Double
            var regret: Double?
            var relativeRegret: Double?
        }
        let output = Output(direction: direction.rawValue, workers: workers, topK: topK, policies: reports.map { report in
            PolicyJSON(policy: report.rule.kind.rawValue, rule: report.rule, summary: report.summary, sweeps: report.outcomes.map {
                SweepJSON(name: $0.name, outcome: $0.outcome, computeSaved: $0.outcome.computeSaved, regret: $0.outcome.regret, relativeRegret: $0.outcome.relativeRegret)
            })
        })
        try Self.printPrettyJSON(output)
    }

    static func printPrettyJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// One policy's outcomes over every replayed sweep.
struct PolicyReport {
    var rule: StoppingRule
    var outcomes: [(name: String, outcome: ReplayOutcome)]

    var summary: PolicySummary {
        let count = Double(max(outcomes.count, 1))
        let regrets = outcomes.map { $0.outcome.regret ?? 0 }
        let relative = outcomes.compactMap { $0.outcome.foundBest == nil ? nil : $0.outcome.relativeRegret }
        return PolicySummary(
            sweeps: outcomes.count,
            computeSaved: outcomes.reduce(0) { $0 + $1.outcome.computeSaved } / count,
            timeSaved: outcomes.reduce(0) { $0 + ($1.outcome.makespanFull > 0 ? 1 - $1.outcome.makespan / $1.outcome.makespanFull : 0) } / count,
            regret: regrets.reduce(0, +) / count,
            relativeRegret: relative.reduce(0, +) / Double(max(relative.count, 1)),
            medianRelativeRegret: relative.isEmpty ? 0 : StoppingRule.quantile(relative.sorted(), 0.5),
            regretAboveZero: Double(regrets.filter { $0 > 0 }.count) / count,
            nothingCompleted: outcomes.filter { $0.outcome.foundBest == nil }.count,
            bestStopped: outcomes.filter(\.outcome.trueBestStopped).count,
            topKStopped: Double(outcomes.reduce(0) { $0 + $1.outcome.topKStopped }) / count,
            stopped: outcomes.reduce(0) { $0 + $1.outcome.stopped },
            decisions: outcomes.reduce(0) { $0 + $1.outcome.decisions })
    }
}

/// Means over sweeps.
struct PolicySummary: Encodable {
    var sweeps: Int
    var computeSaved: Double
    var timeSaved: Double
    var regret: Double
    /// Mean over the sweeps whose true best is not 0 (relative regret is undefined there).
    var relativeRegret: Double
    var medianRelativeRegret: Double
    /// Fraction of sweeps with any regret.
    var regretAboveZero: Double
    var nothingCompleted: Int
    var bestStopped: Int
    var topKStopped: Double
    var stopped: Int
    var decisions: Int
}
