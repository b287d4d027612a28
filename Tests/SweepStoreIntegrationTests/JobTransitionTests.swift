import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// The job state machine of SweepCore, as PostgreSQL enforces it: the transition table, the
/// trigger on direct updates, and the store's operations.
@Suite("Job transitions", .timeLimit(.minutes(1)))
struct JobTransitionTests {
    @Test("sweep.job_transitions and the job_state enum equal SweepCore's JobState")
    func transitionTableMatchesStateMachine() async throws {
        try await TestDatabase.withStore { store in
            var pairs = Set<JobState.Pair>()
            for try await (from, to) in try await store.client.query("SELECT from_state::text, to_state::text FROM sweep.job_transitions").decode((String, String).self) {
                pairs.insert(JobState.Pair(from: try #require(JobState(rawValue: from)), to: try #require(JobState(rawValue: to))))
            }
            #expect(pairs == JobState.allowedPairs)

            var labels: [String] = []
            for try await label in try await store.client.query("SELECT unnest(enum_range(NULL::sweep.job_state))::text").decode(String.self) {
                labels.append(label)
            }
            #expect(labels == JobState.allCases.map(\.rawValue))
        }
    }

    @Test("a direct UPDATE of state is accepted for allowed pairs and refused by the trigger for every other")
    func triggerEnforcesEveryPair() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("direct", SweepYAML.grid(values: [1]))
            var position = 100
            var accepted = Set<JobState.Pair>()
            for from in JobState.allCases {
                for to in JobState.allCases where to != from {
                    position += 1
                    // A row born in `from` (the trigger watches updates only), consistent with
                    // the table's constraints so that only the trigger can refuse the change.
                    let id = try #require(try await store.scalar("""
                        INSERT INTO sweep.jobs (sweep_id, position, params, config_hash, seed, state, attempt,
                                                lease_owner, lease_expires_at, finished_at)
                        VALUES (\(sweep.record.id), \(position), '{}', \("pair-\(position)"), 0, \(from.rawValue)::sweep.job_state, 1,
                                CASE WHEN \(from.holdsLease) THEN 'w1' END,
                                CASE WHEN \(from.holdsLease) THEN now() + interval '1 hour' END,
                                CASE WHEN \(from.isTerminal) THEN now() END)
                        RETURNING id
                        """, as: Int64.self))
                    let pair = JobState.Pair(from: from, to: to)
                    do {
                        try await store.execute("""
                            UPDATE sweep.jobs
                            SET state = \(to.rawValue)::sweep.job_state,
                                lease_owner = CASE WHEN \(to.holdsLease) THEN 'w2' END,
                                lease_expires_at = CASE WHEN \(to.holdsLease) THEN now() + interval '1 hour' END,
                                finished_at = CASE WHEN \(to.isTerminal) THEN now() END
                            WHERE id = \(id)
                            """)
                        accepted.insert(pair)
                        #expect(try await store.state(of: id) == to, "\(pair)")
                    } catch {
                        #expect(error.sqlState == "23514", "\(pair): \(String(reflecting: error))")
                        #expect(error.serverMessage == "job \(id) cannot go from \(from.rawValue) to \(to.rawValue)")
                        #expect(try await store.state(of: id) == from, "\(pair) was refused but the row changed")
                    }
                }
            }
            #expect(accepted == JobState.allowedPairs)

            // Updating other columns, or setting the same state, is no transition.
            let id = try #require(sweep.jobIDs.first)
            try await store.execute("UPDATE sweep.jobs SET state = 'queued', priority = 5 WHERE id = \(id)")
            #expect(try await store.state(of: id) == .queued)
        }
    }

    /// The store operation that performs each event, and what the attempt row records.
    private static let attemptOutcome: [JobEvent: String] = [
        .succeed: "succeeded", .fail: "failed", .stop: "stopped", .release: "released",
    ]

    @Test("every allowed transition happens through the store's operations")
    func everyAllowedTransitionThroughTheStore() async throws {
        try await TestDatabase.withStore { store in
            let cases = JobState.transitions
                .flatMap { from, events in events.map { (from: from, event: $0.key, to: $0.value) } }
                .sorted { ($0.from.rawValue, $0.event.rawValue) < ($1.from.rawValue, $1.event.rawValue) }
            #expect(cases.count == JobState.allowedPairs.count)
            for (number, transition) in cases.enumerated() {
                let label = ["case": "\(number)"]
                let worker = "w\(number)"
                let what = "\(transition.from.rawValue) -\(transition.event.rawValue)-> \(transition.to.rawValue)"
                // Each case has a sweep whose job only this case's worker can claim.
                let sweep = try await store.submit("transition-\(number)", SweepYAML.grid(
                    values: [number], resources: "{labels: {case: \"\(number)\"}}", retries: "{max_attempts: 3, backoff: 5m}"))
                let job = try #require(sweep.jobIDs.first)

                // Bring the job to `from`.
                switch transition.from {
                case .queued:
                    break
                case .leased, .running, .failed:
                    #expect(try await store.claim(worker, labels: label).map(\.id) == [job], "\(what): claim")
                    if transition.from == .running {
                        #expect(try await store.markRunning(job: job, attempt: 1) == .applied, "\(what): start")
                    }
                    if transition.from == .failed {
                        #expect(try await store.fail(job: job, attempt: 1, end: AttemptEnd(exitStatus: 1, error: "boom")) == .applied, "\(what): fail")
                    }
                default:
                    Issue.record("no way to reach \(transition.from) through the store")
                }
                #expect(try await store.state(of: job) == transition.from, "\(what): set-up")

                let attempt = try await store.jobRow(job).attempt
                switch transition.event {
                case .claim:
                    let claimed = try await store.claim(worker, labels: label)
                    #expect(claimed.map(\.id) == [job] && claimed.first?.attempt == attempt + 1, "\(what)")
                case .start:
                    #expect(try await store.markRunning(job: job, attempt: attempt) == .applied, "\(what)")
                case .succeed:
                    #expect(try await store.complete(job: job, attempt: attempt, finalMetrics: ["val_loss": 0.5]) == .applied, "\(what)")
                case .fail:
                    #expect(try await store.fail(job: job, attempt: attempt, end: AttemptEnd(exitStatus: 2, error: "bad")) == .applied, "\(what)")
                case .stop:
                    #expect(try await store.stop(job: job, attempt: attempt, reason: "median") == .applied, "\(what)")
                case .release:
                    #expect(try await store.release(job: job, attempt: attempt) == .applied, "\(what)")
                case .cancel:
                    let revoked = try await store.cancel(job: job)
                    let expected = transition.from.holdsLease ? [Revoked(job: job, attempt: attempt, worker: worker)] : []
                    #expect(revoked.map(Revoked.init) == expected, "\(what)")
                case .retry:
                    // The backoff has passed.
                    try await store.execute("UPDATE sweep.jobs SET scheduled_at = now() - interval '1 second' WHERE id = \(job)")
                    #expect(try await store.reclaimExpiredLeases().requeued == 1, "\(what)")
                case .exhaust:
                    // No attempt remains.
                    try await store.execute("UPDATE sweep.jobs SET max_attempts = failures WHERE id = \(job)")
                    #expect(try await store.reclaimExpiredLeases().dead == 1, "\(what)")
                }

                let row = try await store.jobRow(job)
                #expect(row.state == transition.to, "\(what)")
                #expect((row.leaseOwner != nil) == transition.to.holdsLease && row.leaseExpiresAt == transition.to.holdsLease, "\(what): lease columns")
                if transition.to.isTerminal { #expect(row.finishedAt, "\(what): finished_at") }
                if let outcome = Self.attemptOutcome[transition.event] {
                    #expect(try await store.attemptRows(job).last?.outcome == outcome, "\(what): attempt outcome")
                }
                if transition.event == .cancel, transition.from.holdsLease {
                    #expect(try await store.attemptRows(job).last?.outcome == "cancelled", "\(what): attempt outcome")
                }
            }
        }
    }

    @Test("refused transitions through the store report stale and change nothing")
    func refusedTransitionsThroughTheStore() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("refused", SweepYAML.grid(values: [1, 2, 3, 4], retries: "{max_attempts: 3, backoff: 5m}"))
            let ids = sweep.jobIDs

            /// Runs `report`, expects it stale with the job's current state and attempt, and
            /// the job's and attempts' rows unchanged.
            func expectRefused(_ job: Int64, _ what: String, _ report: () async throws -> ReportOutcome,
                               sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
                let before = try await store.jobRow(job)
                let attemptsBefore = try await store.attemptRows(job)
                let outcome = try await report()
                #expect(outcome == .stale(state: before.state, attempt: before.attempt), "\(what)", sourceLocation: sourceLocation)
                #expect(try await store.jobRow(job) == before, "\(what) changed the job", sourceLocation: sourceLocation)
                #expect(try await store.attemptRows(job) == attemptsBefore, "\(what) changed an attempt", sourceLocation: sourceLocation)
            }

            // Queued (never claimed, attempt 0): no report applies.
            let queued = ids[3]
            try await expectRefused(queued, "queued → running") { try await store.markRunning(job: queued, attempt: 0) }
            try await expectRefused(queued, "queued → succeeded") { try await store.complete(job: queued, attempt: 0) }
            try await expectRefused(queued, "queued → failed") { try await store.fail(job: queued, attempt: 0, end: AttemptEnd(error: "x")) }
            try await expectRefused(queued, "queued → stopped") { try await store.stop(job: queued, attempt: 0, reason: "x") }
            try await expectRefused(queued, "queued → queued (release)") { try await store.release(job: queued, attempt: 0) }

            // Running: it cannot start again.
            let running = try #require(try await store.claim().first)
            #expect(running.id == ids[0])
            #expect(try await store.markRunning(job: running.id, attempt: 1) == .applied)
            try await expectRefused(running.id, "running → running") { try await store.markRunning(job: running.id, attempt: 1) }

            // Succeeded is terminal.
            #expect(try await store.complete(job: running.id, attempt: 1, finalMetrics: ["val_loss": 0.25]) == .applied)
            try await expectRefused(running.id, "succeeded → succeeded") { try await store.complete(job: running.id, attempt: 1) }
            try await expectRefused(running.id, "succeeded → failed") { try await store.fail(job: running.id, attempt: 1, end: AttemptEnd(error: "late")) }
            try await expectRefused(running.id, "succeeded → stopped") { try await store.stop(job: running.id, attempt: 1, reason: "late") }
            try await expectRefused(running.id, "succeeded → queued") { try await store.release(job: running.id, attempt: 1) }
            #expect(try await store.cancel(job: running.id) == [])
            #expect(try await store.state(of: running.id) == .succeeded)
            #expect(try await store.jobRow(running.id).finalMetrics == #"{"val_loss": 0.25}"#)

            // Stopped is terminal.
            let stopped = try #require(try await store.claim().first)
            #expect(stopped.id == ids[1])
            #expect(try await store.stop(job: stopped.id, attempt: 1, reason: "asha") == .applied)
            try await expectRefused(stopped.id, "stopped → succeeded") { try await store.complete(job: stopped.id, attempt: 1) }
            try await expectRefused(stopped.id, "stopped → running") { try await store.markRunning(job: stopped.id, attempt: 1) }
            #expect(try await store.jobRow(stopped.id).stopReason == "asha")

            // Failed waits for its backoff: no worker report applies, and it is not claimed.
            let failed = try #require(try await store.claim().first)
            #expect(failed.id == ids[2])
            #expect(try await store.fail(job: failed.id, attempt: 1, end: AttemptEnd(exitStatus: 3, error: "oom")) == .applied)
            try await expectRefused(failed.id, "failed → queued (release)") { try await store.release(job: failed.id, attempt: 1) }
            try await expectRefused(failed.id, "failed → succeeded") { try await store.complete(job: failed.id, attempt: 1) }
            try await expectRefused(failed.id, "failed → running") { try await store.markRunning(job: failed.id, attempt: 1) }
            #expect(try await store.claim(limit: 10).map(\.id) == [queued])

            // Cancelled is terminal.
            #expect(try await store.cancel(job: queued).map(Revoked.init) == [Revoked(job: queued, attempt: 1, worker: "w1")])
            try await expectRefused(queued, "cancelled → succeeded") { try await store.complete(job: queued, attempt: 1) }
            #expect(try await store.cancel(job: queued) == [])
            #expect(try await store.claim(limit: 10).isEmpty)

            // A job that does not exist.
            #expect(try await store.complete(job: 987_654_321, attempt: 1) == .stale(state: nil, attempt: nil))
        }
    }
}

@Suite("Sweep progress", .timeLimit(.minutes(1)))
struct ProgressTests {
    @Test("sweep_progress and progress(): a claimed job is assigned, a started one running, an ended one done")
    func assignedThenRunning() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.submit("progress", SweepYAML.grid(values: [1, 2, 3]))
            let claimed = try await store.claim("w1", limit: 2)
            #expect(claimed.count == 2)
            var row = try #require(try await store.progress(sweep: "progress").first)
            #expect([row.queued, row.assigned, row.running, row.done] as [Int] == [1, 2, 0, 0])
            let first = try #require(claimed.first)
            try await store.markRunning([(first.id, first.attempt)])
            row = try #require(try await store.progress(sweep: "progress").first)
            #expect([row.queued, row.assigned, row.running, row.done] as [Int] == [1, 1, 1, 0])
            _ = try await store.record([AttemptReport(job: first.id, attempt: first.attempt, outcome: .succeeded)])
            row = try #require(try await store.progress(sweep: "progress").first)
            #expect([row.queued, row.assigned, row.running, row.succeeded] as [Int] == [1, 1, 0, 1])
            #expect(try await store.scalar("SELECT assigned FROM sweep_progress WHERE sweep = 'progress'", as: Int64.self) == 1)
        }
    }

    @Test("A finished sweep's elapsed time runs from its first start to its last end, not to now: its rate stays put")
    func finishedSweepKeepsItsRate() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.submit("finished", SweepYAML.grid(values: [1, 2]))
            let claimed = try await store.claim("w1", limit: 2)
            #expect(claimed.count == 2)
            _ = try await store.record(claimed.map { AttemptReport(job: $0.id, attempt: $0.attempt, outcome: .succeeded) })
            // Started 10 s before they ended, which was 1 h ago.
            try await store.execute("""
                UPDATE sweep.jobs SET started_at = now() - interval '1 hour 10 seconds', finished_at = now() - interval '1 hour'
                WHERE sweep_id = (SELECT id FROM sweep.sweeps WHERE name = 'finished')
                """)
            let row = try #require(try await store.progress(sweep: "finished").first)
            #expect(row.isFinished)
            let elapsed = try #require(row.elapsedSeconds)
            #expect(abs(elapsed - 10) < 0.5, "elapsed \(elapsed) s")

            // An unfinished sweep counts to now.
            _ = try await store.submit("unfinished", SweepYAML.grid(values: [1, 2]))
            let one = try #require(try await store.claim("w1", limit: 1).first)
            try await store.markRunning([(one.id, one.attempt)])
            try await store.execute("UPDATE sweep.jobs SET started_at = now() - interval '30 seconds' WHERE id = \(one.id)")
            let open = try #require(try await store.progress(sweep: "unfinished").first)
            #expect(abs(try #require(open.elapsedSeconds) - 30) < 5)
        }
    }
}
