import ArgumentParser
import Foundation
import SweepCore

/// `sweep expand FILE`: print the concrete jobs a sweep expands to.
struct ExpandCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Print the concrete jobs a sweep expands to."
    )

    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @Argument(help: "The sweep YAML file.")
    var file: String

    @Option(name: .long, help: "Output format: table, json or csv.")
    var format: Format = .table

    @Option(name: .long, help: "Print at most this many jobs (all are still expanded and counted).")
    var limit: Int?

    @Option(name: .long, help: "Refuse sweeps that expand to more than this many jobs.")
    var maxJobs = ExpansionOptions().maxJobs

    @Flag(name: .long, help: "Also print each job's command line (argv) or kernel.")
    var command = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1") }
    }

    func run() throws {
        guard case .success(let spec) = SweepLoader.load(file) else { throw ExitCode(1) }
        let expansion: Expansion
        do {
            expansion = try Expander.expand(spec, options: ExpansionOptions(maxJobs: maxJobs))
        } catch {
            Terminal.error("\(file): error: \(error)")
            throw ExitCode(1)
        }
        for note in expansion.notes { Terminal.error("\(file): note: \(note)") }
        let shown = limit.map { Array(expansion.jobs.prefix($0)) } ?? expansion.jobs
        let writer = JobWriter(spec: spec, includeCommand: command)
        var output = StandardOutput()
        switch format {
        case .table: writer.writeTable(shown, to: &output)
        case .json: writer.writeJSON(shown, to: &output)
        case .csv: writer.writeCSV(shown, to: &output)
        }
        output.flush()
        var summary = "\(expansion.jobs.count) jobs (\(expansion.configurationCount) configurations"
        if spec.seeds.count > 1 { summary += " × \(spec.seeds.count) seeds" }
        if let ladder = spec.ladder { summary += " × \(ladder.rungs.count) rungs" }
        summary += ")"
        if shown.count < expansion.jobs.count { summary += ", \(shown.count) shown" }
        Terminal.error(summary)
    }
}
