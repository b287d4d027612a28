import Foundation
public import PostgresNIO

/// A PostgreSQL address in URL form, `postgres://user:password@host:port/database`, as
/// `DATABASE_URL` carries it. The password never appears in `description`.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// Server host name or address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Role to connect as.
    public var username: String
    /// Password, if the server asks for one.
    public var password: String?
    /// Database name.
    public var database: String

    /// Creates an address.
    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Why a URL could not be read.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// What is wrong, without the password.
        public var description: String
    }

    /// Parses `postgres://` or `postgresql://` URLs.
    public init(parsing text: String) throws(ParseError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw ParseError(description: "a database URL looks like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ParseError(description: "the database URL names no host (postgres://user@HOST:5432/database)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ParseError(description: "the database URL names no user (postgres://USER@\(host)/database)")
        }
        let database = String(components.path.drop { $0 == "/" })
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "allow", "prefer"].contains(sslMode) else {
            throw ParseError(description: "sslmode=\(sslMode) is not supported yet: Sweep connects without TLS (use a local server, an SSH tunnel or a TLS-terminating proxy)")
        }
        self.init(
            host: host, port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.isEmpty ? user : database)
    }

    /// The URL with its password, for handing to the user who owns it.
    public var urlString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.host = host
        components.port = port
        components.user = username
        components.password = password
        components.path = "/" + database
        return components.string ?? "postgres://\(username)@\(host):\(port)/\(database)"
    }

    /// The URL with the password masked, for logs and messages.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    /// The same server and role, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// A PostgresNIO client configuration for this address.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: .disable)
        configuration.options.maximumConnections = 20
        return configuration
    }
}
