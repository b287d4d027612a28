import Foundation
@testable import SweepCore
import Testing

@Suite("Expansion")
struct ExpansionTests {
    @Test func gridIsTheFullProductInNameOrderLastFastest() throws {
        let spec = try Support.spec("""
            method: grid
            program: t.py
            parameters:
              b: {values: [x, y, z]}
              a: {values: [1, 2]}
              c: {distribution: int_uniform, min: 0, max: 1}
              d: {value: fixed}
            """)
        let jobs = try Expander.expand(spec).jobs
        #expect(jobs.count == 12)
        let triples = jobs.map { job in
            ["a", "b", "c"].map { job.params[path: [$0]]!.displayText }.joined()
        }
        #expect(triples == ["1x0", "1x1", "1y0", "1y1", "1z0", "1z1", "2x0", "2x1", "2y0", "2y1", "2z0", "2z1"])
        #expect(jobs.allSatisfy { $0.params[path: ["d"]] == .string("fixed") })
        #expect(Set(jobs.map(\.configHash)).count == 12)
    }

    @Test func gridLargerThanTheLimitIsRefusedBeforeAnythingIsCreated() throws {
        let spec = try Support.spec("""
            method: grid
            program: t.py
            parameters:
              a: {min: 1, max: 1000}
              b: {min: 1, max: 1000}
            """)
        #expect(throws: ExpansionError.self) { try Expander.expand(spec) }
        do {
            _ = try Expander.expand(spec)
        } catch let error as ExpansionError {
            #expect(error.description == "the sweep expands to 1000000 jobs (1000000 configurations), more than the limit of 100000; narrow the grid, set run_cap, or raise the limit with --max-jobs")
        }
        let small = try Support.spec("method: grid\nprogram: t.py\nparameters: {a: {min: 1, max: 50}, b: {min: 1, max: 50}}\n")
        #expect(throws: ExpansionError.self) { try Expander.expand(small, options: ExpansionOptions(maxJobs: 2_499)) }
        #expect(try Expander.expand(small, options: ExpansionOptions(maxJobs: 2_500)).jobs.count == 2_500)
        let huge = try Support.spec("method: grid\nprogram: t.py\nparameters: {a: {min: 0, max: 9223372036854775807}, b: {min: 0, max: 10}}\n")
        #expect(throws: ExpansionError.self) { try Expander.expand(huge) }
    }

    @Test func runCapTruncatesAGridAndSeedsMultiply() throws {
        let spec = try Support.spec("""
            method: grid
            program: t.py
            run_cap: 5
            seeds: [3, 11]
            parameters: {a: {min: 1, max: 100}}
            """)
        let jobs = try Expander.expand(spec).jobs
        #expect(jobs.count == 10)
        #expect(jobs.map(\.seed) == [3, 11, 3, 11, 3, 11, 3, 11, 3, 11])
        #expect(jobs[0].configHash == jobs[1].configHash)
        #expect(jobs.map(\.index) == Array(0..<10))
    }

    @Test func randomDrawsAreDeterministicForASeedAndDistinct() throws {
        let yaml = """
            method: random
            program: t.py
            run_cap: 50
            seed: 7
            parameters:
              lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
              opt: {values: [adam, sgd]}
            """
        let first = try Expander.expand(try Support.spec(yaml)).jobs
        let second = try Expander.expand(try Support.spec(yaml)).jobs
        #expect(first == second)
        #expect(Set(first.map(\.configHash)).count == 50)
        let other = try Expander.expand(try Support.spec(yaml.replacingOccurrences(of: "seed: 7", with: "seed: 8"))).jobs
        #expect(other != first)
    }

    @Test func addingAParameterLeavesTheOthersDrawsUnchanged() throws {
        let base = "method: random\nprogram: t.py\nrun_cap: 20\nparameters:\n  lr: {min: 0.0, max: 1.0}\n"
        let extended = base + "  wd: {min: 0.0, max: 1.0}\n"
        let a = try Expander.expand(try Support.spec(base)).jobs.map { $0.params[path: ["lr"]] }
        let b = try Expander.expand(try Support.spec(extended)).jobs.map { $0.params[path: ["lr"]] }
        #expect(a == b)
    }

    @Test func aSmallDiscreteSpaceGivesEachConfigurationOnce() throws {
        let spec = try Support.spec("method: random\nprogram: t.py\nrun_cap: 10\nparameters: {a: {values: [1, 2, 3]}}\n")
        let expansion = try Expander.expand(spec)
        #expect(expansion.jobs.count == 3)
        #expect(Set(expansion.jobs.compactMap { $0.params[path: ["a"]] }) == [.int(1), .int(2), .int(3)])
        #expect(expansion.notes == ["the search space holds only 3 distinct configurations, fewer than the 10 asked for; each runs once"])
    }

    @Test func sobolCoversTheSpaceEvenly() throws {
        let spec = try Support.spec("method: sobol\nprogram: t.py\nrun_cap: 64\nseed: 3\nparameters: {x: {min: 0.0, max: 1.0}, y: {min: 0.0, max: 1.0}}\n")
        let jobs = try Expander.expand(spec).jobs
        #expect(jobs.count == 64)
        for name in ["x", "y"] {
            let cells = Set(jobs.map { Int($0.params[path: [name]]!.numberValue! * 64) })
            #expect(cells.count == 64, "\(name) has one point in each 1/64 interval")
        }
    }

    @Test func randomWithoutRunCapWarnsAndDrawsTheDefault() throws {
        let (spec, warnings) = try SweepFile.parse(text: "method: random\nprogram: t.py\nparameters: {x: {min: 0.0, max: 1.0}}\n", file: "r.yaml")
        #expect(warnings.map(\.description) == ["r.yaml:1:9: warning: random search without 'run_cap' draws 100 configurations; set run_cap to choose how many"])
        #expect(try Expander.expand(spec).jobs.count == 100)
    }

    @Test func ladderRungsCarrySizeAndBudget() throws {
        let spec = try Support.spec("""
            method: grid
            kernel: {name: mlp-train, settings: {task: teacher-student}}
            metric: {name: val_loss}
            seeds: 2
            parameters: {lr: {values: [0.01, 0.001]}}
            ladder:
              size: width
              rungs: [16, 32, 64]
              budget: {parameter: samples, per_param: 20}
              targets: [1024]
            """)
        let expansion = try Expander.expand(spec)
        #expect(expansion.jobs.count == 12)
        #expect(expansion.jobs.map(\.rung) == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
        let last = try #require(expansion.jobs.last)
        #expect(last.params[path: ["width"]] == .int(64))
        #expect(last.params[path: ["samples"]] == .int(1280))
        #expect(spec.ladder?.targets == [["width": .int(1024)]])
        #expect(spec.kernel?.settings["task"] == .string("teacher-student"))
    }
}
