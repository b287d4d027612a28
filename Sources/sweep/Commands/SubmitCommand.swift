import ArgumentParser
import Foundation
import SweepCore
import SweepStore

/// `sweep submit FILE`: validate, expand and enqueue a sweep in one transaction.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Validate a sweep, expand it and store its jobs (all or nothing)."
    )

    @Argument(help: "The sweep YAML file.")
    var file: String

    @Option(name: .long, help: "Sweep name (default: the file's 'name', else its file name).")
    var name: String?

    @Option(name: .long, help: "Refuse sweeps that expand to more than this many jobs.")
    var maxJobs = ExpansionOptions().maxJobs

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard case .success(let spec) = SweepLoader.load(file) else { throw ExitCode(1) }
        let expansion: Expansion
        do {
            expansion = try Expander.expand(spec, options: ExpansionOptions(maxJobs: maxJobs))
        } catch {
            throw CommandFailure("\(file): error: \(error)")
        }
        let yaml = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let sweepName = name ?? spec.name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let logger = CLILogging.logger("sweep.submit")
        let url = try database.resolve(logger: logger)
        let jobs = expansion.jobs
        let record = try await withStore(url, logger: logger) { store in
            try await store.enqueue(name: sweepName, sourceFile: file, yaml: yaml, spec: spec, jobs: jobs)
        }
        print("submitted sweep '\(record.name)': \(record.jobCount) jobs; results in the view \(record.resultsView)")
    }
}
