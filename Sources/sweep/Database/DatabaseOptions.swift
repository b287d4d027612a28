import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SweepStore
import SweepWire

/// Where the database is: `--database-url-file`, else `DATABASE_URL`, else the file
/// `DATABASE_URL_FILE` names, else the private server under `--db-dir` (default
/// `$SWEEP_HOME/postgres`, `SWEEP_HOME` defaulting to `.sweep`), started on demand. A URL
/// with a password is never taken from the command line, where other users can read it in
/// the process list; files holding one must be readable by their owner alone.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Folder of the private PostgreSQL server (default: $SWEEP_HOME/postgres, SWEEP_HOME defaults to .sweep). Ignored when a database URL is given.")
    var dbDir: String?

    @Option(name: .long, help: ArgumentHelp(
        "A file holding the database URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE) on its first line; it must be readable by its owner alone (chmod 600). Env: DATABASE_URL_FILE; DATABASE_URL gives the URL itself.",
        valueName: "file"))
    var databaseURLFile: String?

    /// The private server's folder.
    var localRoot: URL {
        if let dbDir { return URL(fileURLWithPath: dbDir) }
        let home = ProcessInfo.processInfo.environment["SWEEP_HOME"] ?? ".sweep"
        return URL(fileURLWithPath: home).appendingPathComponent("postgres")
    }

    /// The external database's URL and where it came from ("DATABASE_URL", "FILE"), or nil
    /// when the private server is to be used.
    func externalURL() throws -> (url: DatabaseURL, source: String)? {
        let environment = ProcessInfo.processInfo.environment
        let fromEnvironment = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let fileFromEnvironment = environment["DATABASE_URL_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        // DATABASE_URL before DATABASE_URL_FILE: commands that start others (benchmarks)
        // hand them their database through DATABASE_URL.
        if let path = databaseURLFile ?? (fromEnvironment == nil ? fileFromEnvironment : nil) {
            return (try Self.readURLFile(path), path)
        }
        guard let fromEnvironment else { return nil }
        do {
            return (try DatabaseURL(parsing: fromEnvironment), "DATABASE_URL")
        } catch {
            throw CommandFailure("DATABASE_URL: \(error)")
        }
    }

    /// The URL in a file readable by its owner alone: its first non-blank line that is not a
    /// `#` comment.
    static func readURLFile(_ path: String) throws -> DatabaseURL {
        let text: String
        do {
            text = try ProtectedFile.read(path, requirement: .ownerOnly, what: "the database URL")
        } catch {
            throw CommandFailure("\(error)")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let line = lines.first(where: { !$0.isEmpty && !$0.hasPrefix("#") }) else {
            throw CommandFailure("\(path) (the database URL): the file is empty; write postgres://USER:PASSWORD@HOST:PORT/DATABASE on its first line")
        }
        do {
            return try DatabaseURL(parsing: line)
        } catch {
            // The parser's message never quotes the password.
            throw CommandFailure("\(path) (the database URL): \(error)")
        }
    }

    /// The database to use, starting the private server if needed.
    func resolve(logger: Logger) throws -> DatabaseURL {
        if let external = try externalURL() { return external.url }
        do {
            return try LocalPostgres(root: localRoot, logger: logger).start()
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

extension DatabaseOptions {
    /// Runs `body` with a store logged in as `sweep_reader` where possible: through
    /// SWEEP_READER_URL, or the private server's Unix socket. Otherwise the owner's login is
    /// used and the query runs inside `sweep.reader_query`, as sweep_reader (see docs/sql.md).
    /// The flag says which.
    func withReader<Result: Sendable>(logger: Logger, _ body: @Sendable @escaping (SweepStore, Bool) async throws -> Result) async throws -> Result {
        let environment = ProcessInfo.processInfo.environment
        let owner = try resolve(logger: logger)
        // The schema (and the reader's login) must exist before the reader connects.
        try await withStore(owner, logger: logger) { _ in }
        var readerConfiguration: PostgresClient.Configuration?
        if let text = environment["SWEEP_READER_URL"], !text.isEmpty {
            do {
                readerConfiguration = try DatabaseURL(parsing: text).clientConfiguration
            } catch {
                throw CommandFailure("SWEEP_READER_URL: \(error)")
            }
        } else if try externalURL() == nil {
            readerConfiguration = LocalPostgres(root: localRoot, logger: logger).readerConfiguration()
        }
        guard let readerConfiguration else {
            return try await withStore(owner, logger: logger, migrate: false) { try await body($0, false) }
        }
        return try await withClient(readerConfiguration, logger: logger) { try await body($0, true) }
    }
}

/// Runs `body` with a store over a client configuration (no migration).
func withClient<Result: Sendable>(_ configuration: PostgresClient.Configuration, logger: Logger, _ body: @Sendable @escaping (SweepStore) async throws -> Result) async throws -> Result {
    let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        group.addTask { try await body(SweepStore(client: client, logger: logger)) }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let result { return result }
        }
        throw CommandFailure("the database connection pool stopped unexpectedly")
    }
}

/// Runs `body` with a store whose connection pool runs for the body's duration, after
/// checking the server answers and (unless told not to) migrating it.
func withStore<Result: Sendable>(_ url: DatabaseURL, logger: Logger, migrate: Bool = true, _ body: @Sendable @escaping (SweepStore) async throws -> Result) async throws -> Result {
    try await withClient(url.clientConfiguration, logger: logger) { store in
        try await reachable(store.client, url: url)
        if migrate { try await store.migrate() }
        return try await body(store)
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

/// Fails fast, with advice, when the server cannot be reached: the pool itself would keep
/// retrying for a minute before giving up with an opaque error.
func reachable(_ client: PostgresClient, url: DatabaseURL, within limit: Duration = .seconds(10)) async throws {
    let reached = try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await client.query("SELECT 1")
            return true
        }
        group.addTask {
            try await Task.sleep(for: limit)
            return false
        }
        defer { group.cancelAll() }
        return try await group.next() ?? false
    }
    guard reached else {
        throw CommandFailure("cannot reach PostgreSQL at \(url) within \(limit): check the host, port, user, password and database (DATABASE_URL), and that the server runs")
    }
}
