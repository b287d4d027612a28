import Foundation
import SweepCoordinator
import SweepCore
import SweepPrediction
import SweepStore
import Testing

/// The pure part of the coordinator's ladder refits: points, forms, targets, convergence.
@Suite("Ladder analysis")
struct LadderAnalysisTests {
    static func ladder(_ section: String) throws -> LadderSpec {
        let yaml = "program: train.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\nparameters:\n  lr: {value: 0.1}\nladder:\n" + section
        return try #require(try SweepFile.parse(text: yaml, file: "ladder.yaml").spec.ladder)
    }

    /// Results of rungs `widths` (one job each, ids from 1) whose loss follows `law`.
    static func results(_ widths: [Double], budgets: [Double]? = nil, reportedParameters: ((Double) -> Double)? = nil,
                        law: (Double, Double?) -> Double) -> [LadderRungResult] {
        widths.enumerated().map { index, width in
            let budget = budgets?[index]
            var finals = ["loss": law(reportedParameters?(width) ?? width, budget)]
            if let reportedParameters { finals["params"] = reportedParameters(width) }
            return LadderRungResult(job: Int64(index + 1), rung: index, seed: 0, state: .succeeded, sizes: ["width": .int(Int64(width))],
                                    budget: budget, finalMetrics: finals)
        }
    }

