import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Metric ingestion is idempotent, and the views for people show the final and best value
/// of each sweep's objective by its goal.
@Suite("Metrics and views", .timeLimit(.minutes(1)))
struct MetricsTests {
    /// Points of one metric at steps 1, 2, ...
    private static func curve(_ job: Int64, attempt: Int = 1, _ name: String, _ values: [Double]) -> [MetricPoint] {
        values.enumerated().map { MetricPoint(job: job, attempt: attempt, step: Int64($0.offset + 1), name: name, value: $0.element) }
    }

    @Test("the same batch ingested twice is stored once; non-finite values are skipped")
    func ingestionIsIdempotent() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("ingest", SweepYAML.grid(values: [1, 2]))
            let jobs = try await store.claim(limit: 2)
            #expect(jobs.count == 2)
            let batch = Self.curve(jobs[0].id, "val_loss", [0.9, 0.7, 0.5]) + Self.curve(jobs[1].id, "val_loss", [1.0, 0.8])
                + Self.curve(jobs[0].id, "lr", [0.1, 0.1, 0.05])
            #expect(try await store.ingest(batch) == 8)
            #expect(try await store.ingest(batch) == 0)
            #expect(try await store.ingest(Array(batch.reversed())) == 0)
            #expect(try await store.scalar("SELECT count(*) FROM sweep.metrics", as: Int64.self) == 8)

            // A retransmission overlapping new points counts only the new ones; a batch that
            // repeats a point within itself stores it once.
            let more = Self.curve(jobs[1].id, "val_loss", [1.0, 0.8, 0.6, 0.4])
            #expect(try await store.ingest(more + more) == 2)
            let nonFinite = [MetricPoint(job: jobs[1].id, attempt: 1, step: 9, name: "val_loss", value: .nan),
                             MetricPoint(job: jobs[1].id, attempt: 1, step: 10, name: "val_loss", value: .infinity)]
            #expect(try await store.ingest(nonFinite) == 0)
            #expect(try await store.scalar("SELECT count(*) FROM sweep.metrics", as: Int64.self) == 10)

            // A first ingestion keeps the first value it saw.
            let changed = [MetricPoint(job: jobs[0].id, attempt: 1, step: 1, name: "val_loss", value: 123)]
            #expect(try await store.ingest(changed) == 0)
            #expect(try await store.scalar("SELECT value FROM sweep.metrics WHERE job_id = \(jobs[0].id) AND step = 1 AND name = 'val_loss'", as: Double.self) == 0.9)

