import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SweepStore

/// Where the database is: `DATABASE_URL` when set, else the private server under
/// `--db-dir` (default `$SWEEP_HOME/postgres`, `SWEEP_HOME` defaulting to `.sweep`), started
/// on demand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Folder of the private PostgreSQL server (default: $SWEEP_HOME/postgres, SWEEP_HOME defaults to .sweep). Ignored when DATABASE_URL is set.")
    var dbDir: String?

    /// The private server's folder.
    var localRoot: URL {
        if let dbDir { return URL(fileURLWithPath: dbDir) }
        let home = ProcessInfo.processInfo.environment["SWEEP_HOME"] ?? ".sweep"
        return URL(fileURLWithPath: home).appendingPathComponent("postgres")
    }

    /// The database to use, starting the private server if needed.
    func resolve(logger: Logger) throws -> DatabaseURL {
        if let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty {
            do {
                return try DatabaseURL(parsing: text)
            } catch {
                throw CommandFailure("DATABASE_URL: \(error)")
            }
        }
        do {
            return try LocalPostgres(root: localRoot, logger: logger).start()
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

/// Runs `body` with a store whose connection pool runs for the body's duration.
func withStore<Result: Sendable>(_ url: DatabaseURL, logger: Logger, migrate: Bool = true, _ body: @Sendable @escaping (SweepStore) async throws -> Result) async throws -> Result {
    let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        group.addTask {
            let store = SweepStore(client: client, logger: logger)
            if migrate { try await store.migrate() }
            return try await body(store)
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let result { return result }
        }
        throw CommandFailure("the database connection pool stopped unexpectedly")
    }
}

/// A failure reported to the user as one line on stderr, with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The CLI's logger: warnings and above on stderr unless SWEEP_LOG_LEVEL says otherwise.
enum CLILogging {
    static func logger(_ label: String, default fallback: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: label)
        let level = ProcessInfo.processInfo.environment["SWEEP_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? fallback
        logger.logLevel = level
        return logger
    }
}
