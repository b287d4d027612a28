import Foundation
import Logging
import PostgresNIO
import SweepCore

/// A result set as text, for printing.
public struct QueryResult: Sendable, Hashable {
    /// Column names, in order.
    public var columns: [String]
    /// Rows of text cells; nil is SQL NULL.
    public var rows: [[String?]]
}

extension SweepStore {
    /// The views `sweep query` may read.
    public static let readableViews = ["results", "curves", "leaderboard", "stop_decisions", "sweep_progress", "workers", "ladder_fits", "results_<sweep>"]

    /// Runs exactly one read-only statement as `sweep_reader`, with a statement timeout,
    /// inside a READ ONLY transaction that is always rolled back. Writes, several statements
    /// and base tables are refused with a clear message.
    /// When the store is connected as `sweep_reader` itself (`connectedAsReader`), the
    /// statement runs as it is. Otherwise (the owner's login) it runs inside
    /// `sweep.reader_query`, a SECURITY DEFINER function owned by `sweep_reader` (migration
    /// 11), in which PostgreSQL refuses any change of role, so the statement cannot take the
    /// owner's rights back.
    public func readOnlyQuery(_ sql: String, timeout: Duration = .seconds(30), connectedAsReader: Bool = false) async throws -> QueryResult {
        var statement = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        while statement.hasSuffix(";") { statement = String(statement.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard !statement.isEmpty else { throw StoreError(.invalidQuery, "the query is empty; for example: sweep query \"SELECT * FROM leaderboard\"") }
        let firstWord = statement.drop { $0 == "(" || $0.isWhitespace }.prefix { $0.isLetter }.lowercased()
        guard ["select", "with", "values", "table"].contains(firstWord) else {
            throw StoreError(.queryRefused, "sweep query is read-only and runs one SELECT (or WITH, VALUES, TABLE) statement; '\(firstWord.uppercased())' is refused")
        }
        let prefixLength = connectedAsReader
            ? "SELECT r.n, e.key, e.value FROM (".count + Self.readerPrefix.count
            : "SELECT row_to_json(q) FROM (".count
        return try await client.withConnection { connection in
            try await connection.query("BEGIN READ ONLY" as PostgresQuery, logger: logger)
            do {
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(max(1, timeout.milliseconds))"), logger: logger)
                var result = try await Self.rowsAsText(statement, connectedAsReader: connectedAsReader, on: connection, logger: logger)
                if result.rows.isEmpty {
                    // Rows carry their column names, so an empty result has none: ask again for
                    // one row of NULLs under the same names (the statement, outer-joined to a
                    // single row), so that a table or CSV still starts with its header.
                    let padded = "SELECT sweep_q.* FROM (SELECT 1) AS sweep_one LEFT JOIN (\n" + statement + "\n) AS sweep_q ON true"
                    if let named = try? await Self.rowsAsText(padded, connectedAsReader: connectedAsReader, on: connection, logger: logger) {
                        result.columns = named.columns
                    }
                }
                try await connection.query("ROLLBACK" as PostgresQuery, logger: logger)
                return result
            } catch {
                // The connection goes back to the pool: never leave it inside the transaction.
                _ = try? await connection.query("ROLLBACK" as PostgresQuery, logger: logger)
                if let error = error as? PSQLError { throw Self.explain(error, statement: statement, prefixLength: prefixLength) }
                throw error
            }
        }
    }

    private static let readerPrefix = "SELECT row_number() OVER () AS n, row_to_json(q) AS j FROM (\n"

    /// Runs `statement` (inside `sweep.reader_query` unless connected as the reader) and
    /// returns its rows as text, with the column names of its first row.
    private static func rowsAsText(_ statement: String, connectedAsReader: Bool, on connection: PostgresConnection, logger: Logger) async throws -> QueryResult {
        let rowsAsJSON: String
        var bindings = PostgresBindings()
        if connectedAsReader {
            rowsAsJSON = readerPrefix + statement + "\n) q"
        } else {
            // The function wraps the statement as 'SELECT row_to_json(q) FROM (' || statement || '\n) q'.
            rowsAsJSON = "SELECT row_number() OVER () AS n, j FROM sweep.reader_query($1) AS j"
            bindings.append(statement)
        }
        let wrapped = "SELECT r.n, e.key, e.value FROM (" + rowsAsJSON + ") r CROSS JOIN LATERAL json_each_text(r.j) WITH ORDINALITY e ORDER BY r.n, e.ordinality"
        var columns: [String] = []
        var rows: [[String?]] = []
        var currentRow: Int64 = -1
        for try await (row, key, value) in try await connection.query(PostgresQuery(unsafeSQL: wrapped, binds: bindings), logger: logger).decode((Int64, String, String?).self) {
            if row != currentRow {
                currentRow = row
                rows.append([])
            }
            if rows.count == 1 { columns.append(key) }
            rows[rows.count - 1].append(value)
        }
        return QueryResult(columns: columns, rows: rows)
    }

    /// Turns a server error into advice, without echoing SQL from the server.
    static func explain(_ error: PSQLError, statement: String, prefixLength: Int) -> StoreError {
        let message = error.serverMessage
        switch error.sqlState {
        case "42883" where message.contains("reader_query"), "42501" where message.contains("reader_query"):
            return StoreError(.queryRefused, "sweep query cannot run as the read-only role sweep_reader through this login: sweep.reader_query is missing (the migration could not hand it to sweep_reader, see its notice) or not yours to call; log in as sweep_reader instead (SWEEP_READER_URL, docs/sql.md) (\(message))")
        case "42501":
            return StoreError(.queryRefused, "sweep query reads the views \(readableViews.joined(separator: ", ")) and nothing else (\(message))")
        case "25006":
            return StoreError(.queryRefused, "sweep query is read-only: it cannot change anything (\(message))")
        case "57014":
            return StoreError(.queryRefused, "the query ran past its time limit and was cancelled; narrow it or raise --timeout")
        case "42601":
            // A statement run by sweep.reader_query reports its position inside that function's query.
            if let positionText = error.serverInfo?[.position] ?? error.serverInfo?[.internalPosition], let position = Int(positionText) {
                let offset = position - 1 - prefixLength
                let characters = Array(statement)
                if offset >= 0, offset < characters.count, characters[offset] == ";" {
                    return StoreError(.queryRefused, "sweep query runs exactly one statement; found another after ';' at character \(offset + 1)")
                }
            }
            return StoreError(.invalidQuery, "the query has a syntax error (\(message)); sweep query takes one SELECT statement")
        default:
            return StoreError(.invalidQuery, message)
        }
    }
}
