import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// Enqueueing is one transaction: a sweep appears whole or not at all, and duplicates are
/// refused.
@Suite("Enqueue", .timeLimit(.minutes(1)))
struct EnqueueTests {
    /// Sweeps, jobs and per-sweep views in the database.
    private static func contents(_ store: SweepStore) async throws -> [Int64] {
        [
            try await store.scalar("SELECT count(*) FROM sweep.sweeps", as: Int64.self) ?? -1,
            try await store.scalar("SELECT count(*) FROM sweep.jobs", as: Int64.self) ?? -1,
            try await store.scalar("SELECT count(*) FROM pg_views WHERE schemaname = 'public' AND viewname LIKE 'results\\_%'", as: Int64.self) ?? -1,
        ]
    }

    @Test("a sweep is stored with its jobs, in expansion order, and a typed results view")
    func enqueueStoresEverything() async throws {
        try await TestDatabase.withStore { store in
            let yaml = SweepYAML.grid(values: [10, 20, 30], priority: 7, resources: "{slots: 2, gpus: 1, labels: {zone: a}}",
                                      retries: "{max_attempts: 4, backoff: 2s, max_backoff: 1m}")
            let sweep = try await store.submit("Stored Sweep", yaml)
            #expect(sweep.record.jobCount == 3 && sweep.jobIDs.count == 3)
            #expect(sweep.record.resultsView == "results_stored_sweep")
            #expect(try await Self.contents(store) == [1, 3, 1])

            let rows = try await store.client.query("""
                SELECT position, params::text, seed, priority, state::text, attempt, max_attempts, backoff_ms, max_backoff_ms,
                       slots, gpus, labels::text
                FROM sweep.jobs ORDER BY id
                """).decode((Int32, String, Int64, Int32, String, Int32, Int32, Int64, Int64, Int32, Int32, String).self)
            var positions: [Int32] = []
            for try await row in rows {
                positions.append(row.0)
                #expect(["{\"x\": 10}", "{\"x\": 20}", "{\"x\": 30}"].contains(row.1))
                #expect(row.3 == 7 && row.4 == "queued" && row.5 == 0 && row.6 == 4)
                #expect(row.7 == 2000 && row.8 == 60000 && row.9 == 2 && row.10 == 1 && row.11 == #"{"zone": "a"}"#)
            }
            #expect(positions == [0, 1, 2])
            #expect(try await store.scalar("SELECT yaml FROM sweep.sweeps", as: String.self) == yaml)
            #expect(try await store.scalar("SELECT sum(x)::bigint FROM public.results_stored_sweep", as: Int64.self) == 60)
        }
    }

