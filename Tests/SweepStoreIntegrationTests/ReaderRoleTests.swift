import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// The role `sweep_reader` reads the documented views and nothing else, and `sweep query`
/// (readOnlyQuery) runs exactly one read-only statement as that role.
@Suite("Reader role and sweep query", .timeLimit(.minutes(1)))
struct ReaderRoleTests {
    /// Runs `sql` as sweep_reader in a transaction that is rolled back; returns the server's
    /// error, or nil when the statement succeeded.
    private static func asReader(_ store: SweepStore, _ sql: String) async throws -> (any Error)? {
        try await store.client.withConnection { connection in
            try await connection.query("BEGIN", logger: TestDatabase.logger)
            try await connection.query("SET LOCAL ROLE sweep_reader", logger: TestDatabase.logger)
            var failure: (any Error)?
            do {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            } catch {
                failure = error
            }
            try await connection.query("ROLLBACK", logger: TestDatabase.logger)
            return failure
        }
    }

    /// A sweep with one finished job and a metric, so that the views have rows.
    private static func populate(_ store: SweepStore) async throws -> SubmittedSweep {
        let sweep = try await store.submit("readable", SweepYAML.grid(values: [4, 8]))
        let job = try #require(try await store.claim().first)
        #expect(try await store.ingest([MetricPoint(job: job.id, attempt: 1, step: 1, name: "val_loss", value: 0.5)]) == 1)
        #expect(try await store.complete(job: job.id, attempt: 1) == .applied)
        return sweep
    }

