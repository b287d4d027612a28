import Foundation
import PostgresNIO
import Testing

/// Ladder sweeps of `Programs/ladder.py`, whose final loss follows a known law
/// L(N, D) = 1.5 + 40/N^0.4 + 40/D^0.4 with N = 1000 × width and D = steps = 25 × width.
enum LadderSweepFiles {
    static let program = Bundle.module.bundleURL.appendingPathComponent("Programs/ladder.py").path

    /// The law the program follows.
    static func law(width: Double) -> Double {
        let parameters = 1000 * width, tokens = 25 * width
        return 1.5 + 40 / pow(parameters, 0.4) + 40 / pow(tokens, 0.4)
    }

    /// A ladder over `widths` with budgets 25 × width (or `budgets`, one per rung), targets 64 and 128.
    static func ladder(widths: [Int], seeds: Int, noise: Double, sleep: Double, adaptive: Double? = nil, budgets: [Int]? = nil) -> String {
        var text = """
            program: \(SweepFiles.quoted(program))
            method: grid
            seeds: \(seeds)
            metric: {name: loss, goal: minimize}
            parameters:
              noise: {value: \(noise)}
              sleep: {value: \(sleep)}
            ladder:
              size: width
              rungs: [\(widths.map(String.init).joined(separator: ", "))]
              budget:
                parameter: steps
                per_rung: [\((budgets ?? widths.map { 25 * $0 }).map(String.init).joined(separator: ", "))]
              targets: [64, 128]
              metrics: [loss, val_loss]

            """
        if let adaptive { text += "  adaptive: {max_interval_width: \(adaptive)}\n" }
        return text + SweepFiles.quickRetries + "\n"
    }
}

