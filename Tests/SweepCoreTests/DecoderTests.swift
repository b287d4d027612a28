import Foundation
@testable import SweepCore
import Testing

@Suite("Decoding sweep YAML")
struct DecoderTests {
    /// The example of W&B's "Define sweep configuration" page, in its YAML form.
    @Test func wandbDocumentationExampleDecodes() throws {
        let spec = try Support.spec("""
            program: train.py
            method: random
            name: sweep
            metric:
              goal: minimize
              name: validation_loss
            parameters:
              batch_size:
                values: [16, 32, 64]
              epochs:
                values: [5, 10, 15]
              lr:
                max: 0.1
                min: 0.0001
            """)
        #expect(spec.method == .random)
        #expect(spec.metric == MetricSpec(name: "validation_loss", goal: .minimize))
        #expect(spec.program == "train.py")
        let byName = Dictionary(uniqueKeysWithValues: spec.parameters.map { ($0.dottedName, $0.distribution) })
        #expect(byName["lr"] == .uniform(min: 0.0001, max: 0.1))
        #expect(byName["batch_size"] == .categorical(values: [.int(16), .int(32), .int(64)], probabilities: nil))
    }

    @Test func distributionsAreInferredAsWandbDoes() throws {
        let spec = try Support.spec("""
            method: random
            program: t.py
            run_cap: 1
            parameters:
              a: {value: 3}
              b: {values: [x]}
              c: {min: 1, max: 4}
              d: {min: 1.0, max: 4}
              e: {min: 0.5, max: 4}
            """)
        let kinds = spec.parameters.map(\.distribution.name)
        #expect(kinds == ["constant", "categorical", "int_uniform", "uniform", "uniform"])
    }

    @Test func everyDistributionNameDecodesWithItsSettings() throws {
        let lines = [
            "constant: {distribution: constant, value: 1}",
            "categorical: {distribution: categorical, values: [1, 2], probabilities: [0.25, 0.75]}",
            "int_uniform: {distribution: int_uniform, min: 1, max: 3}",
            "uniform: {distribution: uniform, min: 0, max: 1}",
            "log_uniform: {distribution: log_uniform, min: -5, max: 0}",
            "log_uniform_values: {distribution: log_uniform_values, min: 0.001, max: 1}",
            "inv_log_uniform: {distribution: inv_log_uniform, min: 0, max: 5}",
            "inv_log_uniform_values: {distribution: inv_log_uniform_values, min: 0.001, max: 1}",
            "q_uniform: {distribution: q_uniform, min: 0, max: 1, q: 0.25}",
            "q_log_uniform: {distribution: q_log_uniform, min: 1, max: 4, q: 2}",
            "q_log_uniform_values: {distribution: q_log_uniform_values, min: 8, max: 512, q: 8}",
            "normal: {distribution: normal, mu: 1, sigma: 2}",
            "q_normal: {distribution: q_normal, mu: 1, sigma: 2, q: 0.5}",
            "log_normal: {distribution: log_normal, mu: 0, sigma: 1}",
            "q_log_normal: {distribution: q_log_normal, mu: 0, sigma: 1, q: 1}",
            "beta: {distribution: beta, a: 2, b: 3}",
            "q_beta: {distribution: q_beta, a: 2, b: 3, q: 0.1}",
        ]
        let spec = try Support.spec("method: random\nprogram: t.py\nrun_cap: 200\nparameters:\n" + lines.map { "  " + $0 }.joined(separator: "\n"))
        #expect(spec.parameters.map(\.dottedName) == spec.parameters.map(\.distribution.name))
        #expect(Set(spec.parameters.map(\.distribution.name)) == Set(DistributionKind.allCases.map(\.rawValue)))
        for job in try Expander.expand(spec).jobs {
            for parameter in spec.parameters {
                #expect(parameter.distribution.contains(job.params[path: parameter.path]!))
            }
        }
    }

    @Test func defaultsOfOptionalSettings() throws {
        let spec = try Support.spec("method: random\nprogram: t.py\nrun_cap: 1\nparameters: {n: {distribution: normal}, q: {distribution: q_uniform, min: 0, max: 10}}\n")
        #expect(spec.parameters[0].distribution == .normal(mu: 0, sigma: 1))
        #expect(spec.parameters[1].distribution == .qUniform(min: 0, max: 10, q: 1))
        #expect(spec.seeds == [0] && spec.seed == 0 && spec.priority == 0)
        #expect(spec.retries == RetryPolicy())
    }

