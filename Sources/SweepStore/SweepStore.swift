import Foundation
public import Logging
public import PostgresNIO
import SweepCore

/// Sweep's memory in PostgreSQL: sweeps, the job queue, attempts, metrics and decisions.
/// Every operation is one round trip where possible; reports that change a job carry the
/// attempt number as a fencing token.
public struct SweepStore: Sendable {
    /// The connection pool (a `Service`: someone must be running it).
    public let client: PostgresClient
    let logger: Logger

    /// A store over a running client.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies pending migrations (the ones carried by this binary).
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await Migrator(logger: logger).migrate(client)
    }
}

/// An error a user can act on; never carries SQL or secrets.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem.
    public enum Code: String, Sendable {
        case duplicateSweep, duplicateJob, unknownSweep, invalidQuery, queryRefused
        /// The server answered with rows the schema rules out (a NOT NULL column that is NULL).
        case unexpectedResult
    }

    /// The kind.
    public var code: Code
    /// What happened and what to do.
    public var description: String

    /// Creates an error.
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

extension SweepStore {
    /// An error as a log line can show it: for PostgreSQL errors the SQLSTATE and the
    /// server's message (PostgresNIO's own description hides both), never the statement or
    /// its values.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        guard let state = error.sqlState else { return "PostgreSQL: \(error.code)" }
        return "PostgreSQL \(state): \(error.serverMessage)"
    }
}

extension PSQLError {
    /// The SQLSTATE code the server sent, if any.
    var sqlState: String? { serverInfo?[.sqlState] }
    /// The server's message.
    var serverMessage: String { serverInfo?[.message] ?? "\(code)" }
    /// The constraint the server named, if any.
    var constraintName: String? { serverInfo?[.constraintName] }
}

extension PostgresRowSequence {
    /// The first row decoded as `T`, if any; the rest are drained.
    func first<T: PostgresDecodable & Sendable>(as type: T.Type) async throws -> T? {
        var result: T?
        for try await value in decode(T.self) where result == nil {
            result = value
        }
        return result
    }
}