    @Test("without budgets: N is the size value, the form is parameters, targets are their size")
    func sizeOnly() throws {
        let ladder = try Self.ladder("  size: width\n  rungs: [16, 32, 64, 128]\n  targets: [256]\n")
        let results = Self.results([16, 32, 64, 128]) { n, _ in 2 + 10 / pow(n, 0.5) }
        let dataset = try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: results)
        #expect(dataset.forms == [.parameters])
        #expect(dataset.observations.map(\.parameters) == [16, 32, 64, 128])
        #expect(dataset.observations.allSatisfy { $0.tokens == nil })
        #expect(dataset.rungs == [0, 1, 2, 3] && dataset.jobs == [1, 2, 3, 4])
        #expect(dataset.targets.map(\.label) == ["width=256"])
        #expect(dataset.predictableTargets.map(\.parameters) == [256])
        #expect(dataset.targets[0].note == nil)
    }

    @Test("a task is predicted in two steps: points carry its value, the stored record predicts it")
    func taskThroughItsLoss() throws {
        let ladder = try Self.ladder("  size: width\n  rungs: [16, 32, 64, 128, 256, 384]\n  targets: [512]\n  tasks: {acc: loss}\n")
        #expect(ladder.tasks == [LadderTask(metric: "acc", loss: "loss")])
        let law: (Double) -> Double = { n in 1 + 10 / pow(n, 0.5) }
        let link: (Double) -> Double = { loss in 0.25 + 0.7 / (1 + exp(4 * (loss - 1.8))) }
        var results = Self.results([16, 32, 64, 128, 256, 384]) { n, _ in law(n) }
        for index in results.indices { results[index].finalMetrics["acc"] = link(results[index].finalMetrics["loss"]!) }
        results[5].finalMetrics["acc"] = nil
        let dataset = try LadderAnalysis(ladder: ladder).dataset(metric: "loss", task: "acc", results: results)
        #expect(dataset.task == "acc" && dataset.observations.count == 5)
        #expect(dataset.observations.allSatisfy { $0.accuracy != nil })
        #expect(dataset.warnings.contains { $0.contains("reported no loss or acc") })
        var configuration = LadderFitConfiguration()
        configuration.bootstrapResamples = 20
        configuration.forms = dataset.forms
        let fit = try LadderFitter(configuration: configuration).fit(dataset.observations, targets: dataset.predictableTargets)
        let record = LadderFitRecord(sweep: 1, dataset: dataset, fit: fit, maxIntervalWidth: nil)
        #expect(record.metric == "acc")
        let predicted = try #require(fit.predictions.first?.accuracy?.value)
        #expect(record.predictionsJSON.contains("\"value\":\(predicted)"))
        #expect(abs(predicted - link(law(512))) < 0.05, "two-step prediction \(predicted) against \(link(law(512)))")
    }

    @Test("a reported params metric gives N; targets' N and D follow the rungs' log-log trends; collinear budgets fit the compute form")
    func reportedParametersAndBudgets() throws {
        let ladder = try Self.ladder("  size: width\n  rungs: [4, 8, 16, 32]\n  budget: {parameter: steps, per_rung: [100, 200, 400, 800]}\n  targets: [64]\n")
        let results = Self.results([4, 8, 16, 32], budgets: [100, 200, 400, 800], reportedParameters: { 1000 * $0 * $0 }) { n, d in
            1.5 + 40 / pow(n, 0.4) + 40 / pow(d!, 0.4)
        }
        let dataset = try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: results)
        #expect(dataset.forms == [.compute])
        let target = try #require(dataset.predictableTargets.first)
        #expect(abs(target.parameters / (1000 * 64 * 64) - 1) < 1e-9)
        // D = 25 × width = 25 × (N/1000)^0.5.
        #expect(abs(target.tokens / 1600 - 1) < 1e-9)
        #expect(dataset.targets[0].note?.contains("width^2") == true)
    }

    @Test("budgets off one power-law line with six pairs fit the joint form; per_param budgets scale the target's N")
    func jointForm() throws {
        let ladder = try Self.ladder("  size: width\n  rungs: [10, 20, 40, 80, 160, 320]\n  budget: {parameter: steps, per_param: 20}\n  targets: [640]\n")
        var results = Self.results([10, 20, 40, 80, 160, 320], budgets: [200, 900, 800, 1600, 9000, 6400]) { n, d in 1 + 5 / pow(n, 0.3) + 5 / pow(d!, 0.3) }
        let dataset = try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: results)
        #expect(dataset.forms == [.joint, .equalExponents])
        #expect(dataset.predictableTargets.first.map { $0.tokens == 20 * 640 } == true)
        // Six points: without the largest rung only the four-parameter equal-exponent law can
        // be fitted, so it is chosen, and the stored law says how.
        var configuration = LadderFitConfiguration()
        configuration.bootstrapResamples = 0
        configuration.forms = dataset.forms
        let fit = try LadderFitter(configuration: configuration).fit(dataset.observations, targets: dataset.predictableTargets)
        #expect(fit.form == .equalExponents && fit.formSelection?.candidates.first?.heldOutError == nil)
        let record = LadderFitRecord(sweep: 1, dataset: dataset, fit: fit, maxIntervalWidth: nil)
        #expect(record.form == "equal-exponents")
        #expect(record.lawJSON.contains("\"selection\":{") && record.lawJSON.contains("\"chosen\":\"equal-exponents\""), "\(record.lawJSON)")
        // A requested form wins.
        #expect(try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: results, form: .compute).forms == [.compute])
        // Failed jobs and jobs without the metric are left out, and said so.
        results[5].state = .stopped
        results[4].finalMetrics = [:]
        let fewer = try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: results)
        #expect(fewer.jobs == [1, 2, 3, 4])
        #expect(fewer.warnings.contains { $0.contains("reported no loss") })
    }

    @Test("fewer than three finished rungs, or several size parameters without params, cannot be fitted")
    func refusals() throws {
        let ladder = try Self.ladder("  size: width\n  rungs: [16, 32, 64]\n  targets: [128]\n")
        let results = Self.results([16, 32, 64]) { n, _ in 1 + 1 / n }
        #expect(throws: LadderAnalysisError.self) { try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: Array(results.prefix(2))) }
        do {
            _ = try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: Array(results.prefix(2)))
        } catch {
            #expect(error.code == .notEnoughRungs)
            #expect(error.message.contains("2 of the ladder's 3 rungs"))
        }
        let shaped = try Self.ladder("  size: [width, depth]\n  rungs: [{width: 16, depth: 2}, {width: 32, depth: 2}, {width: 64, depth: 4}]\n  targets: [{width: 128, depth: 4}]\n")
        let shapedResults = results.map { result -> LadderRungResult in
            var copy = result
            copy.sizes["depth"] = .int(2)
            return copy
        }
        do {
            _ = try LadderAnalysis(ladder: shaped).dataset(metric: "loss", results: shapedResults)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .noParameterCount)
            #expect(error.message.contains("add 'ladder.params'"))
        }
    }

    @Test("convergence: every metric's every target must have a relative interval below the width")
    func convergence() throws {
        let ladder = try Self.ladder("  size: width\n  rungs: [16, 32, 64, 128, 256]\n  targets: [512, 1024]\n  metrics: [loss]\n  adaptive: {max_interval_width: 0.05}\n")
        let results = Self.results([16, 32, 64, 128]) { n, _ in 2 + 10 / pow(n, 0.5) }
        let dataset = try LadderAnalysis(ladder: ladder).dataset(metric: "loss", results: results)
        var configuration = LadderFitConfiguration()
        configuration.forms = dataset.forms
        configuration.bootstrapResamples = 50
        let fit = try LadderFitter(configuration: configuration).fit(dataset.observations, targets: dataset.predictableTargets)
        #expect(abs(fit.predictions[0].loss.value / (2 + 10 / pow(512, 0.5)) - 1) < 1e-3)
        let converged = try #require(LadderConvergence.check(metrics: ["loss"], fits: [(dataset, fit)], maxWidth: 0.05))
        #expect(converged.highestRung == 3 && converged.widestMetric == "loss")
        #expect(converged.widestWidth < 0.05)
        #expect(converged.reason(maxWidth: 0.05, level: 0.9).hasPrefix("ladder converged: after rung 3, every target's 90% interval is narrower than 5% of its prediction (widest: loss at width="))
        #expect(LadderConvergence.isNarrow(dataset, fit, maxWidth: 0.05))
        // Another metric without a fit, or a narrower width, keeps the ladder going.
        #expect(LadderConvergence.check(metrics: ["loss", "val_loss"], fits: [(dataset, fit)], maxWidth: 0.05) == nil)
        #expect(LadderConvergence.check(metrics: ["loss"], fits: [(dataset, fit)], maxWidth: converged.widestWidth / 2) == nil)
        #expect(LadderConvergence.relativeWidth(LadderEstimate(value: 2, lower: 1.9, upper: 2.1)).map { abs($0 - 0.1) < 1e-12 } == true)
        #expect(LadderConvergence.relativeWidth(LadderEstimate(value: 2)) == nil)
    }
}
