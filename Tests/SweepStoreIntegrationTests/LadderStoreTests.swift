import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Ladder results, stored fits and the `ladder_fits` view, and cancelling waiting rungs.
@Suite("Ladder fits in the store", .timeLimit(.minutes(1)))
struct LadderStoreTests {
    /// 3 rungs × 2 seeds, budgets in `steps`.
    static let yaml = """
        program: train.py
        method: grid
        seeds: 2
        metric: {name: val_loss, goal: minimize}
        parameters:
          lr: {value: 0.01}
        ladder:
          size: width
          rungs: [16, 32, 64]
          budget: {parameter: steps, per_rung: [100, 200, 400]}
          targets: [128, 256]

        """

    @Test("finished rung jobs are read with their sizes, budgets and final metrics; running and queued ones are not")
    func rungResults() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("ladder-results", Self.yaml)
            let ladder = try #require(try SweepFile.parse(text: Self.yaml, file: "ladder.yaml").spec.ladder)
            let claimed = try await store.claim("w1", limit: 3)
            #expect(claimed.map(\.id) == Array(sweep.jobIDs.prefix(3)))
            #expect(try await store.complete(job: claimed[0].id, attempt: 1, finalMetrics: ["val_loss": 2.5, "params": 1234, "bad": .nan]) == .applied)
            #expect(try await store.complete(job: claimed[1].id, attempt: 1, finalMetrics: ["val_loss": 2.4]) == .applied)
            let results = try await store.ladderResults(sweep: sweep.record.id, ladder: ladder)
            #expect(results.map(\.job) == [claimed[0].id, claimed[1].id])
            #expect(results.map(\.rung) == [0, 0])
            #expect(results[0].sizes == ["width": .int(16)] && results[0].budget == 100)
            #expect(results[0].finalMetrics == ["val_loss": 2.5, "params": 1234])
            #expect(results.allSatisfy { $0.state == .succeeded })
        }
    }

    @Test("a stored fit is read back as the latest, and the ladder_fits view shows one row per target to sweep_reader")
    func storedFits() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("ladder-fits", Self.yaml)
            let older = LadderFitRecord(
                sweep: sweep.record.id, metric: "val_loss", form: "parameters", rungsUsed: [0, 1, 2], jobsUsed: sweep.jobIDs, points: 6,
                lawJSON: #"{"formula": "L = 1 + 2/N^0.3"}"#, goodnessJSON: #"{"rSquaredLog": 0.99, "maxAbsoluteRelativeError": 0.01}"#,
                predictionsJSON: #"[{"label": "width=128", "target": {"width": 128}, "parameters": 128, "value": 2.0, "low": 1.9, "high": 2.1, "relativeWidth": 0.1, "warnings": []}]"#,
                intervalLevel: 0.9, converged: false, warnings: [])
            var newer = older
            newer.predictionsJSON = #"""
                [{"label": "width=128", "target": {"width": 128}, "parameters": 128, "tokens": 800, "value": 2.0, "low": 1.99, "high": 2.01, "relativeWidth": 0.01, "warnings": ["far out"]},
                 {"label": "width=256", "target": {"width": 256}, "parameters": 256, "value": "NaN", "warnings": ["no interval"]}]
                """#
            newer.converged = true
            newer.warnings = ["few points"]
            newer.form = "equal-exponents"
            newer.lawJSON = #"{"formula": "L = 1 + 2/N^0.3", "selection": {"chosen": "equal-exponents", "heldOutPoints": 2}}"#
            let first = try await store.insertLadderFit(older)
            let second = try await store.insertLadderFit(newer)
            #expect(second > first)

            let latest = try await store.latestLadderFits(sweep: sweep.record.id)
            #expect(latest.map(\.id) == [second])
            #expect(latest.first?.record.rungsUsed == [0, 1, 2] && latest.first?.record.converged == true)
            #expect(latest.first?.record.warnings == ["few points"])

            let view = try await store.readOnlyQuery("""
                SELECT fit_id, latest, target, target_params, target_tokens, predicted, interval_low, interval_high, relative_width,
                       rungs, points, formula, r_squared_log, converged, warnings
                FROM ladder_fits WHERE sweep = 'ladder-fits' ORDER BY fit_id, target_index
                """)
            #expect(view.rows.count == 3)
            #expect(view.rows[0] == ["\(first)", "false", "width=128", "128", nil, "2", "1.9", "2.1", "0.1", "3", "6", "L = 1 + 2/N^0.3", "0.99", "false", "[]"])
            #expect(view.rows[1] == ["\(second)", "true", "width=128", "128", "800", "2", "1.99", "2.01", "0.01", "3", "6", "L = 1 + 2/N^0.3", "0.99", "true", #"["few points","far out"]"#])
            #expect(view.rows[2][2] == "width=256" && view.rows[2][5] == "NaN" && view.rows[2][6] == nil)
            // How the form was chosen (migration 12): NULL when one form was fitted.
            let forms = try await store.readOnlyQuery("""
                SELECT form, form_selection ->> 'chosen' AS chosen, (form_selection ->> 'heldOutPoints')::integer AS held_out
                FROM ladder_fits WHERE sweep = 'ladder-fits' ORDER BY fit_id, target_index
                """)
            #expect(forms.rows == [["parameters", nil, nil], ["equal-exponents", "equal-exponents", "2"], ["equal-exponents", "equal-exponents", "2"]])
        }
    }

    @Test("cancelling waiting rungs above a rung leaves lower rungs and held jobs alone")
    func cancelWaitingRungs() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("ladder-cancel", Self.yaml)
            // Jobs by position: rung 0 (2 seeds), rung 1, rung 2. Hold one of rung 2 (claim order is by id).
            let ids = sweep.jobIDs
            let held = try await store.claim("w1", limit: 5)
            #expect(held.map(\.id) == Array(ids.prefix(5)))
            let reason = "ladder converged: test"
            #expect(try await store.cancelWaitingJobs(sweep: sweep.record.id, aboveRung: 0, reason: reason) == 1)
            var states: [JobState] = []
            for id in ids { states.append(try await store.state(of: id)) }
            #expect(states == [.leased, .leased, .leased, .leased, .leased, .cancelled])
            #expect(try await store.jobRow(ids[5]).stopReason == reason)
            #expect(try await store.cancelWaitingJobs(sweep: sweep.record.id, aboveRung: 0, reason: reason) == 0)
        }
    }
}
