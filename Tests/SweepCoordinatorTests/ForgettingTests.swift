import Foundation
import Logging
import PostgresNIO
@testable import SweepCoordinator
import SweepStore
import SweepWire
import Testing

/// What the coordinator keeps about attempts and sweeps is bounded by what is live.
@Suite("Forgetting ended attempts")
struct ForgettingTests {
    /// A coordinator on a free port whose database is never reached (forgetting needs none).
    static func coordinator(idleLimit: Duration) throws -> Coordinator {
        var configuration = CoordinatorConfiguration(bind: "tcp://127.0.0.1:*", coordinatorID: "forgetting-test")
        configuration.sweepStateIdleLimit = idleLimit
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: nil, tls: .disable))
        let logger = Logger(label: "forgetting-test")
        return try Coordinator(configuration: configuration, store: SweepStore(client: client, logger: logger), logger: logger)
    }

    @Test("stops, reasons and job sweeps of ended attempts are dropped; idle sweeps' state too, live ones kept")
    func forgetsWhatEnded() async throws {
        let coordinator = try Self.coordinator(idleLimit: .seconds(600))
        let now = ContinuousClock.now
        let remembered = await coordinator.exercise(now: now)
        // Live: A (assigned to w1), C (its result not yet recorded), D (its result waiting
        // to be written). B ended without a result (its worker was presumed dead).
        #expect(remembered.stops == [AttemptID(job: 1, attempt: 1), AttemptID(job: 3, attempt: 1), AttemptID(job: 5, attempt: 2)])
        #expect(remembered.reasons == [AttemptID(job: 1, attempt: 1)])
        #expect(remembered.jobSweeps == [1: 10, 3: 10, 5: 13])
        // Sweep 10 has live jobs, 12 reported a minute ago, 13 has a waiting result: kept.
        // Sweep 11 has been idle for 11 minutes with no live job: dropped.
        #expect(remembered.sweepStates == [10, 12, 13])
        #expect(remembered.counts["stops"] == 3 && remembered.counts["assigned"] == 1)
    }
}

extension Coordinator {
    struct Remembered: Sendable {
        var stops: Set<AttemptID>
        var reasons: Set<AttemptID>
        var jobSweeps: [Int64: Int64]
        var sweepStates: Set<Int64>
        var counts: [String: Int]
    }

    /// Sets up the tables as after a while of work, forgets, and returns what is left.
    func exercise(now: ContinuousClock.Instant) -> Remembered {
        let (a, b, c, d) = (AttemptID(job: 1, attempt: 1), AttemptID(job: 2, attempt: 1), AttemptID(job: 3, attempt: 1), AttemptID(job: 5, attempt: 2))
        let hello = Hello(worker: "w1", host: "h", pid: 1, slots: 4, gpus: [], labels: [:], kernels: [], running: [])
        let worker = WorkerState(identity: Array("w1".utf8), hello: hello, lastHeard: now, freeSlots: 3, freeGPUs: 0, heartbeatInterval: .seconds(1))
        worker.assigned[a] = (slots: 1, gpus: 0)
        workers["w1"] = worker
        unrecordedResults[c] = now
        pendingReports.append((identity: Array("w2".utf8), seq: 7, report: AttemptReport(job: d.job, attempt: d.attempt, outcome: .stopped)))
        stopsSent = [a, b, c, d]
        stopReasons = [a: "early stop", b: "early stop"]
        jobSweeps = [1: 10, 2: 10, 3: 10, 4: 11, 5: 13]
        for sweep: Int64 in [10, 11, 12, 13] { earlyStopping[sweep] = .some(nil) }
        sweepStateUsed = [10: now - .seconds(660), 11: now - .seconds(660), 12: now - .seconds(60), 13: now - .seconds(660)]
        forgetEnded(now: now)
        return Remembered(stops: stopsSent, reasons: Set(stopReasons.keys), jobSweeps: jobSweeps, sweepStates: Set(earlyStopping.keys), counts: remembered)
    }
}
