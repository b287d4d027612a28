import Foundation
import PostgresNIO
import Testing

extension Cluster {
    /// synthetic-curve runs whose floors are 0.1 and 0.2 (good) and 0.8 and 0.9 (bad), judged
    /// by a threshold policy at 0.5 from `minSteps`.
    static func thresholdSweep(steps: Int, stepMilliseconds: Int, minSteps: Int) -> String {
        """
        method: grid
        kernel: {name: synthetic-curve, settings: {steps: \(steps), scale: 0.3, noise: 0, step_ms: \(stepMilliseconds)}}
        metric: {name: val_loss, goal: minimize}
        parameters:
          floor: {values: [0.1, 0.2, 0.8, 0.9]}
        early_stop: {policy: threshold, value: 0.5, min_steps: \(minSteps)}
        """
    }

    /// The floors of the sweep's runs that ended stopped with a reason LIKE `reasonLike`, in order.
    func stoppedFloors(sweep: Int64, reasonLike: String) async throws -> String? {
        try await scalar("""
            SELECT string_agg(params->>'floor', ',' ORDER BY params->>'floor') FROM sweep.jobs
            WHERE sweep_id = \(sweep) AND state = 'stopped' AND stop_reason LIKE \(reasonLike)
            """, as: String.self)
    }
}

