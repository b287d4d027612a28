import Foundation
import Synchronization
import Testing
@testable import SweepWorker
#if canImport(Glibc)
import Glibc
#endif

/// A program run the way the worker runs commands, with what it printed and how it ended.
final class ProgramRun: Sendable {
    let process: ChildProcess

    init(_ argv: [String], directory: String = "/", environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let box = Box()
        process = try ChildProcess(argv: argv, directory: directory, environment: environment,
                                   output: { line in box.lines.withLock { $0.append(line) } },
                                   onExit: { status in box.exit.withLock { $0 = status } })
        self.box = box
    }

    private let box: Box
    private final class Box: Sendable {
        let lines = Mutex<[ChildProcess.Output]>([])
        let exit = Mutex<Int32?>(nil)
    }

    /// Waits for the exit status (nil after `timeout`).
    func status(within timeout: Duration = .seconds(10)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = box.exit.withLock({ $0 }) { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    var stdout: [String] { box.lines.withLock { $0 }.compactMap { if case .stdout(let line) = $0 { line } else { nil } } }
    var stderr: [String] { box.lines.withLock { $0 }.compactMap { if case .stderr(let line) = $0 { line } else { nil } } }
    var metrics: [String] { box.lines.withLock { $0 }.compactMap { if case .metrics(let line) = $0 { line } else { nil } } }
}

/// `ChildProcess`: posix_spawn without a shell, output by line, exit statuses, stops.
@Suite("Child processes", .timeLimit(.minutes(1)))
struct ChildProcessTests {
    @Test func argumentsArriveLiterallyWithoutAShell() async throws {
        let hostile = ["two words", "$(touch /tmp/sweep-pwned)", "a;b", "`id`", "*", "", "'\"", "line\nbreak"]
        let run = try ProgramRun(["python3", "-c", "import json, sys; print(json.dumps(sys.argv[1:]))"] + hostile)
        #expect(await run.status() == 0)
        let printed = try #require(run.stdout.first)
        #expect(try JSONDecoder().decode([String].self, from: Data(printed.utf8)) == hostile)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/sweep-pwned"))
    }

    @Test func stdoutStderrAndTheMetricsChannelAreSeparateLines() async throws {
        let script = #"printf 'out 1\nout 2\n'; echo err >&2; echo "{\"step\": 1, \"loss\": 0.5}" >&"$SWEEP_METRICS_FD"; printf 'no newline'"#
        let run = try ProgramRun(["sh", "-c", script])
        #expect(await run.status() == 0)
        #expect(run.stdout == ["out 1", "out 2", "no newline"])
        #expect(run.stderr == ["err"])
        #expect(run.metrics == [#"{"step": 1, "loss": 0.5}"#])
    }

    @Test func itRunsInTheGivenDirectoryWithTheGivenEnvironment() async throws {
        let directory = FileManager.default.temporaryDirectory.path
        var environment = ProcessInfo.processInfo.environment
        environment["SWEEP_JOB_ID"] = "42"
        let run = try ProgramRun(["sh", "-c", "pwd; echo $SWEEP_JOB_ID"], directory: directory, environment: environment)
        #expect(await run.status() == 0)
        #expect(run.stdout.count == 2)
        #expect(URL(fileURLWithPath: run.stdout.first ?? "").resolvingSymlinksInPath() == URL(fileURLWithPath: directory).resolvingSymlinksInPath())
        #expect(run.stdout.last == "42")
    }

    @Test func exitStatusesAndSignalsAreReported() async throws {
        let failing = try ProgramRun(["sh", "-c", "exit 7"])
        #expect(await failing.status() == 7)
        let missing = try ProgramRun(["no-such-program-sweep-test"])
        #expect(await missing.status() == 127)
        let killed = try ProgramRun(["sleep", "30"])
        killed.process.signal(SIGKILL)
        #expect(await killed.status() == 128 + SIGKILL)
        #expect(killed.process.hasExited)
    }

    @Test func aStopReachesTheProgramsChildrenToo() async throws {
        // The shell waits for a child sleep; SIGTERM to the process group ends both.
        let run = try ProgramRun(["sh", "-c", "sleep 30 & echo started; wait"])
        let start = ContinuousClock.now
        while run.stdout.isEmpty, ContinuousClock.now - start < .seconds(5) { try await Task.sleep(for: .milliseconds(10)) }
        run.process.signal(SIGTERM)
        #expect(await run.status(within: .seconds(5)) == 128 + SIGTERM)
        // The exit is reported without waiting out the children's hold on the pipes (their
        // 30 s sleep; a loose bound, as loaded machines are slow).
        #expect(ContinuousClock.now - start < .seconds(20))
        // The orphaned sleep got the signal too; it is gone (or a zombie) soon after.
        var alive = Self.livingMembers(ofGroup: run.process.pid)
        while !alive.isEmpty, ContinuousClock.now - start < .seconds(5) {
            try await Task.sleep(for: .milliseconds(20))
            alive = Self.livingMembers(ofGroup: run.process.pid)
        }
        #expect(alive.isEmpty, "still running in the job's process group: \(alive)")
    }

    /// Processes of a process group that are not zombies, from /proc.
    static func livingMembers(ofGroup group: pid_t) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (name) ": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[2] == "\(group)", fields[0] != "Z" else { return nil }
            return "\(pid): \(stat.prefix(60))"
        }
    }
}
