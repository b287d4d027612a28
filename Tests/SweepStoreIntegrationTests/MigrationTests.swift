import Foundation
import PostgresNIO
import SweepCore
import SweepStore
import Testing

/// The migrations runner: from empty, re-run, concurrent migrators, changed checksums, and
/// the copy the binary carries.
@Suite("Migrations", .timeLimit(.minutes(1)))
struct MigrationTests {
    /// The repository root, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The versions and checksums recorded in a database.
    private static func recorded(_ client: PostgresClient) async throws -> [String] {
        var rows: [String] = []
        for try await (version, name, checksum) in try await client.query(
            "SELECT version, name, checksum FROM sweep.schema_migrations ORDER BY version").decode((Int32, String, String).self) {
            rows.append("\(version) \(name) \(checksum)")
        }
        return rows
    }

    private static var expectedRecords: [String] {
        Migration.all.map { "\($0.version) \($0.name) \($0.checksum)" }
    }

    @Test("the embedded migrations equal the files in migrations/ byte for byte")
    func embeddedCopyEqualsFiles() throws {
        let folder = Self.repositoryRoot.appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!files.isEmpty, "no migrations found under \(folder.path)")
        #expect(Migration.all.map(\.fileName) == files)
        for migration in Migration.all {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(migration.fileName))
            #expect(Array(migration.sql.utf8) == Array(bytes), "\(migration.fileName) differs from its embedded copy: run scripts/embed-migrations.py")
        }
        #expect(Migration.all.map(\.version) == Array(1...Migration.all.count), "migrations are numbered 1, 2, ... without gaps")
    }

    @Test("migrating an empty database applies every migration once; running again applies nothing")
    func fromEmptyAndRerun() async throws {
        try await TestDatabase.withEmptyDatabase { url in
            try await TestDatabase.withClient(url) { client in
                let store = SweepStore(client: client, logger: TestDatabase.logger)
                #expect(try await store.migrate() == Migration.all.map(\.version))
                #expect(try await Self.recorded(client) == Self.expectedRecords)
                #expect(try await store.migrate() == [])
                #expect(try await Self.recorded(client) == Self.expectedRecords)

                // The schema is usable.
                var tables: [String] = []
                for try await table in try await client.query("""
                    SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'sweep' AND table_type = 'BASE TABLE' ORDER BY 1
                    """).decode(String.self) {
                    tables.append(table)
                }
                #expect(tables == ["attempts", "job_keys", "job_transitions", "jobs", "ladder_fits", "metrics", "schema_migrations", "stop_decisions", "sweeps", "workers"])
                // The queue's tables are vacuumed early (0010).
                var options: [String] = []
                for try await option in try await client.query("""
                    SELECT c.relname::text || ': ' || array_to_string(c.reloptions, ', ') FROM pg_class c
                    WHERE c.relnamespace = 'sweep'::regnamespace AND c.reloptions IS NOT NULL ORDER BY 1
                    """).decode(String.self) {
                    options.append(option)
                }
                #expect(options.contains("jobs: autovacuum_vacuum_scale_factor=0.01, autovacuum_vacuum_threshold=2000"), "\(options)")
                #expect(options.contains("workers: autovacuum_vacuum_scale_factor=0.05, autovacuum_vacuum_threshold=500"), "\(options)")
            }
        }
    }

    @Test("two migrators at once both succeed and each migration is applied exactly once")
    func concurrentMigrators() async throws {
        try await TestDatabase.withEmptyDatabase { url in
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await TestDatabase.withClient(url) { client in
                            try await SweepStore(client: client, logger: TestDatabase.logger).migrate()
                        }
                    }
                }
                var results: [[Int]] = []
                for try await applied in group { results.append(applied) }
                return results
            }
            #expect(results.flatMap { $0 }.sorted() == Migration.all.map(\.version))
            #expect(results.contains([]))
            let records = try await TestDatabase.withClient(url) { client in try await Self.recorded(client) }
            #expect(records == Self.expectedRecords)
        }
    }

    @Test("a migration whose checksum changed after it was applied stops migrating with a clear error")
    func changedChecksum() async throws {
        try await TestDatabase.withEmptyDatabase { url in
            try await TestDatabase.withClient(url) { client in
                let store = SweepStore(client: client, logger: TestDatabase.logger)
                try await store.migrate()
                let first = try #require(Migration.all.first)
                try await client.query("UPDATE sweep.schema_migrations SET checksum = \(String(repeating: "0", count: 64)) WHERE version = \(first.version)")
                do {
                    try await store.migrate()
                    Issue.record("migrating over a changed checksum succeeded")
                } catch let error as Migrator.Error {
                    #expect(error.description.contains("migration \(first.fileName) was changed after it was applied"))
                    #expect(error.description.contains("checksum 000000000000 in the database, \(first.checksum.prefix(12)) now"))
                    #expect(error.description.contains("append-only"))
                }

                // A migration the binary does not know (a newer release migrated this database).
                try await client.query("UPDATE sweep.schema_migrations SET checksum = \(first.checksum) WHERE version = \(first.version)")
                try await client.query("INSERT INTO sweep.schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'abc')")
                do {
                    try await store.migrate()
                    Issue.record("migrating a database from a newer release succeeded")
                } catch let error as Migrator.Error {
                    #expect(error.description.contains("migration 9999 (from_the_future) that this sweep binary does not know"))
                }

                // The failed runs released the advisory lock: once repaired, migrating works.
                try await client.query("DELETE FROM sweep.schema_migrations WHERE version = 9999")
                #expect(try await store.migrate() == [])
            }
        }
    }

    @Test("a changed checksum is refused before a pending migration is applied")
    func changedChecksumBeforePending() async throws {
        try await TestDatabase.withEmptyDatabase { url in
            try await TestDatabase.withClient(url) { client in
                // Migration 1 recorded with another checksum, nothing else applied.
                let first = try #require(Migration.all.first)
                _ = try await client.withConnection { connection in
                    try await Migrator(migrations: [first], logger: TestDatabase.logger).migrate(on: connection)
                }
                try await client.query("UPDATE sweep.schema_migrations SET checksum = 'fake' WHERE version = \(first.version)")
                await #expect(throws: Migrator.Error.self) { try await SweepStore(client: client, logger: TestDatabase.logger).migrate() }
                #expect(try await client.query("SELECT count(*) FROM sweep.schema_migrations").decode(Int64.self).reduce(0, +) == 1)
                #expect(try await client.query("SELECT to_regclass('public.results') IS NULL").decode(Bool.self).reduce(true) { $0 && $1 })
            }
        }
    }
}