    @Test func nestedParametersKeepTheirPath() throws {
        let spec = try Support.spec("""
            method: grid
            program: t.py
            parameters:
              optimizer:
                parameters:
                  name: {values: [adam, sgd]}
                  schedule:
                    parameters:
                      warmup: {value: 100}
            """)
        #expect(spec.parameters.map(\.dottedName) == ["optimizer.name", "optimizer.schedule.warmup"])
        let job = try #require(try Expander.expand(spec).jobs.first)
        #expect(job.params.canonicalJSON == #"{"optimizer":{"name":"adam","schedule":{"warmup":100}}}"#)
    }

    @Test func sweepExtensionsDecode() throws {
        let spec = try Support.spec("""
            method: sobol
            kernel: mlp-train
            run_cap: 8
            seed: 99
            seeds: 3
            priority: -5
            max_steps: 400
            metric: {name: val_accuracy, goal: maximize, target: 0.99}
            resources: {slots: 2, gpus: 1, labels: {zone: a, arch: 8}}
            retries: {max_attempts: 5, backoff: 1.5m, max_backoff: 1h}
            early_stop: {policy: predict, min_steps: 10, min_completed: 4, threshold: 0.1}
            parameters: {lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}}
            """)
        #expect(spec.method == .sobol && spec.seed == 99 && spec.seeds == [0, 1, 2] && spec.priority == -5)
        #expect(spec.kernel == KernelSpec(name: "mlp-train"))
        #expect(spec.resources == ResourceSpec(slots: 2, gpus: 1, labels: ["zone": "a", "arch": "8"]))
        #expect(spec.retries == RetryPolicy(maxAttempts: 5, backoff: .seconds(90), maxBackoff: .seconds(3600)))
        let stop = try #require(spec.earlyStop)
        #expect(stop.policy == .predict && stop.minSteps == 10 && stop.minCompleted == 4 && stop.probabilityThreshold == 0.1)
        #expect(!stop.costAware)
        #expect(spec.metric?.target == 0.99)
    }