extension SystemTests {
    /// 4 rungs × 2 seeds with 0.2% noise: the coordinator stores fits of both metrics as the
    /// rungs finish; the last ones use every rung and predict the targets within 2%.
    @Test("The coordinator fits a ladder as its rungs finish and stores predictions close to the known law; sweep ladder show prints them")
    func ladderFitsAndShow() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 4)
            let sweep = try await cluster.submit("ladder-fit", yaml: LadderSweepFiles.ladder(widths: [4, 8, 16, 32], seeds: 2, noise: 0.002, sleep: 0))
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 8])

            // The refit after the last result comes within the refit interval (1 s).
            try await cluster.waitUntil("fits of every rung are stored", timeout: .seconds(20)) {
                try await cluster.scalar("""
                    SELECT count(DISTINCT metric)::bigint FROM public.ladder_fits WHERE sweep = 'ladder-fit' AND latest AND rungs = 4 AND points = 8
                    """, as: Int64.self) == 2
            }
            var checked = 0
            let rows = try await cluster.client.query("""
                SELECT metric, target, target_params, target_tokens, predicted, interval_low, interval_high, form, converged IS NULL
                FROM public.ladder_fits WHERE sweep = 'ladder-fit' AND latest ORDER BY metric, target_index
                """, logger: Cluster.logger)
            for try await (metric, target, parameters, tokens, predicted, low, high, form, notAdaptive)
                in rows.decode((String, String, Double, Double?, Double, Double?, Double?, String, Bool).self) {
                let width = target == "width=64" ? 64.0 : 128.0
                let truth = LadderSweepFiles.law(width: width) * (metric == "val_loss" ? 1.1 : 1)
                #expect(abs(parameters / (1000 * width) - 1) < 1e-6, "N of \(target) extrapolated from the reported params")
                #expect(tokens.map { abs($0 / (25 * width) - 1) < 1e-6 } == true, "D of \(target) extrapolated from the budgets")
                #expect(abs(predicted / truth - 1) < 0.02, "\(metric) at \(target): predicted \(predicted), law \(truth)")
                #expect(low != nil && high != nil && low! <= predicted && predicted <= high!)
                #expect(form == "compute" && notAdaptive)
                checked += 1
            }
            #expect(checked == 4)
            // No fit was made with fewer than three rungs.
            #expect((try await cluster.scalar("SELECT min(rungs)::bigint FROM public.ladder_fits WHERE sweep = 'ladder-fit'", as: Int64.self) ?? 0) >= 3)

            // sweep ladder show refits from the database and prints the same predictions.
            let svg = "\(cluster.directory)/ladder.svg"
            let show = try cluster.spawn("ladder-show", ["ladder", "show", "ladder-fit", "--metric", "loss", "--svg", svg])
            #expect(await show.waitForExit(timeout: .seconds(60)) == 0, "\(show.logTail())")
            let text = show.logTail()
            #expect(text.contains("metric loss"), "\(text)")
            #expect(text.contains("loss law    L = "), "\(text)")
            #expect(text.contains("width=64") && text.contains("width=128"), "\(text)")
            #expect(text.contains("8 points from 4 rungs"), "\(text)")
            #expect(FileManager.default.contents(atPath: svg).map { String(decoding: $0, as: UTF8.self).hasPrefix("<svg") } == true)
            // `sweep ladder SWEEP` is `show`, and JSON carries the predictions.
            let json = try cluster.spawn("ladder-json", ["ladder", "ladder-fit", "--format", "json", "--resamples", "20"])
            #expect(await json.waitForExit(timeout: .seconds(60)) == 0, "\(json.logTail())")
            let output = json.logTail(bytes: 1 << 20)
            let document = try Cluster.jsonObject(in: output)
            let metrics = document?["metrics"] as? [[String: Any]]
            #expect(metrics?.compactMap { $0["metric"] as? String } == ["loss", "val_loss"])
            let predictions = (metrics?.first?["fit"] as? [String: Any])?["predictions"] as? [[String: Any]]
            let value = ((predictions?.first?["loss"] as? [String: Any])?["value"] as? Double) ?? 0
            #expect(abs(value / LadderSweepFiles.law(width: 64) - 1) < 0.02, "\(String(describing: predictions))")
            // A sweep without a ladder is refused with a clear message.
            try await cluster.submit("no-ladder", yaml: SweepFiles.command(jobs: 1, steps: 1))
            let refused = try cluster.spawn("ladder-refused", ["ladder", "show", "no-ladder"])
            #expect(await refused.waitForExit(timeout: .seconds(60)) == 1)
            #expect(refused.logTail().contains("sweep 'no-ladder' has no 'ladder:' section"), "\(refused.logTail())")
        }
    }

    /// Six rungs of one seed whose budgets do not grow as a power of N: the coordinator weighs
    /// the joint law against the equal-exponent one. Without the largest rung, five points
    /// cannot fit the joint law's five parameters but can the equal-exponent law's four, so
    /// that law is chosen (the program's law has equal exponents, 0.4), and `ladder_fits`
    /// records the choice.
    @Test("A ladder with budgets off a power-law line: the coordinator chooses between the joint and equal-exponent laws and ladder_fits records why")
    func ladderChoosesItsForm() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 6)
            let sweep = try await cluster.submit("ladder-forms", yaml: LadderSweepFiles.ladder(
                widths: [4, 6, 8, 12, 16, 24], seeds: 1, noise: 0, sleep: 0, budgets: [100, 300, 200, 600, 400, 1200]))
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 6])
            try await cluster.waitUntil("a fit of every rung is stored", timeout: .seconds(20)) {
                try await cluster.scalar(
                    "SELECT count(*)::bigint FROM public.ladder_fits WHERE sweep = 'ladder-forms' AND metric = 'loss' AND latest AND rungs = 6",
                    as: Int64.self) ?? 0 > 0
            }
            let rows = try await cluster.client.query("""
                SELECT form, form_selection ->> 'chosen', form_selection -> 'candidates' -> 0 ->> 'form', predicted, target_params, target_tokens
                FROM public.ladder_fits WHERE sweep = 'ladder-forms' AND metric = 'loss' AND latest ORDER BY target_index
                """, logger: Cluster.logger)
            var checked = 0
            for try await (form, chosen, first, predicted, parameters, tokens) in rows.decode((String, String?, String?, Double, Double, Double).self) {
                #expect(form == "equal-exponents" && chosen == "equal-exponents" && first == "joint")
                let truth = 1.5 + 40 / pow(parameters, 0.4) + 40 / pow(tokens, 0.4)
                #expect(abs(predicted / truth - 1) < 0.01, "predicted \(predicted), law \(truth) at N = \(parameters), D = \(tokens)")
                checked += 1
            }
            #expect(checked == 2)
        }
    }

    /// 8 noiseless rungs of one seed, half a second each, on a worker with slots for all of
    /// them: an adaptive ladder holds back every rung after the first four (the fewest that
    /// give its three-parameter law four points), so only those run; their fit's intervals
    /// are below 5%, and the four held rungs are cancelled, never run. (Before a fit had to
    /// see every ended job, a fit of three points could release the fifth rung while the
    /// fourth was being recorded.)
    @Test("An adaptive ladder runs its first rungs, holds the rest back, and cancels them with the reason once its predictions have converged")
    func adaptiveLadderCancelsLargerRungs() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 8)
            let widths = [4, 6, 8, 12, 16, 24, 32, 48]
            let sweep = try await cluster.submit("ladder-adaptive", yaml: LadderSweepFiles.ladder(widths: widths, seeds: 1, noise: 0, sleep: 0.5, adaptive: 0.05))
            let states = try await cluster.waitForSweeps([sweep], timeout: .seconds(60))
            #expect(states == ["succeeded": 4, "cancelled": 4], "\(states)")
            // The converged fit, and the cancelled jobs all above its highest rung, with the reason.
            let convergedRung = try await cluster.scalar("""
                SELECT min(rungs_used[cardinality(rungs_used)])::bigint FROM sweep.ladder_fits WHERE sweep_id = \(sweep) AND converged
                """, as: Int64.self)
            #expect(convergedRung != nil)
            let lowestCancelled = try await cluster.scalar(
                "SELECT min(rung)::bigint FROM sweep.jobs WHERE sweep_id = \(sweep) AND state = 'cancelled'", as: Int64.self)
            #expect(lowestCancelled != nil && convergedRung != nil && lowestCancelled! > convergedRung!)
            let withReason = try await cluster.scalar("""
                SELECT count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(sweep) AND state = 'cancelled'
                  AND stop_reason LIKE 'ladder converged: after rung %, every target''s 90\\% interval is narrower than 5\\% of its prediction%'
                """, as: Int64.self)
            #expect(withReason == Int64(states["cancelled"] ?? 0))
            // No job a worker held was touched: every started job succeeded.
            #expect(try await cluster.scalar(
                "SELECT count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(sweep) AND state = 'cancelled' AND attempt > 0", as: Int64.self) == 0)
        }
    }

    /// `sweep ladder fit --csv` on points of Hoffmann et al.'s law (α = 0.34, β = 0.28): by
    /// default it weighs the joint law against the equal-exponent one, says which predicted
    /// the largest model better (the joint law, which alone can fit two exponents), and fits
    /// that; `--form equal-exponents` fits that form alone.
    @Test("sweep ladder fit --csv weighs the joint and equal-exponent laws and says which it kept")
    func ladderFitChoosesTheForm() async throws {
        try await Cluster.run { cluster in
            let law = { (n: Double, d: Double) in 1.69 + 406.4 / pow(n, 0.34) + 410.7 / pow(d, 0.28) }
            var csv = "run,params,tokens,loss\n"
            for size in [1e7, 2e7, 5e7, 1e8, 2e8, 4e8] {
                for ratio in [5.0, 10, 20, 40, 80] { csv += "r\(size)-\(ratio),\(size),\(size * ratio),\(law(size, size * ratio))\n" }
            }
            let file = "\(cluster.directory)/ladder.csv"
            try csv.write(toFile: file, atomically: true, encoding: .utf8)
            let common = ["ladder", "fit", "--csv", file, "--tokens-column", "tokens", "--target", "7B:140B", "--resamples", "20"]

            let automatic = try await cluster.runToEnd("ladder-fit-auto", common)
            #expect(automatic.status == 0, "\(automatic.output)")
            #expect(automatic.output.contains("form joint chosen: predicting the 400M model (5 points) from the smaller ones"), "\(automatic.output)")

            let json = try await cluster.runToEnd("ladder-fit-json", common + ["--format", "json"])
            #expect(json.status == 0, "\(json.output)")
            let document = try Cluster.jsonObject(in: json.output)
            let fit = (document?["tasks"] as? [[String: Any]])?.first?["fit"] as? [String: Any]
            #expect(fit?["form"] as? String == "joint")
            let candidates = (fit?["formSelection"] as? [String: Any])?["candidates"] as? [[String: Any]]
            #expect(candidates?.compactMap { $0["form"] as? String } == ["joint", "equal-exponents"])
            #expect(candidates?.compactMap { $0["heldOutError"] as? Double }.count == 2)
            let predicted = (((fit?["predictions"] as? [[String: Any]])?.first?["loss"] as? [String: Any])?["value"] as? Double) ?? 0
            #expect(abs(predicted / law(7e9, 140e9) - 1) < 0.005, "\(predicted) against \(law(7e9, 140e9))")

            let equal = try await cluster.runToEnd("ladder-fit-equal", common + ["--form", "equal-exponents"])
            #expect(equal.status == 0, "\(equal.output)")
            #expect(!equal.output.contains("chosen"), "\(equal.output)")
            let formula = equal.output.split(separator: "\n").first { $0.hasPrefix("loss law") }.map(String.init) ?? ""
            let exponents = formula.split(separator: "^").dropFirst().map { $0.prefix { $0.isNumber || $0 == "." } }
            #expect(exponents.count == 2 && exponents[0] == exponents[1], "\(formula)")

            // Without token counts, auto is the law in N alone.
            let sizesOnly = try await cluster.runToEnd("ladder-fit-sizes", ["ladder", "fit", "--csv", file, "--form", "auto", "--target", "7B", "--resamples", "0"])
            #expect(sizesOnly.status == 0, "\(sizesOnly.output)")
            #expect(sizesOnly.output.contains("/N^") && !sizesOnly.output.contains("/D^") && !sizesOnly.output.contains("chosen"), "\(sizesOnly.output)")

            let refused = try await cluster.runToEnd("ladder-fit-bad-form", common + ["--form", "quadratic"])
            #expect(refused.status != 0)
            #expect(refused.output.contains("equal-exponents"), "\(refused.output)")
        }
    }
}
