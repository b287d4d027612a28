import Foundation
import PostgresNIO
import Testing

/// docs/protocol.md promises that a worker can be written in Python with pyzmq from that
/// document alone, and §14 holds one. These tests run that very code, cut out of the
/// document, against a real coordinator, so the document cannot drift from what the
/// coordinator does. They need a Python 3 with pyzmq (Debian: python3-zmq); without one
/// they are skipped, unless SWEEP_REQUIRE_PYZMQ=1 (as `make test` sets), when its absence
/// is a failure.
extension SystemTests {
    /// A Python interpreter that can `import zmq`, or nil.
    static let pythonWithZeroMQ: String? = {
        var candidates = ["/usr/bin/python3", "/usr/local/bin/python3"]
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(folder)/python3")
        }
        var seen = Set<String>()
        for candidate in candidates where seen.insert(candidate).inserted && FileManager.default.isExecutableFile(atPath: candidate) {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: candidate)
            probe.arguments = ["-c", "import zmq"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return candidate }
        }
        return nil
    }()

    static let pyzmqRequired = ProcessInfo.processInfo.environment["SWEEP_REQUIRE_PYZMQ"] == "1"

    /// The Python worker of docs/protocol.md §14: the first ```python block after its heading.
    static func pythonWorkerSource() throws -> String {
        let document = try repositoryFile("docs/protocol.md")
        guard let section = document.range(of: "\n## 14. A worker in Python"),
              let open = document.range(of: "\n```python\n", range: section.upperBound..<document.endIndex),
              let close = document.range(of: "\n```\n", range: open.upperBound..<document.endIndex) else {
            throw Failure("docs/protocol.md has no ```python block under \"## 14. A worker in Python\"")
        }
        return String(document[open.upperBound..<close.lowerBound]) + "\n"
    }

    /// Starts the Python worker of §14 on `cluster`, running commands in `project`; attempt
    /// folders go under `pywork` of the test folder. Returns the process and that folder.
    static func startPythonWorker(_ cluster: Cluster, project: String) throws -> (ManagedProcess, String) {
        let python = try #require(pythonWithZeroMQ, "no python3 that can import zmq (Debian: apt-get install python3-zmq)")
        let script = "\(cluster.directory)/worker.py"
        try pythonWorkerSource().write(toFile: script, atomically: true, encoding: .utf8)
        let scratch = "\(cluster.directory)/pywork"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let process = try cluster.spawnProgram("python-worker", [python, "-u", script, cluster.endpoint, project], environment: ["TMPDIR": scratch])
        return (process, scratch)
    }

    /// A project folder holding `programs/metrics.py`, as a user's checkout would.
    static func pythonProject(_ cluster: Cluster) throws -> String {
        let project = "\(cluster.directory)/project"
        try FileManager.default.createDirectory(atPath: "\(project)/programs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: SweepFiles.metricsProgram, toPath: "\(project)/programs/metrics.py")
        return project
    }

    @Test("The Python worker of docs/protocol.md runs a command sweep: arguments literal, cwd the project, every point stored once",
          .enabled(if: pythonWithZeroMQ != nil || pyzmqRequired))
    func pythonWorkerRunsCommandSweep() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            let project = try Self.pythonProject(cluster)
            let (_, scratch) = try Self.startPythonWorker(cluster, project: project)
            let values = ["two words", #"it's "quoted""#, "a;b; touch pwned-semicolon", "$(touch pwned-subshell)", "*", ""]
            let yaml = """
                program: programs/metrics.py
                command: ["${env}", "${interpreter}", "${program}", "${args}"]
                method: grid
                metric: {name: loss, goal: minimize}
                parameters:
                  text:
                    values: [\(values.map(SweepFiles.quoted).joined(separator: ", "))]
                  steps:
                    value: 5
                \(SweepFiles.quickRetries)

                """
            let sweep = try await cluster.submit("python-worker", yaml: yaml)
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(90)) == ["succeeded": values.count])
            _ = try await cluster.expectComplete(sweep: sweep, jobs: values.count, steps: 5, names: ["loss", "acc"])

            let rows = try await cluster.client.query(
                "SELECT id, attempt, params->>'text' FROM sweep.jobs WHERE sweep_id = \(sweep) ORDER BY id", logger: Cluster.logger)
            for try await (job, attempt, text) in rows.decode((Int64, Int32, String).self) {
                let folders = try FileManager.default.contentsOfDirectory(atPath: scratch).filter { $0.hasPrefix("sweep-\(job)-\(attempt)-") }
                let folder = try #require(folders.first, "no attempt folder sweep-\(job)-\(attempt)-* in \(scratch)")
                let data = try #require(FileManager.default.contents(atPath: "\(scratch)/\(folder)/received.json"))
                let received = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                #expect(received["argv"] as? [String] == ["--steps=5", "--text=\(text)"], "value \(text.debugDescription)")
                #expect(received["cwd"] as? String == project, "commands run in the project directory (§8.2)")
                #expect(received["job"] as? String == "\(job)" && received["attempt"] as? String == "\(attempt)")
            }
            let everything = FileManager.default.enumerator(atPath: cluster.directory)?.allObjects as? [String] ?? []
            #expect(everything.filter { $0.contains("pwned") }.isEmpty, "\(everything.filter { $0.contains("pwned") })")
        }
    }

    @Test("The Python worker of docs/protocol.md stops cancelled jobs and frees their slots, and leaves with BYE on SIGTERM",
          .enabled(if: pythonWithZeroMQ != nil || pyzmqRequired))
    func pythonWorkerStopsAndDrains() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            let project = try Self.pythonProject(cluster)
            let (worker, _) = try Self.startPythonWorker(cluster, project: project)

            // Two 20-second jobs fill both slots; cancelling the sweep must stop them.
            let long = try await cluster.submit("long", yaml: """
                program: programs/metrics.py
                method: grid
                metric: {name: loss, goal: minimize}
                parameters:
                  x: {values: [1, 2]}
                  steps: {value: 200}
                  sleep: {value: 0.1}

                """)
            try await cluster.waitUntil("both long jobs run and report", timeout: .seconds(30)) {
                try await cluster.scalar("""
                    SELECT count(DISTINCT job_id)::bigint FROM sweep.metrics m JOIN sweep.jobs j ON j.id = m.job_id
                    WHERE j.sweep_id = \(long)
                    """, as: Int64.self) == 2
            }
            let cancelled = try await cluster.runToEnd("cancel", ["cancel", "long"])
            #expect(cancelled.status == 0, "\(cancelled.output)")

            // Slots come back only once the stopped programs have ended: a new sweep finishes.
            let short = try await cluster.submit("short", yaml: SweepFiles.command(jobs: 2, steps: 3))
            #expect(try await cluster.waitForSweeps([short], timeout: .seconds(15)) == ["succeeded": 2])
            #expect(try await cluster.jobStates(sweep: long) == ["cancelled": 2])
            let points = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.metrics m JOIN sweep.jobs j ON j.id = m.job_id WHERE j.sweep_id = \(long)
                """, as: Int64.self) ?? 0
            #expect(points > 0 && points < 2 * 200 * 2, "the stopped jobs kept \(points) points, fewer than a full run's 800")

            // SIGTERM: DRAIN, then BYE with nothing running; the coordinator marks it gone.
            worker.signal(SIGTERM)
            let status = await worker.waitForExit(timeout: .seconds(10))
            #expect(status == 0, "exit status \(String(describing: status)):\n\(worker.logTail())")
            try await cluster.waitUntil("the worker is recorded as gone", timeout: .seconds(5)) {
                try await cluster.scalar("SELECT string_agg(state, ',') FROM sweep.workers", as: String.self) == "gone"
            }
        }
    }
}