    @Test("the same sweep name twice is refused with duplicateSweep and the first sweep is untouched")
    func duplicateSweepName() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.submit("twice", SweepYAML.grid(values: [1, 2]))
            do {
                _ = try await store.submit("twice", SweepYAML.grid(values: [3, 4, 5]))
                Issue.record("the second sweep named 'twice' was accepted")
            } catch let error as StoreError {
                #expect(error.code == .duplicateSweep)
                #expect(error.description.contains("a sweep named 'twice' already exists"))
            }
            #expect(try await Self.contents(store) == [1, 2, 1])
            #expect(try await store.scalar("SELECT job_count FROM sweep.sweeps WHERE name = 'twice'", as: Int32.self) == 2)
        }
    }

    @Test("a duplicate (configuration hash, seed) is refused with duplicateJob and nothing is stored")
    func duplicateJob() async throws {
        try await TestDatabase.withStore { store in
            let yaml = SweepYAML.grid(values: [1, 2, 3])
            let spec = try SweepFile.parse(text: yaml).spec
            var jobs = try Expander.expand(spec).jobs
            jobs.append(JobSpec(index: jobs.count, params: jobs[1].params, seed: jobs[1].seed))
            do {
                _ = try await store.enqueue(name: "repeats", sourceFile: nil, yaml: yaml, spec: spec, jobs: jobs)
                Issue.record("a sweep with a repeated configuration was accepted")
            } catch let error as StoreError {
                #expect(error.code == .duplicateJob)
            }
            #expect(try await Self.contents(store) == [0, 0, 0])

            // The same configuration with another seed is a replicate, not a duplicate.
            jobs[jobs.count - 1] = JobSpec(index: jobs.count - 1, params: jobs[1].params, seed: jobs[1].seed + 1)
            let record = try await store.enqueue(name: "repeats", sourceFile: nil, yaml: yaml, spec: spec, jobs: jobs)
            #expect(record.jobCount == 4)
            #expect(try await Self.contents(store) == [1, 4, 1])
        }
    }

    @Test("a conflict found by the database in a late batch rolls back the whole sweep")
    func lateConflictRollsBackEverything() async throws {
        try await TestDatabase.withStore { store in
            let yaml = SweepYAML.grid(values: [1])
            let spec = try SweepFile.parse(text: yaml).spec
            // Three batches; the last job repeats the first one's position, which only the
            // database's UNIQUE (sweep_id, position) notices, after two batches went in.
            let count = SweepStore.enqueueBatchSize * 2 + 10
            var jobs = try await runOffPool { (0..<count).map { JobSpec(index: $0, params: .object(["x": .int(Int64($0))]), seed: 0) } }
            jobs.append(JobSpec(index: 0, params: .object(["x": .int(-1)]), seed: 0))
            do {
                _ = try await store.enqueue(name: "late", sourceFile: nil, yaml: yaml, spec: spec, jobs: jobs)
                Issue.record("a sweep with a repeated position was accepted")
            } catch let error as StoreError {
                #expect(error.code == .duplicateJob)
            }
            #expect(try await Self.contents(store) == [0, 0, 0])
        }
    }

    @Test("sweep.job_keys keeps every job's identity unique and fixed, whoever writes sweep.jobs")
    func identityIsUniqueAndFixed() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("keys", SweepYAML.grid(values: [1, 2]))
            let id = try #require(sweep.jobIDs.first)
            #expect(try await store.scalar("SELECT count(*) FROM sweep.job_keys WHERE sweep_id = \(sweep.record.id)", as: Int64.self) == 2)

            // A row written by hand with a taken (configuration hash, seed), or a taken position.
            func refusal(_ query: PostgresQuery) async -> String? {
                do {
                    try await store.execute(query)
                    return nil
                } catch let error as PSQLError {
                    return error.serverInfo?[.sqlState]
                } catch {
                    return "\(error)"
                }
            }
            #expect(await refusal("""
                INSERT INTO sweep.jobs (sweep_id, position, params, config_hash, seed)
                SELECT sweep_id, 99, params, config_hash, seed FROM sweep.jobs WHERE id = \(id)
                """) == "23505")
            #expect(await refusal("""
                INSERT INTO sweep.jobs (sweep_id, position, params, config_hash, seed)
                SELECT sweep_id, position, params, 'another', seed FROM sweep.jobs WHERE id = \(id)
                """) == "23505")
            // The identity columns never change.
            #expect(await refusal("UPDATE sweep.jobs SET seed = seed + 1 WHERE id = \(id)") == "23514")
            #expect(await refusal("UPDATE sweep.jobs SET config_hash = 'x' WHERE id = \(id)") == "23514")
            #expect(await refusal("UPDATE sweep.jobs SET position = 77 WHERE id = \(id)") == "23514")
            // Setting them to what they are is no change; other columns are free.
            #expect(await refusal("UPDATE sweep.jobs SET seed = seed, priority = 5 WHERE id = \(id)") == nil)
            // A deleted job gives its identity back.
            try await store.execute("DELETE FROM sweep.jobs WHERE id = \(id)")
            #expect(try await store.scalar("SELECT count(*) FROM sweep.job_keys WHERE job_id = \(id)", as: Int64.self) == 0)
            #expect(await refusal("""
                INSERT INTO sweep.jobs (sweep_id, position, params, config_hash, seed)
                SELECT id, 0, '{}', 'reused', 0 FROM sweep.sweeps WHERE id = \(sweep.record.id)
                """) == nil)
        }
    }

    @Test("a job must belong to an existing sweep and an attempt to an existing job; deleting a sweep deletes its jobs, their keys and attempts (0006, 0007)")
    func sweepReference() async throws {
        try await TestDatabase.withStore { store in
            let sweep = try await store.submit("owned", SweepYAML.grid(values: [1, 2, 3]))
            _ = try await store.claim(limit: 1)
            do {
                try await store.execute("INSERT INTO sweep.jobs (sweep_id, position, params, config_hash, seed) VALUES (987654, 0, '{}', 'x', 0)")
                Issue.record("a job of a sweep that does not exist was accepted")
            } catch let error as PSQLError {
                #expect(error.serverInfo?[.sqlState] == "23503")
            }
            do {
                try await store.execute("INSERT INTO sweep.attempts (job_id, attempt, worker) VALUES (987654, 1, 'w')")
                Issue.record("an attempt of a job that does not exist was accepted")
            } catch let error as PSQLError {
                #expect(error.serverInfo?[.sqlState] == "23503")
            }
            #expect(try await store.scalar("SELECT count(*) FROM sweep.attempts", as: Int64.self) == 1)
            try await store.execute("DELETE FROM sweep.sweeps WHERE id = \(sweep.record.id)")
            #expect(try await store.scalar("SELECT count(*) FROM sweep.jobs WHERE sweep_id = \(sweep.record.id)", as: Int64.self) == 0)
            #expect(try await store.scalar("SELECT count(*) FROM sweep.job_keys WHERE sweep_id = \(sweep.record.id)", as: Int64.self) == 0)
            #expect(try await store.scalar("SELECT count(*) FROM sweep.attempts", as: Int64.self) == 0)
        }
    }
}
