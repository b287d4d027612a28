import Foundation
public import Logging
public import PostgresNIO
import SweepCore

/// One schema migration: `migrations/NNNN_name.sql`, applied once, in order, never edited.
public struct Migration: Sendable, Hashable {
    /// The number in the file name.
    public var version: Int
    /// The name after the number.
    public var name: String
    /// The SQL, run as one transaction.
    public var sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The file name, `0001_queue.sql`.
    public var fileName: String { String(format: "%04d_%@.sql", version, name) }

    /// SHA-256 of the SQL text, recorded when applied and checked ever after.
    public var checksum: String { ConfigurationHash.digest(of: Array(sql.utf8)) }
}

/// Applies migrations: each in its own transaction, recorded with its checksum, serialized
/// across processes by an advisory lock so that two migrators at once are safe.
public struct Migrator: Sendable {
    /// Why migrating stopped.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        /// What is wrong and what to do.
        public var description: String
    }

    /// The advisory-lock key every Sweep migrator takes (ASCII "SWEEPMIG").
    public static let lockKey: Int64 = 0x5357_4545_504D_4947

    let migrations: [Migration]
    let logger: Logger

    /// A migrator for `migrations` (the embedded set by default).
    public init(migrations: [Migration] = Migration.all, logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Applies every migration not yet applied; returns the versions applied now.
    @discardableResult
    public func migrate(_ client: PostgresClient) async throws -> [Int] {
        try await client.withConnection { connection in
            try await migrate(on: connection)
        }
    }

    /// The same on a connection the caller holds.
    public func migrate(on connection: PostgresConnection) async throws -> [Int] {
        // Session-level lock: held across the per-migration transactions below.
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))" as PostgresQuery, logger: logger)
        do {
            let applied = try await applyPending(on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))" as PostgresQuery, logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Int] {
        try await SQLScript.run("""
            CREATE SCHEMA IF NOT EXISTS sweep;
            CREATE TABLE IF NOT EXISTS sweep.schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """, on: connection, logger: logger)
        var recorded: [Int: (name: String, checksum: String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM sweep.schema_migrations" as PostgresQuery, logger: logger
        ).decode((Int, String, String).self) {
            recorded[version] = (name, checksum)
        }
        for (version, entry) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let known = migrations.first(where: { $0.version == version }) else {
                throw Error(description: "the database has migration \(version) (\(entry.name)) that this sweep binary does not know; it was migrated by a newer release: upgrade sweep")
            }
            guard known.checksum == entry.checksum else {
                throw Error(description: "migration \(known.fileName) was changed after it was applied (checksum \(entry.checksum.prefix(12)) in the database, \(known.checksum.prefix(12)) now); migrations are append-only: restore the file and add a new migration instead")
            }
        }
        var applied: [Int] = []
        for migration in migrations where recorded[migration.version] == nil {
            let started = ContinuousClock.now
            do {
                // One transaction per migration, the record included.
                try await connection.query("BEGIN" as PostgresQuery, logger: logger)
                try await SQLScript.run(migration.sql, on: connection, logger: logger)
                try await connection.query(
                    "INSERT INTO sweep.schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
                try await connection.query("COMMIT" as PostgresQuery, logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK" as PostgresQuery, logger: logger)
                throw Error(description: "migration \(migration.fileName) failed and was rolled back: \(Self.describe(error))")
            }
            logger.info("applied migration", metadata: ["sweep.migration": "\(migration.fileName)", "sweep.elapsed": "\(ContinuousClock.now - started)"])
            applied.append(migration.version)
        }
        return applied
    }

    /// The server's message for an error, without the SQL.
    static func describe(_ error: any Swift.Error) -> String {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
            return message
        }
        return "\(error)"
    }
}