            // Large batches are split and still counted exactly.
            let many = (0..<(SweepStore.metricBatchSize + 500)).map {
                MetricPoint(job: sweep.jobIDs[0], attempt: 1, step: Int64($0), name: "train_loss", value: Double($0))
            }
            #expect(try await store.ingest(many) == many.count)
            #expect(try await store.ingest(many) == 0)
        }
    }

    @Test("results, curves and leaderboard show the final and best objective by goal, for the current attempt")
    func viewsShowFinalAndBest() async throws {
        try await TestDatabase.withStore { store in
            let losses = try await store.submit("losses", SweepYAML.grid(values: [1, 2, 3], metric: "val_loss", goal: "minimize",
                                                                           retries: "{max_attempts: 3, backoff: 5m}"))
            let accuracies = try await store.submit("accuracies", SweepYAML.grid(values: [1, 2], metric: "val_acc", goal: "maximize"))
            let claimed = try await store.claim(limit: 5)
            #expect(claimed.count == 5)
            let (l1, l2, l3) = (losses.jobIDs[0], losses.jobIDs[1], losses.jobIDs[2])
            let (a1, a2) = (accuracies.jobIDs[0], accuracies.jobIDs[1])

            var points = Self.curve(l1, "val_loss", [0.9, 0.5, 0.3, 0.4, 0.35])  // final 0.35, best 0.3
            points += Self.curve(l2, "val_loss", [0.8, 0.6, 0.2])                // final 0.2, best 0.2
            points += Self.curve(l3, "val_loss", [1.0, 0.7])                     // superseded below
            points += Self.curve(l1, "train_loss", [0.01, 0.01, 0.01, 0.01, 0.01])  // not the objective
            points += Self.curve(a1, "val_acc", [0.5, 0.9, 0.8])                 // final 0.8, best 0.9
            points += Self.curve(a2, "val_acc", [0.6, 0.7])                      // final 0.7, best 0.7
            #expect(try await store.ingest(points) == points.count)

            // Job l3's first attempt is handed back; its second attempt's curve is what counts.
            #expect(try await store.release(job: l3, attempt: 1) == .applied)
            #expect(try await store.claim(limit: 1).map(\.attempt) == [2])
            #expect(try await store.ingest(Self.curve(l3, attempt: 2, "val_loss", [0.6, 0.25, 0.28])) == 3)  // final 0.28, best 0.25

            for (job, attempt) in [(l1, 1), (l2, 1), (l3, 2), (a1, 1), (a2, 1)] {
                #expect(try await store.complete(job: job, attempt: attempt) == .applied)
            }

            let results = try await store.client.query("""
                SELECT job_id, objective, goal, final_value, final_step, best_value, state, attempts
                FROM results ORDER BY job_id
                """).decode((Int64, String?, String?, Double?, Int64?, Double?, String, Int32).self)
            var seen: [Int64: (final: Double?, step: Int64?, best: Double?)] = [:]
            for try await (job, objective, goal, final, step, best, state, attempts) in results {
                seen[job] = (final, step, best)
                #expect(state == "succeeded")
                #expect(attempts == (job == l3 ? 2 : 1))
                #expect(objective == ([a1, a2].contains(job) ? "val_acc" : "val_loss"))
                #expect(goal == ([a1, a2].contains(job) ? "maximize" : "minimize"))
            }
            #expect(seen.count == 5)
            #expect(seen[l1]?.final == 0.35 && seen[l1]?.step == 5 && seen[l1]?.best == 0.3)
            #expect(seen[l2]?.final == 0.2 && seen[l2]?.step == 3 && seen[l2]?.best == 0.2)
            #expect(seen[l3]?.final == 0.28 && seen[l3]?.step == 3 && seen[l3]?.best == 0.25)
            #expect(seen[a1]?.final == 0.8 && seen[a1]?.step == 3 && seen[a1]?.best == 0.9)
            #expect(seen[a2]?.final == 0.7 && seen[a2]?.step == 2 && seen[a2]?.best == 0.7)

            // Leaderboard: per sweep, best first by the sweep's goal.
            var ranks: [Int64: Int64] = [:]
            for try await (job, rank) in try await store.client.query("SELECT job_id, rank FROM leaderboard").decode((Int64, Int64).self) {
                ranks[job] = rank
            }
            #expect(ranks == [l2: 1, l3: 2, l1: 3, a1: 1, a2: 2])
            let board = try await store.leaderboard(sweep: "losses", limit: 10)
            #expect(board.columns.prefix(4) == ["rank", "job", "seed", "state"])
            #expect(board.rows.map { $0[1] } == ["\(l2)", "\(l3)", "\(l1)"])
            #expect(board.rows.map { $0[6] } == ["0.2", "0.25", "0.3"])
            #expect(try await store.leaderboard(sweep: "accuracies", limit: 1).rows.map { $0[1] } == ["\(a1)"])
            await #expect(throws: StoreError.self) { try await store.leaderboard(sweep: "nope", limit: 10) }

            // Curves: every point, marked with whether it belongs to the job's current attempt.
            var curve: [String] = []
            for try await (step, value, current) in try await store.client.query("""
                SELECT step, value, current_attempt FROM curves WHERE job_id = \(l3) AND metric = 'val_loss' ORDER BY attempt, step
                """).decode((Int64, Double, Bool).self) {
                curve.append("\(step):\(value):\(current)")
            }
            #expect(curve == ["1:1.0:false", "2:0.7:false", "1:0.6:true", "2:0.25:true", "3:0.28:true"])
            #expect(try await store.scalar("SELECT count(*) FROM curves WHERE sweep = 'losses'", as: Int64.self) == 18)

            // The sweep's own view carries the same values with the parameter as a column.
            #expect(try await store.scalar("SELECT best_value FROM results_losses WHERE x = 3", as: Double.self) == 0.25)
            #expect(try await store.scalar("SELECT succeeded FROM sweep_progress WHERE sweep = 'losses'", as: Int64.self) == 3)
        }
    }
    @Test("curves carry each point's seconds since its attempt started, and attempts' ages come from the database's clock")
    func curvesCarryCosts() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("costs", SweepYAML.grid(values: [1, 2]))
            let jobs = try await store.claim(limit: 1)
            #expect(jobs.count == 1)
            let job = jobs[0].id
            try await store.execute("UPDATE sweep.attempts SET started_at = now() - interval '100 seconds' WHERE job_id = \(job)")
            #expect(try await store.ingest(Self.curve(job, "val_loss", [0.9, 0.7])) == 2)
            try await store.execute("UPDATE sweep.metrics SET recorded_at = now() - interval '40 seconds' WHERE job_id = \(job) AND step = 1")
            // A point of an attempt the database has no row for has no cost.
            let other = sweep.jobIDs.first { $0 != job } ?? job
            #expect(try await store.ingest([MetricPoint(job: other, attempt: 1, step: 1, name: "val_loss", value: 1)]) == 1)

            let curves = try await store.curves(sweep: sweep.record.id, metric: "val_loss")
            let claimed = try #require(curves.first { $0.job == job })
            #expect(claimed.steps == [1, 2] && claimed.costs.count == 2)
            #expect(abs(claimed.costs[0] - 60) < 5 && abs(claimed.costs[1] - 100) < 5, "\(claimed.costs)")
            let unclaimed = try #require(curves.first { $0.job == other })
            #expect(unclaimed.costs.count == 1 && unclaimed.costs[0].isNaN)

            let ages = try await store.secondsSinceStart(of: [(job: job, attempt: 1), (job: job, attempt: 2), (job: other, attempt: 1)])
            #expect(ages.count == 1 && abs((ages[job] ?? 0) - 100) < 5, "\(ages)")
        }
    }

    @Test("sweep results ranks numerically: with 12 runs, the top 3 are ranks 1, 2, 3")
    func leaderboardRanksNumerically() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("twelve", SweepYAML.grid(values: Array(1...12)))
            let jobs = try await store.claim(limit: 12)
            #expect(jobs.map(\.id) == sweep.jobIDs)
            // Job k ends with loss k/100: job 1 is best.
            let points = jobs.enumerated().map { MetricPoint(job: $0.element.id, attempt: 1, step: 1, name: "val_loss", value: Double($0.offset + 1) / 100) }
            #expect(try await store.ingest(points) == 12)
            let board = try await store.leaderboard(sweep: "twelve", limit: 3)
            #expect(board.rows.map { $0[0] } == ["1", "2", "3"])
            #expect(board.rows.map { $0[1] } == sweep.jobIDs.prefix(3).map { "\($0)" })
        }
    }

    @Test("parameters named like the view's own columns get a param. prefix; durations over a day keep their days")
    func clashingParameterNamesAndLongDurations() async throws {
        try await TestDatabase.withStore { store in
            let yaml = """
                program: train.py
                method: grid
                metric: {name: val_loss, goal: minimize}
                parameters:
                  seed: {values: [7, 8]}
                  state: {value: warm}
                  x: {value: 1}

                """
            let sweep = try await store.submit("clash", yaml)
            let view = sweep.record.resultsView
            let columns = try await store.readOnlyQuery("SELECT * FROM \(view) LIMIT 1").columns
            #expect(columns.contains("param.seed") && columns.contains("param.state") && columns.contains("x"), "\(columns)")
            #expect(columns.filter { $0 == "seed" }.count == 1 && columns.filter { $0 == "state" }.count == 1, "\(columns)")
            let seeds = try await store.readOnlyQuery("SELECT \"param.seed\", \"param.state\" FROM \(view) ORDER BY \"param.seed\"")
            #expect(seeds.rows == [["7", "warm"], ["8", "warm"]])

            // A run of 26 hours: the leaderboard's duration says "1 day 02:00:00".
            let jobs = try await store.claim(limit: 1)
            #expect(try await store.markRunning(job: jobs[0].id, attempt: 1) == .applied)
            #expect(try await store.ingest([MetricPoint(job: jobs[0].id, attempt: 1, step: 1, name: "val_loss", value: 0.5)]) == 1)
            #expect(try await store.complete(job: jobs[0].id, attempt: 1) == .applied)
            try await store.execute("UPDATE sweep.jobs SET started_at = finished_at - interval '26 hours' WHERE id = \(jobs[0].id)")
            let board = try await store.leaderboard(sweep: "clash", limit: 1)
            #expect(board.rows.first?[9] == "1 day 02:00:00", "\(board.rows)")
        }
    }
}
