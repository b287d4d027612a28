import Foundation
import Testing

extension SystemTests {
    @Test("sweep logs shows each attempt with its outcome, error and log tail; a job without attempts says its state; an unknown job is an error. sweep cancel --job, sweep workers; sweep status keeps a finished sweep's rate")
    func logsAndStatus() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            // One job that fails: exit 3 after one plain line and two metric lines, three attempts.
            let failing = SweepFiles.command(jobs: 1, steps: 2).replacingOccurrences(of: "  sleep:\n", with: "  exit:\n    value: 3\n  sleep:\n")
            let sweep = try await cluster.submit("logged", yaml: failing)
            try cluster.startWorker("w1", slots: 1)
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(60)) == ["dead": 1])
            let job = try #require(try await cluster.jobs(ofSweep: sweep).first).id

            let logs = try await cluster.runToEnd("logs", ["logs", "\(job)"])
            #expect(logs.status == 0, "\(logs.output)")
            for attempt in 1...3 {
                #expect(logs.output.contains("== attempt \(attempt) on w1 "), "\(logs.output)")
            }
            #expect(logs.output.contains("failed, exit 3"), "\(logs.output)")
            #expect(logs.output.contains("error: exit status 3"), "\(logs.output)")
            #expect(logs.output.contains("metrics.py starting with 2 steps"), "the plain line is in the log tail: \(logs.output)")
            #expect(!logs.output.contains(#""loss""#), "metric lines are metrics, not log: \(logs.output)")

            let unknown = try await cluster.runToEnd("logs-unknown", ["logs", "987654321"])
            #expect(unknown.status != 0 && unknown.output.contains("no job 987654321"), "\(unknown.output)")

            // A job no worker can take (it needs a label no worker has): queued, no attempt.
            let waiting = try await cluster.submit("waiting", yaml: SweepFiles.sleep(jobs: 1, seconds: 0) + "resources: {labels: {zone: nowhere}}\n")
            let queuedJob = try #require(try await cluster.jobs(ofSweep: waiting).first).id
            let none = try await cluster.runToEnd("logs-queued", ["logs", "\(queuedJob)"])
            #expect(none.status == 0 && none.output.contains("job \(queuedJob) is queued and has no attempts yet"), "\(none.output)")

            // Cancelled by id; then `sweep logs` says so.
            let cancel = try await cluster.runToEnd("cancel-job", ["cancel", "--job", "\(queuedJob)"])
            #expect(cancel.status == 0 && cancel.output.contains("cancelled"), "\(cancel.output)")
            #expect(try await cluster.jobs(ofSweep: waiting).first?.state == "cancelled")
            let after = try await cluster.runToEnd("logs-cancelled", ["logs", "\(queuedJob)"])
            #expect(after.output.contains("job \(queuedJob) is cancelled and has no attempts yet"), "\(after.output)")
            // `sweep workers` lists the worker, alive.
            let workers = try await cluster.runToEnd("workers", ["workers"])
            #expect(workers.status == 0, "\(workers.output)")
            let line = workers.output.split(separator: "\n").first { $0.hasPrefix("w1 ") }
            #expect(line?.contains("alive") == true, "\(workers.output)")

            // A finished sweep's rate is over its run: it does not fall as time passes.
            let status = try await cluster.runToEnd("status", ["status", "logged"])
            #expect(status.status == 0 && status.output.contains("logged [##############################] 1/1"), "\(status.output)")
            #expect(status.output.contains("dead 1"), "\(status.output)")
            try await Task.sleep(for: .seconds(2))
            let later = try await cluster.runToEnd("status-later", ["status", "logged"])
            let rate = { (text: String) -> Substring? in
                let words = text.split(whereSeparator: \.isWhitespace)
                return words.firstIndex(of: "jobs/s").map { words[$0 - 1] }
            }
            #expect(rate(status.output) != nil && rate(status.output) == rate(later.output), "\(status.output) then \(later.output)")
        }
    }
}
