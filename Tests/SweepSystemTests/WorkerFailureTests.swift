import Foundation
import PostgresNIO
import SweepCore
import SweepWire
import Testing

/// An attempt row of sweep.attempts.
struct AttemptRecord: Equatable, Sendable, CustomStringConvertible {
    var attempt: Int
    var worker: String
    var outcome: String?
    var ended: Bool

    var description: String { "#\(attempt) on \(worker): \(outcome ?? "open")\(ended ? "" : " (not ended)")" }
}

extension Cluster {
    /// The attempts of a job, in order.
    func attempts(ofJob job: Int64) async throws -> [AttemptRecord] {
        var records: [AttemptRecord] = []
        let rows = try await client.query(
            "SELECT attempt, worker, outcome, ended_at IS NOT NULL FROM sweep.attempts WHERE job_id = \(job) ORDER BY attempt",
            logger: Self.logger)
        for try await (attempt, worker, outcome, ended) in rows.decode((Int32, String, String?, Bool).self) {
            records.append(AttemptRecord(attempt: Int(attempt), worker: worker, outcome: outcome, ended: ended))
        }
        return records
    }

    /// (id, state, attempt, failures) of a sweep's jobs, by id.
    func jobs(ofSweep sweep: Int64) async throws -> [(id: Int64, state: String, attempt: Int, failures: Int)] {
        var jobs: [(id: Int64, state: String, attempt: Int, failures: Int)] = []
        let rows = try await client.query(
            "SELECT id, state::text, attempt, failures FROM sweep.jobs WHERE sweep_id = \(sweep) ORDER BY id", logger: Self.logger)
        for try await (id, state, attempt, failures) in rows.decode((Int64, String, Int32, Int32).self) {
            jobs.append((id, state, Int(attempt), Int(failures)))
        }
        return jobs
    }
}

extension SystemTests {
    @Test("A worker killed with SIGKILL mid-job: its jobs are retried on another worker, the lost attempt is recorded")
    func killedWorkerJobsAreRetriedElsewhere() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            let doomed = try cluster.startWorker("doomed", slots: 3)
            let kernelSweep = try await cluster.submit("killed-kernel", yaml: SweepFiles.sleep(jobs: 2, seconds: 2))
            // A command job too: 10 steps 0.2 s apart; its retry must report all ten again.
            let commandSweep = try await cluster.submit("killed-command", yaml: SweepFiles.command(jobs: 1, steps: 10, sleep: 0.2))
            try await cluster.waitUntil("all three jobs run on the doomed worker", timeout: .seconds(20)) {
                try await cluster.scalar("""
                    SELECT count(*)::bigint FROM sweep.jobs WHERE state = 'running' AND lease_owner = 'doomed'
                    """, as: Int64.self) == 3
            }
            doomed.killAndReap()
            try cluster.startWorker("rescuer", slots: 3)