extension SystemTests {
    /// synthetic-curve jobs whose floors are 0.1 and 0.2 (good) and 0.8 and 0.9 (bad), under
    /// a threshold policy at 0.5 from step 5.
    @Test("The coordinator stops runs its policy judges, records why and every decision, and keeps their curves")
    func policyStopsBadRuns() async throws {
        try await Cluster.run { cluster in
            let coordinator = try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 4)
            let sweep = try await cluster.submit("threshold-stop", yaml: Cluster.thresholdSweep(steps: 60, stepMilliseconds: 25, minSteps: 5))
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 2, "stopped": 2])
            #expect(try await cluster.stoppedFloors(sweep: sweep, reasonLike: "early stop (threshold): %") == "0.8,0.9")
            // Once their results are recorded, the coordinator keeps nothing about the stopped
            // attempts (it used to keep every stop it ever sent): its shutdown line says so.
            coordinator.signal(SIGTERM)
            #expect(await coordinator.waitForExit(timeout: .seconds(30)) == 0)
            let shutdown = coordinator.logTail(bytes: 1 << 16).split(separator: "\n").last { $0.contains("coordinator stopped") }.map(String.init) ?? ""
            for table in ["stops=0", "stop_reasons=0", "job_sweeps=0", "unrecorded_results=0", "assigned=0"] {
                #expect(shutdown.contains(table), "\(table) not in: \(shutdown)")
            }
            // Every judged report is stored, continue and stop, with its evidence.
            let stops = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.stop_decisions
                WHERE sweep_id = \(sweep) AND decision = 'stop' AND policy = 'threshold'
                  AND (evidence->>'cutoff')::float8 = 0.5 AND (evidence->>'value')::float8 > 0.5 AND step >= 5
                """, as: Int64.self)
            #expect(stops == 2)
            let continues = try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.stop_decisions WHERE sweep_id = \(sweep) AND decision = 'continue'", as: Int64.self)
            #expect((continues ?? 0) >= 2 * 50, "the good runs are judged at every report from step 5 to 58")
            // Stopped runs keep their curves, cut short.
            let stoppedPoints = try await cluster.scalar("""
                SELECT max(n) FROM (SELECT count(*)::bigint AS n FROM sweep.metrics m JOIN sweep.jobs j ON j.id = m.job_id
                                    WHERE j.sweep_id = \(sweep) AND j.state = 'stopped' GROUP BY j.id) c
                """, as: Int64.self)
            #expect((stoppedPoints ?? 0) >= 6 && (stoppedPoints ?? 0) < 60)
            // The view for people shows them.
            let viewRows = try await cluster.scalar("SELECT count(*)::bigint FROM public.stop_decisions WHERE sweep = 'threshold-stop' AND decision = 'stop'", as: Int64.self)
            #expect(viewRows == 2)

            // sweep replay reads the recorded curves back and replays the sweep's own policy:
            // the bad runs are stopped again at their first judged report (step 5) unless their
            // recorded curve ends there (the replay never judges a curve's last point), and
            // the best run is found.
            let replay = try cluster.spawn("replay", ["replay", "threshold-stop", "--format", "json"])
            #expect(await replay.waitForExit(timeout: .seconds(60)) == 0, "\(replay.logTail())")
            let output = replay.logTail(bytes: 1 << 20)
            let document = try Cluster.jsonObject(in: output)
            let policy = (document?["policies"] as? [[String: Any]])?.first
            #expect(policy?["policy"] as? String == "threshold")
            let summary = policy?["summary"] as? [String: Any]
            #expect((1...2).contains(summary?["stopped"] as? Int ?? 0), "\(String(describing: summary))")
            #expect(summary?["regret"] as? Double == 0)
            let outcome = ((policy?["sweeps"] as? [[String: Any]])?.first?["outcome"]) as? [String: Any]
            #expect(outcome?["curves"] as? Int == 4)
            #expect(outcome?["trueBestStopped"] as? Bool == false)
        }
    }

    /// Two slots: the good runs (floors 0.1 and 0.12) run first and complete; the bad ones
    /// (0.8, 0.9) are then judged by a cost-aware `predict` with the mixed forecaster (curve
    /// families and the completed runs), whose costs are the seconds since each attempt
    /// started, by the database's clock.
    @Test("Cost-aware predict with the mixed forecaster stops runs that cannot win, with the remaining compute in its evidence")
    func costAwarePredictStopsLosers() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 2)
            let sweep = try await cluster.submit("cost-aware-predict", yaml: """
                method: grid
                kernel: {name: synthetic-curve, settings: {scale: 0.3, noise: 0, step_ms: 20}}
                max_steps: 40
                metric: {name: val_loss, goal: minimize}
                parameters:
                  floor: {values: [0.1, 0.12, 0.8, 0.9]}
                early_stop: {policy: predict, min_steps: 5, min_completed: 2, threshold: 0.05, cost_aware: true, forecaster: mixed}
                """)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 2, "stopped": 2])
            #expect(try await cluster.stoppedFloors(sweep: sweep, reasonLike: "early stop (predict): %remaining compute%") == "0.8,0.9")
            // Each stop's threshold is 0.05 × the run's remaining compute relative to a completed
            // run's; at a run's first judged steps (5 to 8 of 40) most of it is still to come.
            // Costs are wall seconds, so on a loaded machine the ratio moves: a CI run gave
            // 0.293 for both bad runs at step 5 (when the completed runs' early steps were slow,
            // their cost after step 5 is a smaller multiple of the cost up to it).
            let stops = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.stop_decisions
                WHERE sweep_id = \(sweep) AND decision = 'stop' AND policy = 'predict'
                  AND (evidence->>'relative_remaining_cost')::float8 BETWEEN 0.1 AND 3
                  AND abs((evidence->>'threshold')::float8 - least(0.5, 0.05 * (evidence->>'relative_remaining_cost')::float8)) < 1e-9
                  AND (evidence->>'probability')::float8 < (evidence->>'threshold')::float8
                """, as: Int64.self)
            let evidence = try await cluster.scalar("""
                SELECT string_agg(format('job %s step %s: %s', job_id, step, evidence::text), '; ') FROM sweep.stop_decisions
                WHERE sweep_id = \(sweep) AND decision = 'stop'
                """, as: String.self)
            #expect(stops == 2, "\(evidence ?? "no stop decisions")")
            // sweep replay can cost the recorded curves in seconds, as the coordinator did.
            let replay = try cluster.spawn("replay-seconds", ["replay", "cost-aware-predict", "--costs", "seconds"])
            #expect(await replay.waitForExit(timeout: .seconds(60)) == 0, "\(replay.logTail())")
            let output = replay.logTail(bytes: 1 << 16)
            #expect(output.contains("a point costs the seconds since the one before (4 of 4 curves"), "\(output)")
            #expect(output.split(separator: "\n").contains { $0.hasPrefix("predict") }, "\(output)")
            // --accuracy reports the curve families and, leave-one-out, the population forecaster.
            let accuracy = try cluster.spawn("replay-accuracy", ["replay", "cost-aware-predict", "--accuracy", "--format", "json"])
            #expect(await accuracy.waitForExit(timeout: .seconds(60)) == 0, "\(accuracy.logTail())")
            let json = accuracy.logTail(bytes: 1 << 20)
            let document = try Cluster.jsonObject(in: json)
            let population = document?["population"] as? [[String: Any]]
            #expect(population?.count == 3 && (document?["ensemble"] as? [[String: Any]])?.count == 3, "\(json)")
            #expect(population?.allSatisfy { ($0["curves"] as? Int) == 4 } == true, "\(json)")
        }
    }

    /// One slot, ten jobs; the first reaches the target at step 35 of 100.
    @Test("A run that reaches metric.target ends the sweep: it finishes, jobs not started are cancelled with the reason")
    func targetEndsTheSweep() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 1)
            let sweep = try await cluster.submit("target-stop", yaml: """
                method: grid
                kernel: {name: synthetic-curve, settings: {steps: 100, scale: 0.3, noise: 0, step_ms: 10}}
                metric: {name: val_loss, goal: minimize, target: 0.15}
                parameters:
                  floor: {values: [0.1, 0.5, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58]}
                """)
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 1, "cancelled": 9])
            let winner = try await cluster.scalar(
                "SELECT params->>'floor' FROM sweep.jobs WHERE sweep_id = \(sweep) AND state = 'succeeded'", as: String.self)
            #expect(winner == "0.1")
            let reasons = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(sweep) AND state = 'cancelled' AND stop_reason LIKE 'target reached: job % reported val_loss = %'
                """, as: Int64.self)
            #expect(reasons == 9)
            #expect(try await cluster.scalar("SELECT state FROM sweep.sweeps WHERE id = \(sweep)", as: String.self) == "cancelled")
        }
    }
}

extension SystemTests {
    /// Four runs, two of them bad, judged by `threshold` only from step 40 (2 s in): the
    /// coordinator is killed with SIGKILL 1 s in, before any decision, and restarted. The new
    /// one loads the curves written so far, takes the workers' resent points, and judges on:
    /// each bad run is stopped once, no report is judged twice, every curve is whole.
    @Test("A coordinator killed mid-sweep under an early-stopping policy: the restarted one reloads the curves and stops the bad runs once")
    func policySurvivesCoordinatorRestart() async throws {
        try await Cluster.run { cluster in
            let first = try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 4)
            let sweep = try await cluster.submit("restart-threshold", yaml: Cluster.thresholdSweep(steps: 80, stepMilliseconds: 50, minSteps: 40))
            try await cluster.waitUntil("every run reports", timeout: .seconds(30)) {
                try await cluster.scalar("SELECT count(DISTINCT job_id)::bigint FROM sweep.metrics", as: Int64.self) == 4
            }
            first.killAndReap()
            let decisionsAtKill = try await cluster.scalar("SELECT count(*)::bigint FROM sweep.stop_decisions", as: Int64.self)
            #expect(decisionsAtKill == 0, "a decision was taken before the kill; the test proves less")
            try await Task.sleep(for: .milliseconds(500))
            try await cluster.startCoordinator()

            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 2, "stopped": 2])
            #expect(try await cluster.stoppedFloors(sweep: sweep, reasonLike: "early stop (threshold): %") == "0.8,0.9")
            // On a loaded machine a lease may run out while the coordinator is away, and a job
            // then runs again as attempt 2: what follows is about each job's last attempt.
            let attempts = try await cluster.scalar(
                "SELECT string_agg(id || ':' || attempt, ',' ORDER BY id) FROM sweep.jobs WHERE sweep_id = \(sweep)", as: String.self) ?? ""
            let stops = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.stop_decisions d JOIN sweep.jobs j ON j.id = d.job_id AND j.attempt = d.attempt
                WHERE d.sweep_id = \(sweep) AND d.decision = 'stop'
                """, as: Int64.self)
            #expect(stops == 2, "jobs and attempts: \(attempts)")
            let judgedTwice = try await cluster.scalar("""
                SELECT count(*)::bigint FROM (SELECT job_id, attempt, step FROM sweep.stop_decisions WHERE sweep_id = \(sweep)
                                              GROUP BY job_id, attempt, step HAVING count(*) > 1) d
                """, as: Int64.self)
            #expect(judgedTwice == 0, "jobs and attempts: \(attempts)")
            // The good runs' curves are whole (steps 0…79, each once) and judged from step 40.
            let goodPoints = try await cluster.scalar("""
                SELECT string_agg(n::text, ',') FROM (
                    SELECT count(*) AS n FROM sweep.metrics m JOIN sweep.jobs j ON j.id = m.job_id AND j.attempt = m.attempt
                    WHERE j.sweep_id = \(sweep) AND j.state = 'succeeded' AND m.name = 'val_loss' GROUP BY j.id) c
                """, as: String.self)
            #expect(goodPoints == "80,80", "jobs and attempts: \(attempts)")
            let continues = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.stop_decisions d JOIN sweep.jobs j ON j.id = d.job_id AND j.attempt = d.attempt
                WHERE d.sweep_id = \(sweep) AND d.decision = 'continue'
                """, as: Int64.self)
            #expect((continues ?? 0) >= 2 * 30, "the good runs are judged at most reports from step 40 to 79 (\(continues ?? 0); \(attempts))")
        }
    }
}
