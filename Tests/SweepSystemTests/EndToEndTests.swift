import Foundation
import PostgresNIO
import Testing

extension SystemTests {
    /// 250 command jobs (a Python program printing JSON metric lines) and 250 kernel jobs
    /// on four worker processes of four slots.
    @Test("500 command and kernel jobs on 4 workers: all succeed, every metric point stored exactly once")
    func fiveHundredJobsEndToEnd() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            for index in 1...4 { try cluster.startWorker("w\(index)", slots: 4) }
            let commandSteps = 4, kernelSteps = 6, kernelValues = 3
            let commandSweep = try await cluster.submit("e2e-command", yaml: SweepFiles.command(jobs: 250, steps: commandSteps))
            let kernelSweep = try await cluster.submit(
                "e2e-kernel", yaml: SweepFiles.syntheticCurve(jobs: 250, steps: kernelSteps, valuesPerStep: kernelValues))

            let states = try await cluster.waitForSweeps([commandSweep, kernelSweep], timeout: .seconds(120))
            #expect(states == ["succeeded": 500])

            let command = try await cluster.expectComplete(sweep: commandSweep, jobs: 250, steps: commandSteps, names: ["loss", "acc"])
            let kernel = try await cluster.expectComplete(sweep: kernelSweep, jobs: 250, steps: kernelSteps, names: ["val_loss", "m1", "m2"])
            // All four workers took part.
            #expect(try await cluster.scalar("SELECT count(DISTINCT worker)::bigint FROM sweep.attempts", as: Int64.self) == 4)
            // Each attempt names the host of the worker that ran it, as the worker said HELLO.
            #expect(try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.attempts a JOIN sweep.workers w ON w.id = a.worker WHERE a.host IS DISTINCT FROM w.host
                """, as: Int64.self) == 0)
            // Values arrive as printed: metrics.py logs loss = 1/(step+1) and acc = step/(steps+1).
            let wrongValues = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.metrics m JOIN sweep.jobs j ON j.id = m.job_id AND j.attempt = m.attempt
                WHERE j.sweep_id = \(commandSweep)
                  AND ((m.name = 'loss' AND abs(m.value - 1.0 / (m.step + 1)) > 1e-12)
                    OR (m.name = 'acc' AND abs(m.value - m.step / \(Double(commandSteps + 1))) > 1e-12))
                """, as: Int64.self)
            #expect(wrongValues == 0)
            // The final metrics are the last values printed.
            let wrongFinals = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.jobs
                WHERE sweep_id = \(commandSweep) AND (final_metrics->>'loss')::float8 <> \(1.0 / Double(commandSteps))
                """, as: Int64.self)
            #expect(wrongFinals == 0)
            // Retries may happen on a loaded machine (a worker starved past its liveness
            // window); they are allowed, but must not have doubled anything (checked above).
            if command.retriedJobs + kernel.retriedJobs > 0 {
                print("note: \(command.retriedJobs + kernel.retriedJobs) jobs were retried; command: \(command); kernel: \(kernel)")
            }
        }
    }
}
