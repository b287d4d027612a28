import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PostgresNIO
import SweepStore
import Testing

/// The private server for local use: created, started, queried and stopped in a folder of
/// its own.
@Suite("Private PostgreSQL server")
struct LocalPostgresTests {
    /// Connects once to `url` and returns who and where we are.
    private static func whoAmI(_ url: DatabaseURL) async throws -> String {
        try await ask(url, "SELECT current_user::text || '@' || current_database()::text")
    }

    /// The one text value `sql` answers on a connection of its own.
    private static func ask(_ url: DatabaseURL, _ sql: PostgresQuery) async throws -> String {
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: TestDatabase.logger)
        do {
            var answer = ""
            for try await value in try await connection.query(sql, logger: TestDatabase.logger).decode(String.self) {
                answer = value
            }
            try await connection.close()
            return answer
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test("start initialises and runs a server that accepts the URL it reports; stop stops it", .timeLimit(.minutes(2)))
    func startStatusStop() async throws {
        // Under /tmp with open parents: the server runs as the postgres user when we are root.
        let parent = URL(fileURLWithPath: "/tmp/sweep-local-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let server = LocalPostgres(root: parent.appendingPathComponent("postgres"), logger: TestDatabase.logger)
        defer {
            try? server.stop()
            try? FileManager.default.removeItem(at: parent)
        }
        // The server's programs run to completion: keep them off the cooperative pool.
        let status = { @Sendable in try await runOffPool { try server.status() } }

        #expect(try await status() == .notInitialized)
        // A descriptor of ours, open without close-on-exec, as sockets and pipes of a
        // long-running process (the coordinator's) often are: the server must not keep it.
        var ours: [Int32] = [-1, -1]
        #expect(pipe(&ours) == 0)
        defer { ours.forEach { close($0) } }
        let url = try await runOffPool { try server.start() }
        let serverPID = try #require(try String(contentsOf: parent.appendingPathComponent("postgres/data/postmaster.pid"), encoding: .utf8)
            .split(separator: "\n").first.flatMap { Int32($0) })
        let ourPipe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(ours[1])")
        let inherited = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(serverPID)/fd").filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(serverPID)/fd/\($0)")) == ourPipe
        }
        #expect(inherited.isEmpty, "the server (pid \(serverPID)) holds our \(ourPipe) as fd \(inherited)")
        #expect(try await status() == .running(port: url.port))
        #expect(url.host == "127.0.0.1" && url.username == LocalPostgres.username && url.database == LocalPostgres.database)
        #expect(url.password?.isEmpty == false)
        #expect(try await runOffPool { try server.start() } == url, "starting a running server reports the same address")

        // The address works, password included; another password does not.
        #expect(try await Self.whoAmI(url) == "sweep@sweep")
        // Autovacuum looks at the queue's tables every 10 s (migration 0010 says when they are due).
        #expect(try await Self.ask(url, "SELECT current_setting('autovacuum_naptime')") == "10s")
        // A line an operator appends to postgresql.conf stays a line of its own.
        let configuration = try String(contentsOf: parent.appendingPathComponent("postgres/data/postgresql.conf"), encoding: .utf8)
        #expect(configuration.hasSuffix("autovacuum_naptime = 10s\n"))
        var wrongPassword = url
        wrongPassword.password = "not-the-password"
        await #expect(throws: PSQLError.self) { try await Self.whoAmI(wrongPassword) }
        // The credentials are for the owner alone.
        let attributes = try FileManager.default.attributesOfItem(atPath: parent.appendingPathComponent("postgres/credentials").path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)

        try await runOffPool { try server.stop() }
        #expect(try await status() == .stopped)
        try await runOffPool { try server.stop() }  // stopping a stopped server is fine

        // A second start reuses the data directory and the password.
        let again = try await runOffPool { try server.start() }
        #expect(again.password == url.password)
        #expect(try await Self.whoAmI(again) == "sweep@sweep")
        try await runOffPool { try server.stop() }
        #expect(try await status() == .stopped)
    }
}
