import Foundation
import PostgresNIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension SystemTests {
    /// The fault drill once saw a claim in flight during a PostgreSQL restart never return,
    /// and the coordinator then handed out no job again. Here a claim is made to hang for
    /// good: it is held up by a table lock, its server process is stopped (SIGSTOP, so the
    /// connection stays open and silent), and the lock is released. The coordinator must give
    /// the claim up at its limit and carry on with other connections.
    @Test("A claim whose connection never answers is abandoned at the limit; the coordinator claims again elsewhere and the sweep completes",
          .enabled(if: geteuid() == 0, "stopping a PostgreSQL server process needs root"))
    func stuckClaimIsAbandoned() async throws {
        try await Cluster.run { cluster in
            let coordinator = try await cluster.startCoordinator(extraArguments: ["--database-call-limit", "2"])
            let sweep = try await cluster.submit("stuck-claim", yaml: SweepFiles.syntheticCurve(jobs: 12, steps: 3))
            // The coordinator claims for the new worker; the claim waits for the lock.
            let stopped = try await cluster.freezeStatements(waitingOn: "sweep.jobs", like: "%WITH locked AS%", what: "a claim") {
                try cluster.startWorker("w1", slots: 4)
            }
            defer { for pid in stopped { kill(pid, SIGCONT) } }
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 12])
            // The stuck claims were still stuck when the sweep finished: the coordinator did
            // not wait for them.
            for pid in stopped {
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
                let state = stat.split(separator: ")").last?.split(separator: " ").first ?? "?"
                #expect(state == "T", "server process \(pid) is in state \(state), not stopped")
            }
            let log = coordinator.logTail(bytes: 1 << 20)
            #expect(log.contains("abandoned a database call") && log.contains("did not return within 2"), "\(coordinator.logTail())")
        }
    }
}

extension SystemTests {
    /// The same fault under early stopping: the write of a round's decisions hangs for good.
    /// Before the early-stopping calls had a limit, no run was judged again after it (this
    /// test then fails waiting for later decisions), and as the coordinator's shutdown waits
    /// for the judging to end, SIGTERM could not have ended it either.
    @Test("A write of stop decisions whose connection never answers is abandoned; judging goes on and SIGTERM still ends the coordinator",
          .enabled(if: geteuid() == 0, "stopping a PostgreSQL server process needs root"))
    func stuckStopDecisionsAreAbandoned() async throws {
        try await Cluster.run { cluster in
            let coordinator = try await cluster.startCoordinator(extraArguments: ["--database-call-limit", "2"])
            let sweep = try await cluster.submit("stuck-decisions", yaml: Cluster.thresholdSweep(steps: 60, stepMilliseconds: 25, minSteps: 5))
            // The first decisions reach the database at step 5; their write waits for the lock.
            let stopped = try await cluster.freezeStatements(waitingOn: "sweep.stop_decisions", like: "%stop_decisions%", what: "a write of stop decisions") {
                try cluster.startWorker("w1", slots: 4)
            }
            defer { for pid in stopped { kill(pid, SIGCONT) } }
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states.values.reduce(0, +) == 4)
            // Decisions judged after the stuck write reached the database.
            try await cluster.waitUntil("decisions after the stuck write are stored", timeout: .seconds(30)) {
                (try await cluster.scalar("SELECT count(*)::bigint FROM sweep.stop_decisions WHERE sweep_id = \(sweep)", as: Int64.self) ?? 0) > 0
            }
            coordinator.signal(SIGTERM)
            #expect(await coordinator.waitForExit(timeout: .seconds(30)) == 0, "\(coordinator.logTail())")
            let log = coordinator.logTail(bytes: 1 << 20)
            #expect(log.contains("recording stop decisions did not return within 2"), "\(coordinator.logTail())")
        }
    }
}

extension Cluster {
    /// Makes statements hang for good: holds `table` under an exclusive lock while `start`
    /// runs, waits until a statement LIKE `pattern` waits for that lock, stops its server
    /// process (SIGSTOP: the connection stays open and silent), and releases the lock. Returns
    /// the stopped processes; the caller sends them SIGCONT (as it does here if anything fails
    /// after one was stopped).
    func freezeStatements(waitingOn table: String, like pattern: String, what: String, while start: () throws -> Void) async throws -> [Int32] {
        var stopped: [Int32] = []
        do {
            try await client.withConnection { connection in
                _ = try await connection.query("BEGIN", logger: Cluster.logger)
                _ = try await connection.query("LOCK TABLE \(unescaped: table) IN ACCESS EXCLUSIVE MODE", logger: Cluster.logger)
                try start()
                var waiting: [Int32] = []
                try await waitUntil("\(what) waits for the lock", timeout: .seconds(30)) {
                    waiting = []
                    let rows = try await client.query("""
                        SELECT pid FROM pg_stat_activity
                        WHERE wait_event_type = 'Lock' AND query LIKE \(pattern) AND pid <> pg_backend_pid()
                        """, logger: Cluster.logger)
                    for try await pid in rows.decode(Int32.self) { waiting.append(pid) }
                    return !waiting.isEmpty
                }
                for pid in waiting {
                    guard kill(pid, SIGSTOP) == 0 else {
                        throw Failure("could not stop server process \(pid) (errno \(errno)); is the test server on this machine?")
                    }
                    stopped.append(pid)
                }
                _ = try await connection.query("COMMIT", logger: Cluster.logger)
            }
        } catch {
            for pid in stopped { kill(pid, SIGCONT) }
            throw error
        }
        return stopped
    }
}
