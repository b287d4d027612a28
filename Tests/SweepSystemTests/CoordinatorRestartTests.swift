import Foundation
import PostgresNIO
import Testing

extension SystemTests {
    @Test("The coordinator killed with SIGKILL and restarted mid-sweep: the sweep completes, nothing lost or doubled")
    func coordinatorKilledAndRestarted() async throws {
        try await Cluster.run { cluster in
            let first = try await cluster.startCoordinator()
            for index in 1...3 { try cluster.startWorker("w\(index)", slots: 4) }
            // About half a second per job, so that many run while the coordinator is away.
            let kernelSweep = try await cluster.submit(
                "restart-kernel", yaml: SweepFiles.syntheticCurve(jobs: 60, steps: 10, valuesPerStep: 2, stepMilliseconds: 50))
            let commandSweep = try await cluster.submit("restart-command", yaml: SweepFiles.command(jobs: 24, steps: 5, sleep: 0.1))
            let total = 84

            func succeeded() async throws -> Int {
                Int(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.jobs WHERE state = 'succeeded'", as: Int64.self) ?? 0)
            }
            try await cluster.waitUntil("a quarter of the jobs succeed", timeout: .seconds(60)) { try await succeeded() >= total / 4 }
            first.killAndReap()
            let atKill = try await succeeded()
            // The dead coordinator may have claimed jobs whose ASSIGN it never sent; make sure
            // of one: lease a queued job to w1 as a claim does, and send nothing.
            let unsent = try #require(try await cluster.scalar("""
                WITH claimed AS (
                    UPDATE sweep.jobs SET state = 'leased', attempt = attempt + 1, lease_owner = 'w1',
                        lease_expires_at = now() + interval '\(unescaped: "\(Cluster.leaseSeconds)") seconds'
                    WHERE id = (SELECT id FROM sweep.jobs WHERE state = 'queued' ORDER BY id DESC LIMIT 1)
                    RETURNING id, attempt
                ), recorded AS (
                    INSERT INTO sweep.attempts (job_id, attempt, worker) SELECT id, attempt, 'w1' FROM claimed
                )
                SELECT id FROM claimed
                """, as: Int64.self), "no job was left queued to lease")
            // Jobs keep running and finishing on the workers meanwhile.
            try await Task.sleep(for: .seconds(1))
            try await cluster.startCoordinator()

            let states = try await cluster.waitForSweeps([kernelSweep, commandSweep], timeout: .seconds(90))
            #expect(states == ["succeeded": total])
            #expect(atKill < total, "the sweep ended before the coordinator was killed; the test proves nothing")
            _ = try await cluster.expectComplete(sweep: kernelSweep, jobs: 60, steps: 10, names: ["val_loss", "m1"])
            _ = try await cluster.expectComplete(sweep: commandSweep, jobs: 24, steps: 5, names: ["loss", "acc"])
            // The lease whose ASSIGN was never sent was handed back and the job run again.
            let unsentAttempts = try await cluster.attempts(ofJob: unsent)
            #expect(unsentAttempts.first == AttemptRecord(attempt: 1, worker: "w1", outcome: "released", ended: true), "\(unsentAttempts)")
            #expect(unsentAttempts.last?.outcome == "succeeded", "\(unsentAttempts)")
            // Every attempt is closed: none left open by the coordinator that died.
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE ended_at IS NULL", as: Int64.self) == 0)
        }
    }
}
