import ArgumentParser
import Foundation
import SweepCore
import SweepStore

/// Output formats for query results.
enum ResultFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

/// Prints a query result in a format.
enum ResultPrinter {
    static func print(_ result: QueryResult, format: ResultFormat) {
        let cells = result.rows.map { $0.map { $0 ?? "" } }
        switch format {
        case .table:
            Swift.print(TextTable.render(header: result.columns, rows: cells), terminator: "")
            Swift.print("(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))")
        case .csv:
            Swift.print(TextTable.csv(header: result.columns, rows: cells), terminator: "")
        case .json:
            var output = "["
            for (index, row) in result.rows.enumerated() {
                var object = "{"
                for (column, value) in zip(result.columns, row) {
                    if object.count > 1 { object += "," }
                    ParamValue.writeJSONString(column, into: &object)
                    object += ":"
                    if let value { ParamValue.writeJSONString(value, into: &object) } else { object += "null" }
                }
                output += (index == 0 ? "\n" : ",\n") + object + "}"
            }
            Swift.print(output + (result.rows.isEmpty ? "]" : "\n]"))
        }
    }
}

/// `sweep query "SQL"`: one read-only statement against the documented views.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run one read-only SQL statement against the views (see docs/sql.md).",
        discussion: "Runs as the sweep_reader role inside a READ ONLY transaction with a statement timeout. Example: sweep query \"SELECT * FROM leaderboard WHERE rank <= 5\""
    )

    @Argument(help: "One SQL statement.")
    var sql: String

    @Option(name: .long, help: "Output format: table, csv or json.")
    var format: ResultFormat = .table

    @Option(name: .long, help: "Statement timeout in seconds.")
    var timeout: Int = 30

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CLILogging.logger("sweep.query")
        let statement = sql, seconds = timeout
        let result = try await database.withReader(logger: logger) { store, asReader in
            try await store.readOnlyQuery(statement, timeout: .seconds(seconds), connectedAsReader: asReader)
        }
        ResultPrinter.print(result, format: format)
    }
}

/// `sweep results SWEEP`: the leaderboard of one sweep.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Print a sweep's leaderboard: its runs ranked by the objective."
    )

    @Argument(help: "The sweep's name.")
    var sweep: String

    @Option(name: .long, help: "Show at most this many runs.")
    var limit: Int = 20

    @Option(name: .long, help: "Output format: table, csv or json.")
    var format: ResultFormat = .table

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CLILogging.logger("sweep.results")
        let url = try database.resolve(logger: logger)
        let name = sweep, count = limit
        let result = try await withStore(url, logger: logger) { store in
            try await store.leaderboard(sweep: name, limit: count)
        }
        ResultPrinter.print(result, format: format)
    }
}
