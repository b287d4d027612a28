import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Concurrent claimers never share a job.
@Suite("Concurrent claims")
struct ConcurrencyTests {
    static let jobCount = 50_000
    static let claimerCount = 8
    static let batchSize = 100

    @Test("8 concurrent claimers drain 50,000 jobs and every job is claimed exactly once", .timeLimit(.minutes(10)))
    func drainWithConcurrentClaimers() async throws {
        try await TestDatabase.withStore { store in
            let yaml = "program: train.py\nmethod: grid\nparameters:\n  i: {distribution: int_uniform, min: 1, max: \(Self.jobCount)}\n"
            let sweep = try await store.submit("drain", yaml)
            #expect(sweep.record.jobCount == Self.jobCount)
            // As the coordinator does after a large submit: without it the planner keeps the
            // statistics of the empty queue and each claim sorts every queued job.
            try await store.refreshQueueStatistics()

            let claimedByWorker = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for claimer in 0..<Self.claimerCount {
                    group.addTask {
                        let capacity = WorkerCapacity(worker: "claimer-\(claimer)", host: "host-\(claimer)", freeSlots: Self.batchSize)
                        var claimed: [Int64] = []
                        while true {
                            let batch = try await store.claimJobs(limit: Self.batchSize, for: capacity, leaseDuration: .seconds(600))
                            if batch.isEmpty { break }
                            for job in batch {
                                let outcome = try await store.complete(job: job.id, attempt: job.attempt)
                                if outcome != .applied { Issue.record("job \(job.id) attempt \(job.attempt): \(outcome)") }
                                claimed.append(job.id)
                            }
                        }
                        return claimed
                    }
                }
                var all: [[Int64]] = []
                for try await claimed in group { all.append(claimed) }
                return all
            }

            let claimed = claimedByWorker.flatMap { $0 }
            #expect(claimed.count == Self.jobCount)
            #expect(Set(claimed).count == Self.jobCount, "some job was handed to two claimers")
            #expect(Set(claimed) == Set(sweep.jobIDs))
            #expect(claimedByWorker.filter { !$0.isEmpty }.count > 1, "only one claimer got work: the test did not run concurrently")

            let summary = try await store.client.query("""
                SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE attempt = 1),
                       (SELECT count(*) FROM sweep.attempts),
                       (SELECT count(DISTINCT (job_id, attempt)) FROM sweep.attempts WHERE outcome = 'succeeded' AND attempt = 1)
                FROM sweep.jobs
                """).decode((Int64, Int64, Int64, Int64, Int64).self)
            for try await (jobs, succeeded, firstAttempt, attempts, succeededAttempts) in summary {
                #expect(jobs == Int64(Self.jobCount))
                #expect(succeeded == Int64(Self.jobCount))
                #expect(firstAttempt == Int64(Self.jobCount))
                #expect(attempts == Int64(Self.jobCount))
                #expect(succeededAttempts == Int64(Self.jobCount))
            }
        }
    }
}
