import Foundation
import PostgresNIO
import Testing

extension SystemTests {
    /// A worker repeats HELLO (after 1 s, then 2 s, ...) until WELCOME comes. When the
    /// coordinator is slow to answer (here the worker's row cannot be written for 4 s), the
    /// repeats reach it while the first HELLO is still being handled. Before HELLOs were
    /// numbered, each repeat registered the worker again and was answered with a WELCOME of
    /// its own: the worker's session was replaced under the jobs assigned to it, and it
    /// resent everything it held once per WELCOME.
    @Test("HELLOs repeated while the coordinator is slow to answer the first are recognised: one registration, one WELCOME")
    func repeatedHellosRegisterOnce() async throws {
        try await Cluster.run { cluster in
            let metricsPort = try Cluster.freePort()
            let workerMetricsPort = try Cluster.freePort()
            let coordinator = try await cluster.startCoordinator(extraArguments: ["--metrics-bind", "127.0.0.1:\(metricsPort)"])
            try await cluster.client.withConnection { connection in
                _ = try await connection.query("BEGIN", logger: Cluster.logger)
                _ = try await connection.query("LOCK TABLE sweep.workers IN ACCESS EXCLUSIVE MODE", logger: Cluster.logger)
                try cluster.startWorker("slow-welcome", slots: 2, extraArguments: ["--metrics-bind", "127.0.0.1:\(workerMetricsPort)"])
                // HELLOs at 0, 1 and 3 s wait behind the lock.
                try await Task.sleep(for: .seconds(4))
                let waiting = try Self.samples(in: try HTTPClient.request(port: metricsPort, path: "/metrics").body)
                #expect(waiting["sweep_coordinator_workers_joining"] == 1 && waiting["sweep_coordinator_workers"] == 1)
                _ = try await connection.query("COMMIT", logger: Cluster.logger)
            }
            try await cluster.waitUntil("the worker has joined", timeout: .seconds(20), poll: .milliseconds(200)) {
                let samples = try Self.samples(in: try HTTPClient.request(port: metricsPort, path: "/metrics").body)
                return samples["sweep_coordinator_workers"] == 1
            }
            let sweep = try await cluster.submit("after-slow-welcome", yaml: SweepFiles.sleep(jobs: 6, seconds: 0.2))
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(30)) == ["succeeded": 6])
            let samples = try Self.samples(in: try HTTPClient.request(port: metricsPort, path: "/metrics").body)
            let worker = try Self.samples(in: try HTTPClient.request(port: workerMetricsPort, path: "/metrics").body)
            #expect((samples["sweep_coordinator_hellos_total"] ?? 0) >= 2, "the test did not make the worker repeat its HELLO")
            #expect(samples["sweep_coordinator_hellos_repeated_total"] == (samples["sweep_coordinator_hellos_total"] ?? 0) - 1)
            #expect(worker["sweep_worker_welcomes_total"] == 1)
            #expect(samples["sweep_coordinator_workers_joining"] == 0)
            let joined = coordinator.logTail(bytes: 1 << 20).components(separatedBy: "worker joined").count - 1
            #expect(joined == 1, "\(coordinator.logTail())")
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker LIKE '%slow-welcome%' AND outcome IS DISTINCT FROM 'succeeded'", as: Int64.self) == 0)
        }
    }
}

extension SystemTests {
    /// The same after a coordinator restart, when the returning worker lists running attempts:
    /// the new coordinator looks them up in the database before it answers, and handles the
    /// worker's messages one at a time, so the repeats sent meanwhile wait behind the first
    /// HELLO; without numbering each then registered the worker again (with numbering left
    /// out of the worker's HELLO, 2 registrations here, the second adopting the same two
    /// attempts again).
    @Test("A worker reconnecting with running attempts to a restarted coordinator that is slow to look them up registers once")
    func repeatedHellosDuringAdoptionRegisterOnce() async throws {
        try await Cluster.run { cluster in
            let first = try await cluster.startCoordinator()
            let workerMetricsPort = try Cluster.freePort()
            try cluster.startWorker("returning", slots: 2, extraArguments: ["--metrics-bind", "127.0.0.1:\(workerMetricsPort)"])
            let sweep = try await cluster.submit("adopted-after-restart", yaml: SweepFiles.sleep(jobs: 2, seconds: 12))
            try await cluster.waitUntil("both jobs run", timeout: .seconds(30)) {
                try await cluster.scalar("SELECT count(*)::bigint FROM sweep.jobs WHERE state = 'running' AND sweep_id = \(sweep)", as: Int64.self) == 2
            }
            let metricsPort = try Cluster.freePort()
            var second: ManagedProcess?
            try await cluster.client.withConnection { connection in
                _ = try await connection.query("BEGIN", logger: Cluster.logger)
                _ = try await connection.query("LOCK TABLE sweep.jobs IN ACCESS EXCLUSIVE MODE", logger: Cluster.logger)
                first.killAndReap()
                second = try await cluster.startCoordinator(extraArguments: ["--metrics-bind", "127.0.0.1:\(metricsPort)"])
                // The worker hears the silence within 0.6 s and says HELLO; the lookup of its
                // two attempts waits behind the lock while it repeats HELLO (at +1 s, +3 s).
                try await Task.sleep(for: .seconds(5))
                _ = try await connection.query("COMMIT", logger: Cluster.logger)
            }
            let coordinator = try #require(second)
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(40)) == ["succeeded": 2])
            let samples = try Self.samples(in: try HTTPClient.request(port: metricsPort, path: "/metrics").body)
            let worker = try Self.samples(in: try HTTPClient.request(port: workerMetricsPort, path: "/metrics").body)
            #expect((samples["sweep_coordinator_hellos_total"] ?? 0) >= 2, "the test did not make the worker repeat its HELLO")
            #expect(samples["sweep_coordinator_hellos_repeated_total"] == (samples["sweep_coordinator_hellos_total"] ?? 0) - 1)
            #expect(worker["sweep_worker_welcomes_total"] == 2)  // the first coordinator's, the second's
            let joined = coordinator.logTail(bytes: 1 << 20).components(separatedBy: "worker joined").count - 1
            #expect(joined == 1, "\(coordinator.logTail())")
            // Both attempts were adopted: each job ran once.
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.jobs j ON j.id = a.job_id WHERE j.sweep_id = \(sweep)", as: Int64.self) == 2)
        }
    }
}
