import ArgumentParser
import Foundation
import SweepCore

/// `sweep validate FILE...`: check sweep files and report every problem compiler style.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check sweep files; exit 0 when all are valid, 1 otherwise (errors on stderr)."
    )

    @Argument(help: "Sweep YAML files to check.")
    var files: [String]

    @Flag(name: .long, help: "Print nothing for valid files.")
    var quiet = false

    @Option(name: .long, help: "Refuse grids larger than this many jobs.")
    var maxJobs = ExpansionOptions().maxJobs

    func run() throws {
        var failures = 0
        for file in files {
            switch SweepLoader.load(file) {
            case .failure:
                failures += 1
            case .success(let spec):
                do {
                    let expansion = try Expander.expand(spec, options: ExpansionOptions(maxJobs: maxJobs))
                    if !quiet {
                        print("\(file): ok: \(spec.method.rawValue), \(expansion.configurationCount) configurations, \(expansion.jobs.count) jobs")
                    }
                } catch {
                    failures += 1
                    Terminal.error("\(file): error: \(error)")
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// Loads a sweep file, printing its diagnostics (with source snippets) to stderr.
enum SweepLoader {
    static func load(_ file: String) -> Result<SweepSpec, SweepFileError> {
        let source = FileManager.default.contents(atPath: file).flatMap { String(data: $0, encoding: .utf8) }
        do {
            let (spec, warnings) = try SweepFile.load(path: file)
            for warning in warnings { Terminal.error(DiagnosticRenderer.render(warning, source: source)) }
            return .success(spec)
        } catch {
            for diagnostic in error.diagnostics.all.sorted(by: { $0.location < $1.location }) {
                Terminal.error(DiagnosticRenderer.render(diagnostic, source: source))
            }
            return .failure(error)
        }
    }
}

/// Writing to the terminal's streams.
enum Terminal {
    /// Writes a line to standard error.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
