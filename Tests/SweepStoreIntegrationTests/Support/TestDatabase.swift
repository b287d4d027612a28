import Foundation
import Logging
import PostgresNIO
import SweepStore

/// Fresh databases on the PostgreSQL server named by `SWEEP_TEST_DATABASE_URL`, one per
/// test, so that tests run in parallel without seeing each other. The server comes from the
/// environment the way postgres-nio's own integration tests find theirs; `make test` (through
/// `scripts/with-test-postgres.sh`) starts a throwaway one and sets the variable.
enum TestDatabase {
    /// The variable holding the server's address.
    static let environmentVariable = "SWEEP_TEST_DATABASE_URL"

    /// The variable is missing or unreadable: every test that needs a server fails with this.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// The server's address, with a role that may create databases.
    static func serverURL() throws -> DatabaseURL {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else {
            throw Unavailable(description: """
                \(environmentVariable) is not set: the SweepStore integration tests need a real PostgreSQL server. \
                Run them with `make test`, or `scripts/with-test-postgres.sh swift test --skip-build --filter SweepStoreIntegrationTests`, \
                or set \(environmentVariable)=postgres://USER:PASSWORD@HOST:PORT/DATABASE (a role allowed to CREATE DATABASE)
                """)
        }
        do {
            return try DatabaseURL(parsing: text)
        } catch {
            throw Unavailable(description: "\(environmentVariable) is not a usable database URL: \(error)")
        }
    }

    /// Quiet by default; `SWEEP_TEST_LOG_LEVEL=debug` shows the store's logging.
    static let logger: Logger = {
        var logger = Logger(label: "sweep.test")
        logger.logLevel = ProcessInfo.processInfo.environment["SWEEP_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()

    /// Creates an empty database, runs `body` with its address, and drops it afterwards,
    /// also when `body` throws.
    static func withEmptyDatabase<Result>(_ body: (DatabaseURL) async throws -> Result) async throws -> Result {
        let server = try serverURL()
        let name = "sweep_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await withAdminConnection(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        let result: Result
        do {
            result = try await body(server.with(database: name))
        } catch {
            try? await drop(name, on: server)
            throw error
        }
        try await drop(name, on: server)
        return result
    }

    /// Runs `body` with a client whose pool runs (as the Service it is) in a task group for
    /// the body's duration, and is cancelled when the body ends.
    static func withClient<Result>(_ url: DatabaseURL, _ body: (PostgresClient) async throws -> Result) async throws -> Result {
        // The body may ask for a connection before the child task has entered `run()`; the
        // request waits, but the pool warns about it. Its own errors still show.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: poolLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// A migrated store over a fresh database, dropped afterwards.
    static func withStore<Result>(_ body: (SweepStore) async throws -> Result) async throws -> Result {
        try await withEmptyDatabase { url in
            try await withClient(url) { client in
                let store = SweepStore(client: client, logger: logger)
                try await store.migrate()
                return try await body(store)
            }
        }
    }

    /// One connection to the server's `postgres` database, for creating and dropping.
    @discardableResult
    private static func withAdminConnection<Result>(_ server: DatabaseURL, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.username, password: server.password,
            database: "postgres", tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func drop(_ name: String, on server: DatabaseURL) async throws {
        try await withAdminConnection(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }
}