    @Test func predictTakesCostAwareAndAForecasterAndStoredSpecsWithoutThemStillDecode() throws {
        let spec = try Support.spec("""
            method: grid
            kernel: mlp-train
            max_steps: 100
            metric: {name: val_loss, goal: minimize}
            early_stop: {policy: predict, threshold: 0.005, cost_aware: true, forecaster: mixed}
            parameters: {lr: {values: [0.1, 0.01]}}
            """)
        let stop = try #require(spec.earlyStop)
        #expect(stop.costAware && stop.probabilityThreshold == 0.005 && stop.forecaster == "mixed")
        let stored = try JSONEncoder().encode(stop)
        #expect(try JSONDecoder().decode(EarlyStopSpec.self, from: stored) == stop)
        // A sweep stored before cost_aware and forecaster existed has no such keys.
        var object = try #require(try JSONSerialization.jsonObject(with: stored) as? [String: Any])
        object.removeValue(forKey: "costAware")
        object.removeValue(forKey: "forecaster")
        let old = try JSONDecoder().decode(EarlyStopSpec.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(!old.costAware && old.forecaster == "ensemble" && old.probabilityThreshold == 0.005)
    }

    @Test func earlyTerminateFollowsWandbHyperband() throws {
        let spec = try Support.spec("""
            method: random
            program: t.py
            run_cap: 4
            metric: {name: loss}
            early_terminate: {type: hyperband, min_iter: 3}
            parameters: {lr: {min: 0.0, max: 1.0}}
            """)
        let hyperband = try #require(spec.earlyTerminate)
        #expect(hyperband.eta == 3 && hyperband.strict == false)
        #expect(Array(hyperband.bracketSteps.prefix(4)) == [3, 9, 27, 81])
        let byMax = HyperbandSpec(maxIter: 27, eta: 3, s: 2)
        #expect(byMax.bracketSteps == [3, 9])
    }

    @Test func everyPolicyAcceptsItsOwnSettingsOnly() throws {
        let cases: [(String, Bool)] = [
            ("{policy: none}", true),
            ("{policy: median, min_steps: 3, min_trials: 4}", true),
            ("{policy: asha, min_steps: 1, reduction_factor: 4, max_steps: 81}", true),
            ("{policy: hyperband, min_iter: 2, eta: 2, strict: true}", true),
            ("{policy: threshold, value: 0.9, min_steps: 2}", true),
            ("{policy: median, reduction_factor: 3}", false),
            ("{policy: threshold}", false),
            ("{policy: asha, reduction_factor: 1}", false),
        ]
        for (policy, valid) in cases {
            let yaml = "method: random\nprogram: t.py\nrun_cap: 1\nmetric: {name: loss}\nearly_stop: \(policy)\nparameters: {x: {min: 0.0, max: 1.0}}\n"
            #expect(Support.errors(yaml).isEmpty == valid, "\(policy): \(Support.errors(yaml).map(\.message))")
        }
    }

    @Test func durationsParse() {
        #expect(SpecDecoder.parseDuration("500ms") == .milliseconds(500))
        #expect(SpecDecoder.parseDuration("10s") == .seconds(10))
        #expect(SpecDecoder.parseDuration("2h") == .seconds(7200))
        #expect(SpecDecoder.parseDuration("ten seconds") == nil)
        #expect(SpecDecoder.parseDuration("-1s") == nil)
    }

    @Test func yamlScalarsResolveLikePyYAMLPlusExponentFloats() {
        func value(_ text: String, plain: Bool = true) -> ParamValue {
            YAMLScalar(text: text, isPlain: plain, tag: nil, location: SourceLocation(file: "f", line: 1, column: 1)).value
        }
        #expect(value("1e-3") == .double(0.001))
        #expect(value("1_000") == .int(1000))
        #expect(value("0x1F") == .int(31))
        #expect(value("yes") == .bool(true))
        #expect(value("Off") == .bool(false))
        #expect(value("~") == .null)
        #expect(value("nan") == .string("nan"))
        #expect(value("3", plain: false) == .string("3"))
        #expect(value("-9223372036854775808") == .int(Int64.min))
        #expect(value("9223372036854775808") == .double(9223372036854775808))
    }

    @Test func locationsAreOneBasedLinesAndColumns() {
        let errors = Support.errors("method: grid\nprogram: t.py\nparameters:\n  lr: {min: 2, max: 1}\n")
        #expect(errors.map { "\($0.location.line):\($0.location.column)" } == ["4:13"])
    }

    @Test func specRoundTripsThroughJSON() throws {
        let spec = try Support.spec("""
            method: random
            program: t.py
            run_cap: 3
            metric: {name: loss}
            early_stop: {policy: asha}
            ladder: {size: width, rungs: [8, 16], budget: {parameter: steps, per_rung: [10, 20]}}
            command: ["${env}", "${interpreter}", "${program}", "${args}"]
            parameters: {lr: {values: [0.1, 0.2], probabilities: [0.5, 0.5]}, w: {distribution: beta, a: 2, b: 2}}
            """)
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(SweepSpec.self, from: data) == spec)
    }
}

@Suite("Example sweeps")
struct ExampleSweepTests {
    static var files: [String] {
        let folder = Support.repositoryRoot.appendingPathComponent("sweeps")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    @Test func thereAreAtLeastSixExamples() {
        #expect(Self.files.count >= 6)
    }

    @Test("every example validates without warnings and expands", arguments: files)
    func exampleValidates(path: String) throws {
        let (spec, warnings) = try SweepFile.load(path: path)
        #expect(warnings.isEmpty, "\(warnings)")
        let expansion = try Expander.expand(spec)
        #expect(!expansion.jobs.isEmpty)
    }
}

@Suite("Ladder tasks")
struct LadderTaskDecoderTests {
    @Test func tasksMapATaskMetricToTheLossItFollows() throws {
        let spec = try SweepFile.parse(text: """
            program: t.py
            method: grid
            metric: {name: val_loss, goal: minimize}
            parameters: {lr: {value: 0.1}}
            ladder: {size: width, rungs: [8, 16, 32], tasks: {val_acc: val_loss, top5: val_loss}}
            """, file: "t.yaml").spec
        #expect(spec.ladder?.tasks == [LadderTask(metric: "val_acc", loss: "val_loss"), LadderTask(metric: "top5", loss: "val_loss")])
    }

    @Test func aTaskThroughItselfIsAnErrorWithItsPlace() throws {
        let text = """
            program: t.py
            method: grid
            metric: {name: val_loss, goal: minimize}
            parameters: {lr: {value: 0.1}}
            ladder:
              size: width
              rungs: [8, 16, 32]
              tasks: {val_acc: val_acc}
            """
        do {
            _ = try SweepFile.parse(text: text, file: "t.yaml")
            Issue.record("a task through itself was accepted")
        } catch {
            let first = try #require(error.diagnostics.errors.first)
            #expect(first.message.contains("predicted through its own values"))
            #expect(first.location.line == 8)
        }
    }
}
