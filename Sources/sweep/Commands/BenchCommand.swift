import ArgumentParser
import Foundation
import SweepCore

/// `sweep bench ...`: measured benchmarks, each printed with its baseline.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures.",
        subcommands: [ExpandBenchmark.self, StoreBenchmark.self, QueueBenchmark.self, DispatchBenchmark.self, KernelsBenchmark.self, PredictBenchmark.self, WireBenchmark.self]
    )
}

/// Times expansion of a large grid and a large random sweep, in process.
struct ExpandBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Time expanding a 100,000-job grid and 100,000 random samples (use a release build)."
    )

    @Option(name: .long, help: "Jobs per sweep.")
    var jobs = 100_000

    @Option(name: .long, help: "Repetitions; the best and median times are reported.")
    var repetitions = 5

    func run() throws {
        let side = 10
        let gridYAML = """
            method: grid
            program: train.py
            parameters:
              a: {values: [\((0..<side).map(String.init).joined(separator: ", "))]}
              b: {values: [\((0..<side).map { "\($0).5" }.joined(separator: ", "))]}
              c: {values: [\((0..<side).map { "\"s\($0)\"" }.joined(separator: ", "))]}
              d: {values: [\((0..<side).map(String.init).joined(separator: ", "))]}
              e: {min: 1, max: \(jobs / (side * side * side * side))}
            """
        let randomYAML = """
            method: random
            program: train.py
            run_cap: \(jobs)
            parameters:
              lr: {distribution: log_uniform_values, min: 0.00001, max: 0.1}
              momentum: {distribution: uniform, min: 0.5, max: 0.99}
              width: {distribution: q_log_uniform_values, min: 16, max: 4096, q: 8}
              depth: {distribution: int_uniform, min: 1, max: 12}
              activation: {values: [relu, gelu, tanh, silu]}
            """
        for (name, yaml) in [("grid", gridYAML), ("random", randomYAML)] {
            let spec = try SweepFile.parse(text: yaml, file: "<bench-\(name)>").spec
            var timings: [Double] = []
            var count = 0
            for _ in 0..<repetitions {
                let clock = ContinuousClock()
                let start = clock.now
                let expansion = try Expander.expand(spec, options: ExpansionOptions(maxJobs: jobs * 2))
                let elapsed = clock.now - start
                count = expansion.jobs.count
                timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            }
            timings.sort()
            let best = timings[0], median = timings[timings.count / 2]
            print(String(format: "%@: %d jobs, best %.3f s, median %.3f s (%.0f jobs/s)", name, count, best, median, Double(count) / median))
        }
        print(String(format: "peak resident memory: %.1f MB", Double(ProcessMemory.peakResidentBytes()) / 1e6))
    }
}

/// Reads the process's peak resident set from /proc (Linux).
enum ProcessMemory {
    static func peakResidentBytes() -> Int {
        ProcessSample.take(pid: getpid()).peakResidentBytes
    }
}
