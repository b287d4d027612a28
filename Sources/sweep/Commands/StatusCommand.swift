import ArgumentParser
import Foundation
import Logging
import SweepStore

/// `sweep status [SWEEP] [--watch]`: a progress bar per sweep.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each sweep's progress: queued, assigned, running, succeeded, failed, stopped; rate and ETA."
    )

    @Argument(help: "A sweep name (default: every sweep).")
    var sweep: String?

    @Flag(name: .long, help: "Refresh every second until every shown sweep has finished.")
    var watch = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CLILogging.logger("sweep.status")
        let url = try database.resolve(logger: logger)
        let name = sweep, watching = watch
        try await withStore(url, logger: logger) { store in
            while true {
                let rows = try await store.progress(sweep: name)
                print(ProgressRenderer.render(rows), terminator: "")
                if !watching || rows.allSatisfy(\.isFinished) { break }
                try await Task.sleep(for: .seconds(1))
                print("")
            }
        }
    }
}

/// Text progress bars.
enum ProgressRenderer {
    static func render(_ rows: [SweepProgress]) -> String {
        var output = ""
        for row in rows {
            let width = 30
            let filled = row.total == 0 ? width : width * row.done / row.total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            var line = "\(row.sweep) [\(bar)] \(row.done)/\(row.total)"
            line += "  queued \(row.queued), assigned \(row.assigned), running \(row.running), succeeded \(row.succeeded), retrying \(row.retrying), stopped \(row.stopped), cancelled \(row.cancelled), dead \(row.dead)"
            if let elapsed = row.elapsedSeconds, elapsed > 0, row.done > 0 {
                let rate = Double(row.done) / elapsed
                line += String(format: "  %.1f jobs/s", rate)
                if !row.isFinished { line += String(format: ", ETA %.0f s", Double(row.total - row.done) / rate) }
            }
            if row.state != "active" { line += "  (\(row.state))" }
            output += line + "\n"
        }
        return output.isEmpty ? "no sweeps yet; submit one with: sweep submit FILE\n" : output
    }
}

/// `sweep cancel SWEEP` or `sweep cancel --job ID`.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a sweep (all its unfinished jobs) or one job; running attempts are stopped."
    )

    @Argument(help: "The sweep's name.")
    var sweep: String?

    @Option(name: .long, help: "Cancel this job only.")
    var job: Int64?

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if (sweep == nil) == (job == nil) { throw ValidationError("give a sweep name or --job ID (one of them)") }
    }

    func run() async throws {
        let logger = CLILogging.logger("sweep.cancel")
        let url = try database.resolve(logger: logger)
        let name = sweep, jobID = job
        let revoked = try await withStore(url, logger: logger) { store in
            if let jobID { return try await store.cancel(job: jobID) }
            return try await store.cancelSweep(named: name!)
        }
        print("cancelled\(revoked.isEmpty ? "" : "; \(revoked.count) running attempt(s) will be stopped by the coordinator")")
    }
}

/// `sweep workers`: the workers the coordinator knows.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workers", abstract: "List workers: host, slots, state, jobs held, last seen.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CLILogging.logger("sweep.workers")
        let url = try database.resolve(logger: logger)
        let result = try await withStore(url, logger: logger) { store in
            try await store.readOnlyQuery("SELECT worker, host, slots, gpus, state, jobs_held, last_seen_at FROM workers ORDER BY state, worker")
        }
        ResultPrinter.print(result, format: .table)
    }
}

/// `sweep logs JOB`: every attempt of a job with its log tail.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a job's attempts and the end of their output.")

    @Argument(help: "The job id.")
    var job: Int64

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CLILogging.logger("sweep.logs")
        let url = try database.resolve(logger: logger)
        let id = job
        let (attempts, state) = try await withStore(url, logger: logger) { store in
            let attempts = try await store.attempts(ofJob: id)
            return (attempts, attempts.isEmpty ? try await store.jobState(id) : nil)
        }
        if attempts.isEmpty {
            guard let state else { throw CommandFailure("no job \(id); list jobs with: sweep query \"SELECT job_id, sweep, state FROM results\"") }
            print("job \(id) is \(state) and has no attempts yet")
        }
        for attempt in attempts {
            print("== attempt \(attempt.attempt) on \(attempt.worker)\(attempt.host.map { " (\($0))" } ?? ""): \(attempt.outcome ?? "running")\(attempt.exitStatus.map { ", exit \($0)" } ?? "")")
            if let error = attempt.error { print("error: \(error)") }
            if let tail = attempt.logTail, !tail.isEmpty { print(tail, terminator: tail.hasSuffix("\n") ? "" : "\n") }
        }
    }
}
