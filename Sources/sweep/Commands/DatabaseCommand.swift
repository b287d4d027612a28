import ArgumentParser
import Foundation
import SweepStore

/// `sweep db start|stop|status|url|migrate`: the private PostgreSQL server and migrations.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the private PostgreSQL server and the schema.",
        discussion: "Every command uses DATABASE_URL when it is set, else the private server under .sweep/postgres, started on demand.",
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self, Migrate.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (on first use) and start the private server, then migrate it.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let (url, summary) = try await migrateReporting(database)
            print("PostgreSQL running at \(url) (\(summary))")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the private server.")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let server = LocalPostgres(root: database.localRoot, logger: CLILogging.logger("sweep.db"))
            do {
                try server.stop()
            } catch {
                throw CommandFailure("\(error)")
            }
            print("stopped")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the private server runs (exit 0) or not (exit 3).")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            if let external = try database.externalURL() {
                print("using \(external.source) (\(external.url)); the private server is not used")
                return
            }
            let server = LocalPostgres(root: database.localRoot, logger: CLILogging.logger("sweep.db"))
            let status: LocalPostgres.Status
            do {
                status = try server.status()
            } catch {
                throw CommandFailure("\(error)")
            }
            switch status {
            case .running(let port):
                print("running on 127.0.0.1:\(port), data in \(database.localRoot.path)")
            case .stopped:
                print("stopped (data in \(database.localRoot.path))")
                throw ExitCode(3)
            case .notInitialized:
                print("not created yet (sweep db start creates it in \(database.localRoot.path))")
                throw ExitCode(3)
            }
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "url", abstract: "Print the database URL, password included (for psql \"$(sweep db url)\").")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            print(try database.resolve(logger: CLILogging.logger("sweep.db")).urlString)
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the migrations this binary carries.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            print(try await migrateReporting(database).summary)
        }
    }
}

/// Resolves the database, applies pending migrations, and says what was applied.
private func migrateReporting(_ database: DatabaseOptions) async throws -> (url: DatabaseURL, summary: String) {
    let logger = CLILogging.logger("sweep.db")
    let url = try database.resolve(logger: logger)
    let applied = try await withStore(url, logger: logger, migrate: false) { try await $0.migrate() }
    return (url, applied.isEmpty ? "schema up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
}