    @Test("sweep_reader can select every view but cannot read base tables nor write anything")
    func readerRole() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await Self.populate(store)
            for view in ["results", "curves", "leaderboard", "stop_decisions", "sweep_progress", "workers", "ladder_fits", sweep.record.resultsView] {
                let error = try await Self.asReader(store, "SELECT * FROM public.\(view)")
                #expect(error == nil, "sweep_reader cannot read \(view): \(String(reflecting: error))")
            }
            // Permission denied (42501) everywhere; writing to a view that is not updatable
            // may be refused as such (55000) before privileges are checked.
            let refused: [(sql: String, states: Set<String>)] = [
                ("SELECT * FROM sweep.jobs", ["42501"]),
                ("SELECT * FROM sweep.metrics", ["42501"]),
                ("SELECT yaml FROM sweep.sweeps", ["42501"]),
                ("SELECT * FROM sweep.schema_migrations", ["42501"]),
                ("UPDATE sweep.jobs SET priority = 1", ["42501"]),
                ("INSERT INTO sweep.metrics (job_id, attempt, step, name, value) VALUES (1, 1, 1, 'x', 1)", ["42501"]),
                ("DELETE FROM sweep.attempts", ["42501"]),
                ("TRUNCATE sweep.metrics", ["42501"]),
                ("DELETE FROM public.results", ["42501", "55000"]),
                ("UPDATE public.workers SET host = 'x'", ["42501", "55000"]),
                ("INSERT INTO public.curves (sweep) VALUES ('x')", ["42501", "55000"]),
                ("CREATE TABLE public.scratch (id integer)", ["42501"]),
                ("CREATE VIEW public.mine AS SELECT 1", ["42501"]),
                ("CREATE TABLE sweep.scratch (id integer)", ["42501"]),
                ("SELECT sweep.enforce_job_transition()", ["42501"]),
                ("SELECT * FROM sweep.claim_for_slots('{}', NULL, ARRAY['w'], 30, 'h')", ["42501"]),
            ]
            for (sql, states) in refused {
                let error = try await Self.asReader(store, sql)
                #expect(error?.sqlState.map(states.contains) == true, "\(sql): \(String(reflecting: error))")
            }
            // Nothing changed underneath.
            #expect(try await store.scalar("SELECT count(*) FROM sweep.metrics", as: Int64.self) == 1)
            #expect(try await store.scalar("SELECT count(*) FROM sweep.jobs WHERE priority = 1", as: Int64.self) == 0)
        }
    }

    @Test("readOnlyQuery returns the columns and rows of one SELECT, NULLs as nil")
    func readOnlyQueryReturnsRows() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await Self.populate(store)
            let result = try await store.readOnlyQuery("SELECT job_id, state, best_value, stop_reason FROM results ORDER BY job_id;")
            #expect(result.columns == ["job_id", "state", "best_value", "stop_reason"])
            #expect(result.rows == [["\(sweep.jobIDs[0])", "succeeded", "0.5", nil], ["\(sweep.jobIDs[1])", "queued", nil, nil]])

            let typed = try await store.readOnlyQuery("SELECT x, state FROM \(sweep.record.resultsView) ORDER BY x")
            #expect(typed.columns == ["x", "state"])
            #expect(typed.rows == [["4", "succeeded"], ["8", "queued"]])

            let values = try await store.readOnlyQuery("  WITH t(a, b) AS (VALUES (1, 'one'), (2, 'two')) SELECT b, a FROM t ORDER BY a DESC  ")
            #expect(values.columns == ["b", "a"])
            #expect(values.rows == [["two", "2"], ["one", "1"]])

            // No rows: the columns all the same, so a table or CSV keeps its header.
            let none = try await store.readOnlyQuery("SELECT job_id, best_value AS best FROM results WHERE false ORDER BY job_id LIMIT 3")
            #expect(none.columns == ["job_id", "best"] && none.rows.isEmpty)
            let emptyWith = try await store.readOnlyQuery("WITH t(a) AS (SELECT 1) SELECT a, a + 1 AS b FROM t WHERE a > 1")
            #expect(emptyWith.columns == ["a", "b"] && emptyWith.rows.isEmpty)
            // One row of NULLs is a row, not an empty result.
            let nulls = try await store.readOnlyQuery("SELECT NULL::int AS a")
            #expect(nulls.columns == ["a"] && nulls.rows == [[nil]])
        }
    }

    @Test("readOnlyQuery refuses writes, several statements, base tables and long queries with clear messages")
    func readOnlyQueryRefuses() async throws {
        try await TestDatabase.withStore { store in
            _ = try await Self.populate(store)

            /// The StoreError `sql` raises.
            func refusal(_ sql: String, timeout: Duration = .seconds(30)) async -> StoreError? {
                do {
                    _ = try await store.readOnlyQuery(sql, timeout: timeout)
                    return nil
                } catch let error as StoreError {
                    return error
                } catch {
                    Issue.record("\(sql): not a StoreError: \(String(reflecting: error))")
                    return nil
                }
            }

            let delete = await refusal("DELETE FROM sweep.jobs")
            #expect(delete?.code == .queryRefused)
            #expect(delete?.description == "sweep query is read-only and runs one SELECT (or WITH, VALUES, TABLE) statement; 'DELETE' is refused")

            let two = await refusal("SELECT 1; SELECT 2")
            #expect(two?.code == .queryRefused)
            #expect(two?.description == "sweep query runs exactly one statement; found another after ';' at character 9")
            let sneaky = await refusal("SELECT 1; DROP TABLE sweep.jobs")
            #expect(sneaky?.code == .queryRefused)
            #expect(sneaky?.description == "sweep query runs exactly one statement; found another after ';' at character 9")

            let base = await refusal("SELECT * FROM sweep.jobs")
            #expect(base?.code == .queryRefused)
            #expect(base?.description.hasPrefix("sweep query reads the views results, curves, leaderboard, stop_decisions, sweep_progress, workers, ladder_fits, results_<sweep> and nothing else") == true)

            let hidden = await refusal("WITH gone AS (DELETE FROM sweep.metrics RETURNING 1) SELECT count(*) FROM gone")
            #expect(hidden?.code == .queryRefused)
            #expect(hidden?.description.hasPrefix("sweep query reads the views") == true)

            let slow = await refusal("SELECT pg_sleep(5)", timeout: .milliseconds(200))
            #expect(slow?.code == .queryRefused)
            #expect(slow?.description == "the query ran past its time limit and was cancelled; narrow it or raise --timeout")

            let empty = await refusal("  ;  ")
            #expect(empty?.code == .invalidQuery)
            let typo = await refusal("SELEC 1")
            #expect(typo?.code == .queryRefused)
            let syntax = await refusal("SELECT FROM WHERE")
            #expect(syntax?.code == .invalidQuery)

            // Nothing was written, and the pool's connections are usable afterwards.
            #expect(try await store.scalar("SELECT count(*) FROM sweep.metrics", as: Int64.self) == 1)
            #expect(try await store.scalar("SELECT count(*) FROM sweep.jobs", as: Int64.self) == 2)
            #expect(try await store.readOnlyQuery("SELECT count(*) AS n FROM curves").rows == [["1"]])
        }
    }
    @Test("logged in as a member of sweep_reader, a statement cannot switch back to the owner's role")
    func readerLoginCannotEscape() async throws {
        try await TestDatabase.withStore { store in
            _ = try await Self.populate(store)
            let server = try TestDatabase.serverURL()
            let database = try #require(try await store.scalar("SELECT current_database()::text", as: String.self))
            // A login of its own, as docs/sql.md advises for people (roles are server-wide,
            // so the name is unique and the role is dropped afterwards).
            let role = "sweep_test_reader_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            let password = UUID().uuidString
            try await store.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN PASSWORD '\(password)' IN ROLE sweep_reader"))
            var reader = server.with(database: database)
            reader.username = role
            reader.password = password
            do {
                try await TestDatabase.withClient(reader) { client in
                    let store = SweepStore(client: client, logger: TestDatabase.logger)
                    let who = try await store.readOnlyQuery("SELECT set_config('role', 'none', true) AS reset, current_user::text AS who", connectedAsReader: true)
                    #expect(who.rows == [["none", role]])
                    do {
                        _ = try await store.readOnlyQuery(
                            "SELECT set_config('role', 'none', true), query_to_xml('SELECT count(*) FROM sweep.jobs', true, false, '')", connectedAsReader: true)
                        Issue.record("a statement read sweep.jobs after resetting its role")
                    } catch let error as StoreError {
                        #expect(error.code == .queryRefused)
                    }
                    #expect(try await store.readOnlyQuery("SELECT count(*) AS jobs FROM results", connectedAsReader: true).rows == [["2"]])
                    let none = try await store.readOnlyQuery("SELECT job_id, state FROM results WHERE false", connectedAsReader: true)
                    #expect(none.columns == ["job_id", "state"] && none.rows.isEmpty)
                }
            } catch {
                try? await store.execute(PostgresQuery(unsafeSQL: "DROP ROLE \(role)"))
                throw error
            }
            try await store.execute(PostgresQuery(unsafeSQL: "DROP ROLE \(role)"))
        }
    }

    @Test("through the owner's login, a statement runs inside sweep.reader_query and cannot switch back to the owner")
    func ownerLoginCannotEscape() async throws {
        try await TestDatabase.withStore { store in
            _ = try await Self.populate(store)
            let owner = try TestDatabase.serverURL().username
            let who = try await store.readOnlyQuery("SELECT current_user::text AS who, session_user::text AS login")
            #expect(who.rows == [["sweep_reader", owner]])
            // SET LOCAL ROLE could be undone by the statement; inside the SECURITY DEFINER
            // function PostgreSQL refuses it, directly or through another query.
            for escape in [
                "SELECT set_config('role', 'none', true) AS reset, current_user::text AS who",
                "SELECT set_config('session_authorization', '\(owner)', true)",
                "SELECT set_config('role', 'none', true), query_to_xml('SELECT count(*) FROM sweep.jobs', true, false, '')",
                "SELECT query_to_xml('SELECT set_config(''role'', ''none'', true)', true, false, '')",
            ] {
                do {
                    let result = try await store.readOnlyQuery(escape)
                    Issue.record("\(escape) ran: \(result.rows)")
                } catch let error as StoreError {
                    #expect(error.code == .invalidQuery || error.code == .queryRefused, "\(error)")
                    #expect(error.description.contains("cannot set parameter") || error.description.contains("permission denied"), "\(error)")
                }
            }
            // The function itself is the owner's alone, and runs as sweep_reader.
            let owned = try await store.scalar(
                "SELECT pg_get_userbyid(proowner)::text FROM pg_proc WHERE oid = 'sweep.reader_query(text)'::regprocedure", as: String.self)
            #expect(owned == "sweep_reader")
            let publicCanCall = try await store.scalar(
                "SELECT has_function_privilege('public', 'sweep.reader_query(text)', 'EXECUTE')", as: Bool.self)
            #expect(publicCanCall == false)
            #expect(try await store.readOnlyQuery("SELECT count(*) AS jobs FROM results").rows == [["2"]])
        }
    }
}
