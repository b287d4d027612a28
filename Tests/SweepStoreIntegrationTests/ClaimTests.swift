import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Claiming hands a worker the jobs it can run: fitting its free slots and GPUs, matching its
/// labels, by priority then age.
@Suite("Claim", .timeLimit(.minutes(1)))
struct ClaimTests {
    @Test("jobs needing 2 slots are handed out only while the worker's free slots cover them all")
    func slotAccounting() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("wide", SweepYAML.grid(values: [1, 2, 3, 4, 5], resources: "{slots: 2}"))
            #expect(try await store.claim("one-slot", limit: 10, slots: 1).isEmpty)
            #expect(try await store.claim("no-slot", limit: 10, slots: 0).isEmpty)

            let three = try await store.claim("three-slots", limit: 10, slots: 3)
            #expect(three.map(\.id) == [sweep.jobIDs[0]])
            #expect(three.first?.slots == 2)

            let five = try await store.claim("five-slots", limit: 10, slots: 5)
            #expect(five.map(\.id) == Array(sweep.jobIDs[1...2]))

            // The limit binds before the slots do.
            let limited = try await store.claim("limited", limit: 1, slots: 100)
            #expect(limited.map(\.id) == [sweep.jobIDs[3]])
        }
    }

    @Test("jobs needing GPUs go only to workers with enough free GPUs")
    func gpuAccounting() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("gpu", SweepYAML.grid(values: [1, 2, 3], resources: "{gpus: 2}"))
            #expect(try await store.claim("cpu-only", limit: 10, gpus: 0).isEmpty)
            #expect(try await store.claim("one-gpu", limit: 10, gpus: 1).isEmpty)
            let claimed = try await store.claim("five-gpus", limit: 10, gpus: 5)
            #expect(claimed.map(\.id) == Array(sweep.jobIDs[0...1]))
            #expect(claimed.allSatisfy { $0.gpus == 2 })
        }
    }

    @Test("a job needing label zone=a goes only to a worker carrying it; unlabelled jobs go anywhere")
    func labelMatching() async throws {
        try await TestDatabase.withStore { store in
            let zoned = try await store.submit("zoned", SweepYAML.grid(values: [1], priority: 5, resources: "{labels: {zone: a}}"))
            let anywhere = try await store.submit("anywhere", SweepYAML.grid(values: [1]))

            #expect(try await store.claim("plain", limit: 10, labels: [:]).map(\.id) == anywhere.jobIDs)
            #expect(try await store.claim("zone-b", limit: 10, labels: ["zone": "b"]).isEmpty)
            #expect(try await store.claim("other-key", limit: 10, labels: ["region": "a"]).isEmpty)
            let claimed = try await store.claim("zone-a", limit: 10, labels: ["zone": "a", "gpu": "h100"])
            #expect(claimed.map(\.id) == zoned.jobIDs)
        }
    }

    @Test("a kernel job goes only to workers that have its kernel; command jobs go anywhere")
    func kernelMatching() async throws {
        try await TestDatabase.withStore { store in
            let kernelYAML = """
                method: grid
                kernel: synthetic-curve
                priority: 5
                parameters:
                  x: {values: [1, 2]}
                """
            let curves = try await store.submit("curves", kernelYAML)
            let commands = try await store.submit("commands", SweepYAML.grid(values: [1]))
            #expect(try await store.scalar("SELECT kernel FROM sweep.sweeps WHERE name = 'curves'", as: String.self) == "synthetic-curve")

            // Batch claims for workers without the kernel get the command job only.
            let noKernel = try await store.claimJobs(forSlots: ["w1", "w1", "w1"], labels: [:], kernels: ["noop"], host: "h", leaseDuration: .seconds(60))
            #expect(noKernel.map(\.job.id) == commands.jobIDs)
            let none = try await store.claimJobs(limit: 5, for: WorkerCapacity(worker: "w2", host: "h", freeSlots: 5, kernels: []), leaseDuration: .seconds(60))
            #expect(none.isEmpty)
            let withKernel = try await store.claimJobs(forSlots: ["w3", "w3", "w3"], labels: [:], kernels: ["noop", "synthetic-curve"], host: "h", leaseDuration: .seconds(60))
            #expect(withKernel.map(\.job.id) == curves.jobIDs)
        }
    }

    @Test("claims go by priority, then by age (expansion order within a sweep)")
    func priorityThenAge() async throws {
        try await TestDatabase.withStore { store in
            let old = try await store.submit("old-low", SweepYAML.grid(values: [1, 2, 3]))
            let urgent = try await store.submit("urgent", SweepYAML.grid(values: [1, 2], priority: 10))
            let young = try await store.submit("young-low", SweepYAML.grid(values: [1, 2]))
            let background = try await store.submit("background", SweepYAML.grid(values: [1], priority: -5))

            var order: [Int64] = []
            while let job = try await store.claim("one-at-a-time").first {
                order.append(job.id)
            }
            #expect(order == urgent.jobIDs + old.jobIDs + young.jobIDs + background.jobIDs)
        }
    }

    @Test("a batch claim fills the free slots in priority order and sets lease, attempt and attempt rows")
    func batchClaimRecordsLeases() async throws {
        try await TestDatabase.withStore { store in
            let high = try await store.submit("high", SweepYAML.grid(values: [1, 2], priority: 3, resources: "{slots: 2}"))
            let low = try await store.submit("low", SweepYAML.grid(values: [1, 2, 3]))

            let claimed = try await store.claimJobs(
                limit: 10, for: WorkerCapacity(worker: "w9", host: "node-9", freeSlots: 5, freeGPUs: 0),
                leaseDuration: .seconds(30))
            // 2 + 2 + 1 slots: both wide jobs, then one narrow one.
            #expect(claimed.map(\.id) == high.jobIDs + [low.jobIDs[0]])
            #expect(claimed.reduce(0) { $0 + $1.slots } == 5)
            #expect(claimed.allSatisfy { $0.attempt == 1 })
            #expect(claimed.map(\.sweepID) == [high.record.id, high.record.id, low.record.id])
            #expect(claimed.first?.params == .object(["x": .int(1)]))
            #expect(claimed.first?.configHash == ConfigurationHash.of(.object(["x": .int(1)])))

            for job in claimed {
                let row = try await store.jobRow(job.id)
                #expect(row.state == .leased && row.leaseOwner == "w9" && row.attempt == 1)
                #expect(try await store.attemptRows(job.id).map { [$0.worker, $0.host] } == [["w9", "node-9"]])
            }
            let lease = try #require(try await store.scalar(
                "SELECT extract(epoch FROM max(lease_expires_at) - now())::float8 FROM sweep.jobs WHERE lease_owner = 'w9'", as: Double.self))
            #expect(lease > 20 && lease <= 30, "lease of \(lease) s; expected 30 s")
            #expect(try await store.scalar("SELECT count(*) FROM sweep.jobs WHERE state = 'queued'", as: Int64.self) == 2)
        }
    }

    @Test("record(_:andClaimForSlots:) records fenced results and claims for the freed slots in one statement, as the two calls would")
    func recordAndClaim() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("both", SweepYAML.grid(values: [1, 2, 3, 4, 5, 6]))
            try await store.registerWorker(WorkerRecord(id: "w2", host: "node-2", slots: 2, gpus: [], labels: [:], kernels: []))
            let first = try await store.claimJobs(forSlots: ["w1", "w1", "w1"], labels: [:], host: "node-1", leaseDuration: .seconds(60)).map(\.job)
            #expect(first.map(\.id) == Array(sweep.jobIDs.prefix(3)))

            let reports = [
                AttemptReport(job: first[0].id, attempt: 1, outcome: .succeeded, finalMetrics: ["loss": 0.5], end: AttemptEnd(exitStatus: 0)),
                AttemptReport(job: first[1].id, attempt: 2, outcome: .succeeded, finalMetrics: ["loss": 0.1]),  // a superseded attempt
                AttemptReport(job: first[2].id, attempt: 1, outcome: .failed, end: AttemptEnd(exitStatus: 3)),
            ]
            let (outcomes, claimed) = try await store.record(
                reports, andClaimForSlots: ["w2", "w2"], labels: [:], host: "fallback", leaseDuration: .seconds(60))
            #expect(outcomes == [.applied, .stale(state: nil, attempt: nil), .applied])
            #expect(claimed.map(\.owner) == ["w2", "w2"])
            #expect(claimed.map(\.job.id) == Array(sweep.jobIDs[3..<5]))
            #expect(claimed.allSatisfy { $0.job.attempt == 1 && $0.job.sweepID == sweep.record.id && $0.job.slots == 1 })
            #expect(claimed.first?.job.params == .object(["x": .int(4)]))

            let succeeded = try await store.jobRow(first[0].id)
            #expect(succeeded.state == .succeeded && succeeded.leaseOwner == nil && succeeded.finalMetrics == #"{"loss": 0.5}"#)
            #expect(try await store.attemptRows(first[0].id).map { [$0.outcome, $0.exitStatus.map(String.init)] } == [["succeeded", "0"]])
            #expect(try await store.jobRow(first[1].id).state == .leased, "the stale report changed nothing")
            #expect(try await store.jobRow(first[2].id).state == .failed, "the failure waits for its backoff before it is queued again")
            for (_, job) in claimed {
                let row = try await store.jobRow(job.id)
                #expect(row.state == .leased && row.leaseOwner == "w2" && row.attempt == 1)
                #expect(try await store.attemptRows(job.id).map { [$0.worker, $0.host] } == [["w2", "node-2"]])
            }

            // Nothing to report: a plain claim. No slots: a plain record.
            let onlyClaim = try await store.record([], andClaimForSlots: ["w3"], labels: [:], host: "node-3", leaseDuration: .seconds(60))
            #expect(onlyClaim.outcomes.isEmpty && onlyClaim.claimed.map(\.job.id) == [sweep.jobIDs[5]])
            let onlyRecord = try await store.record(
                [AttemptReport(job: claimed[0].job.id, attempt: 1, outcome: .succeeded)], andClaimForSlots: [], labels: [:], host: "h", leaseDuration: .seconds(60))
            #expect(onlyRecord.outcomes == [.applied] && onlyRecord.claimed.isEmpty)
            // An empty queue: the successes are still recorded.
            let drained = try await store.record(
                [AttemptReport(job: claimed[1].job.id, attempt: 1, outcome: .succeeded)], andClaimForSlots: ["w2"], labels: [:], host: "h", leaseDuration: .seconds(60))
            #expect(drained.outcomes == [.applied] && drained.claimed.isEmpty)
            #expect(try await store.jobRow(claimed[1].job.id).state == .succeeded)
        }
    }

    @Test("A job whose STARTED was never recorded starts its worker's run time before its end, by every path that records an end")
    func runTimeGivesTheStart() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("durations", SweepYAML.grid(values: [1, 2, 3, 4, 5]))
            let jobs = try await store.claimJobs(forSlots: ["w1", "w1", "w1", "w1", "w1"], labels: [:], host: "node-1", leaseDuration: .seconds(60)).map(\.job)
            #expect(jobs.map(\.id) == sweep.jobIDs)
            func duration(_ job: Int64) async throws -> Double? {
                try await store.scalar("SELECT extract(epoch FROM finished_at - started_at)::float8 FROM sweep.jobs WHERE id = \(job)", as: Double.self)
            }
            // Successes in one statement (alone, and with a claim), a stop: each 1.5 s by its worker.
            let run = AttemptEnd(runMilliseconds: 1_500)
            #expect(try await store.record([AttemptReport(job: jobs[0].id, attempt: 1, outcome: .succeeded, end: run)]) == [.applied])
            let both = try await store.record([AttemptReport(job: jobs[1].id, attempt: 1, outcome: .succeeded, end: run)],
                                              andClaimForSlots: ["w1"], labels: [:], host: "node-1", leaseDuration: .seconds(60))
            #expect(both.outcomes == [.applied])
            #expect(try await store.record([AttemptReport(job: jobs[2].id, attempt: 1, outcome: .stopped, end: run, stopReason: "early stop")]) == [.applied])
            for job in jobs.prefix(3) { #expect(try await duration(job.id) == 1.5) }
            // No run time: the start is the end, as before.
            #expect(try await store.record([AttemptReport(job: jobs[3].id, attempt: 1, outcome: .succeeded)]) == [.applied])
            #expect(try await duration(jobs[3].id) == 0)
            // A STARTED recorded in time keeps its start, whatever the run time says.
            #expect(try await store.markRunning(job: jobs[4].id, attempt: 1) == .applied)
            try await store.execute("UPDATE sweep.jobs SET started_at = now() - interval '10 seconds' WHERE id = \(jobs[4].id)")
            let startedBefore = try await store.scalar("SELECT started_at::text FROM sweep.jobs WHERE id = \(jobs[4].id)", as: String.self)
            #expect(try await store.record([AttemptReport(job: jobs[4].id, attempt: 1, outcome: .succeeded, end: run)]) == [.applied])
            #expect(try await store.scalar("SELECT started_at::text FROM sweep.jobs WHERE id = \(jobs[4].id)", as: String.self) == startedBefore)
            let kept = try #require(try await duration(jobs[4].id))
            #expect(kept >= 10, "\(kept) s")
        }
    }

    @Test("A STARTED recorded later than the worker's run time allows moves back to the run's start, by every path that records an end")
    func runTimeCorrectsALateStart() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("late-starts", SweepYAML.grid(values: [1, 2, 3, 4]))
            let jobs = try await store.claimJobs(forSlots: ["w1", "w1", "w1", "w1"], labels: [:], host: "node-1", leaseDuration: .seconds(60)).map(\.job)
            #expect(jobs.map(\.id) == sweep.jobIDs)
            func started(_ job: Int64) async throws -> String? {
                try await store.scalar("SELECT started_at::text FROM sweep.jobs WHERE id = \(job)", as: String.self)
            }
            // Each STARTED recorded just before the end (a busy coordinator held it up), and
            // each worker measured a minute: the start moves back to a minute before the end.
            for job in jobs {
                #expect(try await store.markRunning(job: job.id, attempt: 1) == .applied)
            }
            let run = AttemptEnd(runMilliseconds: 60_000)
            #expect(try await store.record([AttemptReport(job: jobs[0].id, attempt: 1, outcome: .succeeded, end: run)]) == [.applied])
            let both = try await store.record([AttemptReport(job: jobs[1].id, attempt: 1, outcome: .succeeded, end: run)],
                                              andClaimForSlots: ["w1"], labels: [:], host: "node-1", leaseDuration: .seconds(60))
            #expect(both.outcomes == [.applied])
            #expect(try await store.record([AttemptReport(job: jobs[2].id, attempt: 1, outcome: .stopped, end: run, stopReason: "early stop")]) == [.applied])
            for job in jobs.prefix(3) {
                let seconds = try await store.scalar("SELECT extract(epoch FROM finished_at - started_at)::float8 FROM sweep.jobs WHERE id = \(job.id)", as: Double.self)
                #expect(seconds == 60, "job \(job.id)")
            }
            // Without a run time the recorded start stays as it was.
            let before = try await started(jobs[3].id)
            #expect(try await store.record([AttemptReport(job: jobs[3].id, attempt: 1, outcome: .succeeded)]) == [.applied])
            #expect(try await started(jobs[3].id) == before)
        }
    }

    @Test("unclaim queues jobs claimed ahead and never sent again, with their attempt numbers and rows undone; other jobs are left alone")
    func unclaimUndoesClaims() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("unclaim", SweepYAML.grid(values: [1, 2, 3, 4]))
            let jobs = try await store.claimJobs(forSlots: ["w1", "w1", "w1", "w1"], labels: [:], host: "node-1", leaseDuration: .seconds(60)).map(\.job)
            #expect(jobs.map(\.id) == sweep.jobIDs && jobs.allSatisfy { $0.attempt == 1 })
            // jobs[2] ended meanwhile; jobs[3] is asked for under a wrong attempt number.
            #expect(try await store.record([AttemptReport(job: jobs[2].id, attempt: 1, outcome: .succeeded)]) == [.applied])
            let undone = try await store.unclaim([(jobs[0].id, 1), (jobs[1].id, 1), (jobs[2].id, 1), (jobs[3].id, 2)])
            #expect(undone == 2)
            for job in jobs.prefix(2) {
                let row = try await store.jobRow(job.id)
                #expect(row.state == .queued && row.attempt == 0 && row.leaseOwner == nil)
                #expect(try await store.attemptRows(job.id).isEmpty)
            }
            #expect(try await store.jobRow(jobs[2].id).state == .succeeded)
            #expect(try await store.attemptRows(jobs[2].id).count == 1)
            #expect(try await store.jobRow(jobs[3].id).state == .leased)
            #expect(try await store.attemptRows(jobs[3].id).count == 1)
            // Claimed again, they are attempt 1 again, with a row of their own.
            let again = try await store.claimJobs(forSlots: ["w2", "w2"], labels: [:], host: "node-2", leaseDuration: .seconds(60)).map(\.job)
            #expect(Set(again.map(\.id)) == Set(jobs.prefix(2).map(\.id)) && again.allSatisfy { $0.attempt == 1 })
            #expect(try await store.attemptRows(jobs[0].id).map(\.worker) == ["w2"])
            #expect(try await store.unclaim([]) == 0)
        }
    }
}

