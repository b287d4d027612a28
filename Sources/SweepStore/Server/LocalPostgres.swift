public import Foundation
public import Logging
public import PostgresNIO

/// A private PostgreSQL server for one machine, kept under a directory of its own
/// (`.sweep/postgres/` by default): initialised on first use with the system's PostgreSQL
/// binaries, listening on a free port of 127.0.0.1 and on a Unix socket, and run as the
/// unprivileged `postgres` user when Sweep runs as root (PostgreSQL refuses root).
public struct LocalPostgres: Sendable {
    /// Why the server could not be managed.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        /// What went wrong and what to do.
        public var description: String
    }

    /// What `status` found.
    public enum Status: Sendable, Equatable {
        /// No data directory yet.
        case notInitialized
        /// Initialised, not running.
        case stopped
        /// Running on this port.
        case running(port: Int)
    }

    /// The folder holding data, log, socket and credentials.
    public let root: URL
    /// The superuser and the database Sweep uses.
    public static let username = "sweep"
    /// The database Sweep creates and uses.
    public static let database = "sweep"
    /// The OS user that runs the server when we are root.
    public static let serviceUser = "postgres"

    let logger: Logger

    /// A server kept under `root`.
    public init(root: URL, logger: Logger = Logger(label: "sweep.db")) {
        self.root = root.standardizedFileURL
        self.logger = logger
    }

    var dataDirectory: URL { root.appendingPathComponent("data") }
    var logFile: URL { root.appendingPathComponent("server.log") }
    var credentialsFile: URL { root.appendingPathComponent("credentials") }
    var runningAsRoot: Bool { getuid() == 0 }
    var runAs: String? { runningAsRoot ? Self.serviceUser : nil }

    /// The directory of the PostgreSQL programs: `pg_config --bindir`, else the newest
    /// `/usr/lib/postgresql/*/bin` that holds `initdb`.
    public static func binaryDirectory() throws(Error) -> URL {
        if let result = try? ProcessRunner.run("/usr/bin/env", ["pg_config", "--bindir"]), result.status == 0 {
            let path = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.isExecutableFile(atPath: path + "/initdb") { return URL(fileURLWithPath: path) }
        }
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap { name in Int(name).map { (version: $0, name: name) } }
            .sorted { $0.version > $1.version }
        for entry in versions where FileManager.default.isExecutableFile(atPath: "\(base)/\(entry.name)/bin/initdb") {
            return URL(fileURLWithPath: "\(base)/\(entry.name)/bin")
        }
        throw Error(description: "no PostgreSQL server binaries found (looked for pg_config and /usr/lib/postgresql/*/bin/initdb); install them with: apt-get install postgresql")
    }

    /// Whether the server is running, stopped, or not yet created.
    public func status() throws(Error) -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else { return .notInitialized }
        let bin = try Self.binaryDirectory()
        guard let result = try? ProcessRunner.run(bin.appendingPathComponent("pg_ctl").path, ["status", "-D", dataDirectory.path], as: runAs),
              result.status == 0, let port = runningPort() else { return .stopped }
        return .running(port: port)
    }

    /// Starts the server (creating it first if needed) and returns its address. Does nothing
    /// but report the address when it is already running.
    @discardableResult
    public func start() throws(Error) -> DatabaseURL {
        let bin = try Self.binaryDirectory()
        if try status() == .notInitialized { try initialize(bin: bin) }
        if case .running = try status() { return try url() }

        let port = try Self.freePort()
        let socketDirectory = root.path
        // A Unix socket path is limited to 107 bytes; use TCP only when ours would be longer.
        let socketOption = (socketDirectory + "/.s.PGSQL.\(port)").utf8.count < 100 ? socketDirectory : ""
        let options = "-p \(port) -c listen_addresses=127.0.0.1 -k '\(socketOption)'"
        let result = try run(bin, "pg_ctl", ["start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-o", options])
        guard result.status == 0 else {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)).map { String($0.suffix(1500)) } ?? ""
            throw Error(description: "PostgreSQL did not start (pg_ctl exit \(result.status)):\n\(result.output)\n\(log)")
        }
        let address = try url()
        try createDatabaseIfMissing(bin: bin, address: address)
        logger.info("private PostgreSQL running", metadata: ["sweep.db.port": "\(port)", "sweep.db.root": "\(root.path)"])
        return address
    }

    /// Stops the server if it runs (fast shutdown: open transactions roll back).
    public func stop() throws(Error) {
        guard case .running = try status() else { return }
        let bin = try Self.binaryDirectory()
        let result = try run(bin, "pg_ctl", ["stop", "-D", dataDirectory.path, "-m", "fast", "-w", "-t", "60"])
        guard result.status == 0 else { throw Error(description: "pg_ctl stop failed (exit \(result.status)): \(result.output)") }
    }

    /// The address of the running server, password included (it is the user's own server).
    public func url() throws(Error) -> DatabaseURL {
        guard let port = runningPort() else { throw Error(description: "the private PostgreSQL server under \(root.path) is not running; start it with: sweep db start") }
        let password = try? String(contentsOf: credentialsFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return DatabaseURL(host: "127.0.0.1", port: port, username: Self.username, password: password, database: Self.database)
    }

    /// A client configuration that logs in as `sweep_reader` over the server's Unix socket
    /// (trusted locally, and reachable only by the server's owner), or nil when the server
    /// runs without a socket.
    public func readerConfiguration() -> PostgresClient.Configuration? {
        guard let port = runningPort() else { return nil }
        let socket = root.appendingPathComponent(".s.PGSQL.\(port)").path
        guard FileManager.default.fileExists(atPath: socket) else { return nil }
        return PostgresClient.Configuration(unixSocketPath: socket, username: "sweep_reader", password: nil, database: Self.database)
    }

    // MARK: - Creating

    private func initialize(bin: URL) throws(Error) {
        let manager = FileManager.default
        do {
            // Parents keep ordinary permissions so the postgres user can reach the root.
            try manager.createDirectory(at: root.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !manager.fileExists(atPath: root.path) {
                try manager.createDirectory(at: root, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw Error(description: "cannot create \(root.path): \(error.localizedDescription)")
        }
        let password = Self.randomPassword()
        // The credentials stay readable by their owner alone.
        guard manager.createFile(atPath: credentialsFile.path, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Error(description: "cannot write \(credentialsFile.path)")
        }
        let passwordFile = root.appendingPathComponent("initdb-password")
        guard manager.createFile(atPath: passwordFile.path, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Error(description: "cannot write \(passwordFile.path)")
        }
        defer { try? manager.removeItem(at: passwordFile) }
        if runningAsRoot {
            // The server's files belong to the postgres user; our credentials file stays ours.
            try chown([root.path, passwordFile.path])
            let probe = try? ProcessRunner.run("/usr/bin/test", ["-w", root.path], as: Self.serviceUser)
            guard probe?.status == 0 else {
                throw Error(description: "the '\(Self.serviceUser)' user cannot write to \(root.path) (a parent folder is probably closed to other users); choose another place with --db-dir or SWEEP_HOME, or set DATABASE_URL")
            }
        }
        let result = try run(bin, "initdb", [
            "-D", dataDirectory.path, "-U", Self.username, "--pwfile", passwordFile.path,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync",
        ])
        guard result.status == 0 else { throw Error(description: "initdb failed (exit \(result.status)): \(result.output)") }
        // A server for one machine: modest memory, no durability theatre on tests' tmpfs.
        let settings = """

            # Sweep's private server
            max_connections = 200
            shared_buffers = 256MB
            unix_socket_permissions = 0700
            # The queue's tables churn: look for tables to vacuum every 10 s, not every
            # minute (migration 0010 sets when sweep.jobs is due).
            autovacuum_naptime = 10s

            """
        // Ends with a newline, so that a line an operator appends stays a line of its own.
        if let handle = FileHandle(forWritingAtPath: dataDirectory.appendingPathComponent("postgresql.conf").path) {
            handle.seekToEndOfFile()
            handle.write(Data(settings.utf8))
            try? handle.close()
        }
    }

    private func createDatabaseIfMissing(bin: URL, address: DatabaseURL) throws(Error) {
        let environment = ["PGPASSWORD": address.password ?? "", "PGCONNECT_TIMEOUT": "10"]
        let check = try run(bin, "psql", ["-h", "127.0.0.1", "-p", "\(address.port)", "-U", Self.username, "-d", "postgres", "-tAc",
                                          "SELECT 1 FROM pg_database WHERE datname = '\(Self.database)'"], environment: environment)
        if check.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1" { return }
        let result = try run(bin, "createdb", ["-h", "127.0.0.1", "-p", "\(address.port)", "-U", Self.username, Self.database], environment: environment)
        guard result.status == 0 else { throw Error(description: "createdb failed: \(result.output)") }
    }

    private func run(_ bin: URL, _ program: String, _ arguments: [String], environment: [String: String] = [:]) throws(Error) -> ProcessRunner.Result {
        do {
            return try ProcessRunner.run(bin.appendingPathComponent(program).path, arguments, as: runAs, environment: environment)
        } catch {
            throw Error(description: "cannot run \(program): \(error.localizedDescription)")
        }
    }

    private func chown(_ paths: [String]) throws(Error) {
        guard let result = try? ProcessRunner.run("/bin/chown", ["\(Self.serviceUser):\(Self.serviceUser)"] + paths), result.status == 0 else {
            throw Error(description: "cannot hand \(root.path) to the '\(Self.serviceUser)' user (is the postgresql package installed?)")
        }
    }

    /// The port from `postmaster.pid` (its fourth line) while the server runs.
    private func runningPort() -> Int? {
        guard let text = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.count > 3 ? Int(lines[3].trimmingCharacters(in: .whitespaces)) : nil
    }

    /// A port the kernel says is free now on 127.0.0.1.
    static func freePort() throws(Error) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Error(description: "cannot open a socket to find a free port") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw Error(description: "cannot bind a socket to find a free port") }
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Error(description: "cannot read the free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<32).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}