            let states = try await cluster.waitForSweeps([kernelSweep, commandSweep], timeout: .seconds(30))
            #expect(states == ["succeeded": 3])
            for sweep in [kernelSweep, commandSweep] {
                for job in try await cluster.jobs(ofSweep: sweep) {
                    #expect(job.state == "succeeded" && job.attempt == 2 && job.failures == 1, "job \(job)")
                    let attempts = try await cluster.attempts(ofJob: job.id)
                    #expect(attempts.count == 2, "\(attempts)")
                    guard attempts.count == 2 else { continue }
                    #expect(attempts[0].worker == "doomed" && attempts[0].ended, "\(attempts)")
                    #expect(["expired", "failed"].contains(attempts[0].outcome ?? ""), "\(attempts)")
                    #expect(attempts[1] == AttemptRecord(attempt: 2, worker: "rescuer", outcome: "succeeded", ended: true))
                }
            }
            _ = try await cluster.expectComplete(sweep: commandSweep, jobs: 1, steps: 10, names: ["loss", "acc"])
            // The sleep kernel's final metric came from the retry.
            #expect(try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(kernelSweep) AND (final_metrics->>'slept_seconds')::float8 = 2
                """, as: Int64.self) == 2)
        }
    }

    /// At the protocol level: a DEALER from the test plays a worker that takes a job, goes
    /// silent past its liveness window, and reports after the job was retried elsewhere.
    @Test("A worker whose lease expired reports afterwards: refused as stale, results unchanged")
    func lateReportFromAnExpiredWorkerIsStale() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            // The job waits for the raw worker, which sends no HEARTBEAT: it must take the job
            // at once, before its silence gets it presumed dead.
            let sweep = try await cluster.submit("stale", yaml: SweepFiles.syntheticCurve(jobs: 1, steps: 5))
            let context = try ZMQContext()
            let raw = try RawPeer.worker("late", connectingTo: cluster.endpoint, context: context)
            defer { raw.close() }
            let kernels = ["noop", "sleep", "synthetic-curve"]
            raw.send(Hello(worker: "late", host: "test", pid: 1, slots: 1, gpus: [], labels: [:], kernels: kernels, running: []).message)
            _ = try #require(await raw.next(.welcome), "no WELCOME for HELLO")
            let assign = try Assign(try #require(await raw.next(.assign), "no ASSIGN"))
            #expect(assign.attempt.attempt == 1)
            raw.send(Started(seq: 1, attempt: assign.attempt).message)
            let startedAck = try Ack(try #require(await raw.next(.ack)))
            #expect(startedAck == Ack(seq: 1, status: .ok))

            // Silence. The coordinator presumes the worker dead; a real worker takes the retry.
            try cluster.startWorker("rescuer", slots: 1)
            try await cluster.waitForSweeps([sweep], timeout: .seconds(30))
            let before = try #require(try await cluster.jobs(ofSweep: sweep).first)
            #expect(before.state == "succeeded" && before.attempt == 2)
            let finalBefore = try await cluster.scalar("SELECT final_metrics::text FROM sweep.jobs WHERE id = \(before.id)", as: String.self)

            // The late worker reports its attempt. Forgotten by now, it is told to HELLO first...
            let lateResult = AttemptResult(
                seq: 2, attempt: assign.attempt, outcome: .succeeded, exitStatus: nil, error: nil, logTail: "late", finalMetrics: ["val_loss": -1])
            raw.send(lateResult.message)
            let refusal = try ErrorReport(try #require(await raw.next(.error), "no ERROR for a report from a forgotten worker"))
            #expect(refusal.code == "hello_first")
            // ...does so, listing the attempt it still runs, which it is told to stop...
            raw.send(Hello(worker: "late", host: "test", pid: 1, slots: 1, gpus: [], labels: [:], kernels: kernels, running: [assign.attempt]).message)
            let stop = try StopRequest(try #require(await raw.next(.stop), "no STOP for the superseded attempt"))
            #expect(stop.attempt == assign.attempt)
            _ = try #require(await raw.next(.welcome))
            // ...and its reports, a success and a failure, are both refused as stale.
            raw.send(lateResult.message)
            let lateFailure = AttemptResult(
                seq: 3, attempt: assign.attempt, outcome: .failed, exitStatus: 1, error: "late failure", logTail: nil, finalMetrics: [:])
            raw.send(lateFailure.message)
            var acks: [Ack] = []
            for _ in 0..<2 { acks.append(try Ack(try #require(await raw.next(.ack), "no ACK for a late RESULT"))) }
            #expect(acks.sorted { $0.seq < $1.seq } == [Ack(seq: 2, status: .stale), Ack(seq: 3, status: .stale)])

            // Nothing changed.
            let after = try #require(try await cluster.jobs(ofSweep: sweep).first)
            #expect(after.state == "succeeded" && after.attempt == 2 && after.failures == before.failures)
            #expect(try await cluster.scalar("SELECT final_metrics::text FROM sweep.jobs WHERE id = \(before.id)", as: String.self) == finalBefore)
            let attempts = try await cluster.attempts(ofJob: before.id)
            #expect(attempts == [
                AttemptRecord(attempt: 1, worker: "late", outcome: "expired", ended: true),
                AttemptRecord(attempt: 2, worker: "rescuer", outcome: "succeeded", ended: true),
            ])
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE log_tail = 'late' OR error = 'late failure'", as: Int64.self) == 0)
            _ = try await cluster.expectComplete(sweep: sweep, jobs: 1, steps: 5, names: ["val_loss"])
        }
    }
}
