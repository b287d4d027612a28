import Foundation
import Logging
import PostgresNIO
import SweepStore
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One system test's world: a fresh database on the server `SWEEP_TEST_DATABASE_URL` names,
/// a temporary folder (sweep files, logs, job directories), a coordinator port, and the
/// `sweep` processes the test starts. `Cluster.run` removes all of it afterwards, also when
/// the test fails or is cancelled.
final class Cluster: Sendable {
    /// The variable holding the server's address.
    static let environmentVariable = "SWEEP_TEST_DATABASE_URL"

    /// Timings the coordinator runs with: short, so that failures are detected in tests' time.
    static let heartbeatMilliseconds = 200
    static let liveness = 3
    static let leaseSeconds = 5

    /// The temporary folder.
    let directory: String
    /// The test's own database.
    let databaseURL: DatabaseURL
    /// A client for the test's queries.
    let client: PostgresClient
    /// The coordinator's TCP port.
    let port: Int
    private let processes = Mutex<[ManagedProcess]>([])
    private let coordinatorStarts = Mutex(0)

    /// The coordinator's endpoint for workers.
    var endpoint: String { "tcp://127.0.0.1:\(port)" }

    private init(directory: String, databaseURL: DatabaseURL, client: PostgresClient, port: Int) {
        self.directory = directory
        self.databaseURL = databaseURL
        self.client = client
        self.port = port
    }

    /// Quiet by default; `SWEEP_TEST_LOG_LEVEL=debug` shows the client's logging.
    static let logger: Logger = {
        var logger = Logger(label: "sweep.system-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SWEEP_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }()

    // MARK: - Life cycle

    /// Creates the database (migrated) and folder, runs `body`, then kills every process the
    /// test started and drops the database, whether `body` succeeded, threw or was cancelled.
    /// When it threw, the tails of the processes' logs are recorded with the failure.
    static func run<Result: Sendable>(_ body: (Cluster) async throws -> Result) async throws -> Result {
        let server = try serverURL()
        let name = "sweep_sys_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await withAdminConnection(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var template = Array("/tmp/sweep-sys-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            try? await dropDatabase(name, on: server)
            throw Failure("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: created)
        let url = server.with(database: name)
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
        let cluster = Cluster(directory: directory, databaseURL: url, client: client, port: try freePort())

        let outcome: Swift.Result<Result, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                try await SweepStore(client: client, logger: logger).migrate()
                return .success(try await body(cluster))
            } catch {
                return .failure(error)
            }
        }
        if case .failure = outcome { cluster.recordLogs() }
        // Cleaning up must not be skipped because the test's task was cancelled (time limit).
        await Task.detached {
            cluster.killAll()
            try? await dropDatabase(name, on: server)
            if ProcessInfo.processInfo.environment["SWEEP_TEST_KEEP"] == nil {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }.value
        return try outcome.get()
    }

    /// Records the end of every process's log, for a failed test.
    func recordLogs() {
        var text = "test folder: \(directory)\n"
        for process in processes.withLock({ $0 }) {
            text += "\n── \(process.name) (pid \(process.pid), \(process.poll().map { "exit \($0)" } ?? "running")):\n\(process.logTail())"
        }
        Issue.record(Comment(rawValue: text))
    }

    /// SIGKILL to every process the test started, and reap them.
    func killAll() {
        for process in processes.withLock({ $0 }) { process.killAndReap() }
    }

    // MARK: - Processes

    /// The `sweep` executable built beside the test bundle.
    static let sweepBinary: String = {
        if let explicit = ProcessInfo.processInfo.environment["SWEEP_BINARY"] { return explicit }
        // The build folder holds the test bundle, this target's resources and the executable.
        var candidates = [
            Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("sweep").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sweep").path,
        ]
        // From this file: Tests/SweepSystemTests/Support/Cluster.swift → .build/debug/sweep.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/sweep").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    /// What every `sweep` process gets in its environment.
    var environment: [String: String] {
        ["DATABASE_URL": databaseURL.urlString, "SWEEP_HOME": directory + "/home", "SWEEP_LOG_LEVEL": "info"]
    }

    /// Starts `sweep ARGUMENTS...`, its output in `LOGNAME.log` of the test folder.
    @discardableResult
    func spawn(_ logName: String, _ arguments: [String]) throws -> ManagedProcess {
        try spawnProgram(logName, [Self.sweepBinary] + arguments, environment: environment)
    }

    /// Starts a program other than `sweep` (`argv[0]` an absolute path) with `extra` added to
    /// its environment, its output in `LOGNAME.log` of the test folder; killed at the end like
    /// the others.
    @discardableResult
    func spawnProgram(_ logName: String, _ argv: [String], environment extra: [String: String] = [:]) throws -> ManagedProcess {
        let process = try ManagedProcess(name: logName, argv: argv, environment: extra, logFile: "\(directory)/\(logName).log")
        processes.withLock { $0.append(process) }
        return process
    }

    /// Starts a coordinator on the cluster's port and waits until it listens;
    /// `extraArguments` (CURVE options, say) follow the usual ones.
    @discardableResult
    func startCoordinator(extraArguments: [String] = []) async throws -> ManagedProcess {
        let number = coordinatorStarts.withLock { count in
            count += 1
            return count
        }
        let process = try spawn("coordinator-\(number)", [
            "coordinator", "--bind", endpoint, "--heartbeat-ms", "\(Self.heartbeatMilliseconds)",
            "--liveness", "\(Self.liveness)", "--lease-seconds", "\(Self.leaseSeconds)",
        ] + extraArguments)
        try await waitUntil("coordinator \(number) listens", timeout: .seconds(20)) {
            guard process.isRunning else { throw Failure("the coordinator exited with status \(process.poll() ?? -1):\n\(process.logTail())") }
            return process.logTail(bytes: 1 << 20).contains("coordinator listening")
        }
        return process
    }

    /// Starts a worker with `slots` slots, connecting to the cluster's coordinator or to
    /// `coordinator` (a fake one, say); its job directories are under `work/ID`;
    /// `extraArguments` (CURVE options, say) follow the usual ones.
    @discardableResult
    func startWorker(_ id: String, slots: Int, coordinator: String? = nil, extraArguments: [String] = []) throws -> ManagedProcess {
        try spawn("worker-\(id)", [
            "worker", "--coordinator", coordinator ?? endpoint, "--slots", "\(slots)", "--id", id,
            "--project-dir", directory, "--work-dir", workDirectory(of: id),
        ] + extraArguments)
    }

    /// Runs `sweep ARGUMENTS...` to its end (within `timeout`); returns its exit status and
    /// output (stdout and stderr together).
    func runToEnd(_ logName: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let process = try spawn(logName, arguments)
        guard let status = await process.waitForExit(timeout: timeout) else {
            throw Failure("sweep \(arguments.joined(separator: " ")) did not finish within \(timeout):\n\(process.logTail())")
        }
        return (status, process.logTail(bytes: 1 << 20))
    }

    /// The JSON object a command printed (`--format json`), from its first `{` on (log lines
    /// may come before it); nil when it is not an object.
    static func jsonObject(in output: String) throws -> [String: Any]? {
        let start = output.firstIndex(of: "{") ?? output.startIndex
        return try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any]
    }

    /// The folder holding a worker's job directories (`JOB-ATTEMPT`).
    func workDirectory(of worker: String) -> String { "\(directory)/work/\(worker)" }

    /// Writes a sweep file, runs `sweep submit` on it, and returns the sweep's id.
    @discardableResult
    func submit(_ name: String, yaml: String) async throws -> Int64 {
        let file = "\(directory)/\(name).yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: file))
        let process = try spawn("submit-\(name)", ["submit", file, "--name", name])
        guard let status = await process.waitForExit(timeout: .seconds(60)) else {
            throw Failure("sweep submit \(name) did not finish within 60 s:\n\(process.logTail())")
        }
        guard status == 0 else { throw Failure("sweep submit \(name) failed with status \(status):\n\(process.logTail())") }
        guard let id = try await scalar("SELECT id FROM sweep.sweeps WHERE name = \(name)", as: Int64.self) else {
            throw Failure("sweep submit \(name) succeeded but stored no sweep:\n\(process.logTail())")
        }
        return id
    }

    // MARK: - Queries

    /// The first column of the first row, or nil when there is no row.
    func scalar<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type) async throws -> T? {
        var result: T?
        for try await value in try await client.query(query, logger: Self.logger).decode(T.self) where result == nil {
            result = value
        }
        return result
    }

    /// How many jobs of a sweep are in each state.
    func jobStates(sweep: Int64) async throws -> [String: Int] {
        var states: [String: Int] = [:]
        let rows = try await client.query("SELECT state::text, count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(sweep) GROUP BY 1", logger: Self.logger)
        for try await (state, count) in rows.decode((String, Int64).self) { states[state] = Int(count) }
        return states
    }

    /// Waits until every job of the sweeps is finished (succeeded, stopped, cancelled or
    /// dead); returns the states of all their jobs together.
    @discardableResult
    func waitForSweeps(_ sweeps: [Int64], timeout: Duration) async throws -> [String: Int] {
        var states: [String: Int] = [:]
        do {
            try await waitUntil("sweeps \(sweeps) finish", timeout: timeout, poll: .milliseconds(200)) {
                states = [:]
                for sweep in sweeps {
                    for (state, count) in try await jobStates(sweep: sweep) { states[state, default: 0] += count }
                }
                return states.keys.allSatisfy { ["succeeded", "stopped", "cancelled", "dead"].contains($0) }
            }
        } catch let failure as Failure {
            throw Failure("\(failure.description) Job states: \(states.sorted { $0.key < $1.key }). Unfinished: \(try await unfinishedJobs(sweeps))")
        }
        return states
    }

    /// The unfinished jobs of the sweeps with their attempts, for failure messages.
    func unfinishedJobs(_ sweeps: [Int64], limit: Int = 12) async throws -> String {
        var lines: [String] = []
        let rows = try await client.query("""
            SELECT j.id, j.state::text, j.attempt, coalesce(j.lease_owner, '-'),
                   coalesce(extract(epoch FROM j.lease_expires_at - now())::float8, 0),
                   coalesce((SELECT string_agg(a.attempt || ':' || a.worker || ':' || coalesce(a.outcome, 'open'), ' ' ORDER BY a.attempt)
                             FROM sweep.attempts a WHERE a.job_id = j.id), '')
            FROM sweep.jobs j
            WHERE j.sweep_id = ANY(\(sweeps)::bigint[]) AND j.state NOT IN ('succeeded', 'stopped', 'cancelled', 'dead')
            ORDER BY j.id LIMIT \(limit)
            """, logger: Self.logger)
        for try await (id, state, attempt, owner, leaseLeft, attempts) in rows.decode((Int64, String, Int32, String, Double, String).self) {
            lines.append("job \(id) \(state) attempt \(attempt) owner \(owner) lease \(String(format: "%.1f", leaseLeft)) s [\(attempts)]")
        }
        return lines.joined(separator: "; ")
    }

    // MARK: - Helpers

    /// Waits until `condition` holds, checking every `poll`; throws when `timeout` passes,
    /// saying what `progress` says.
    func waitUntil(_ what: String, timeout: Duration, poll: Duration = .milliseconds(50),
                   _ condition: () async throws -> Bool, progress: () -> String = { "" }) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await condition() { return }
            guard ContinuousClock.now < deadline else { throw Failure("timed out after \(timeout) waiting until \(what). \(progress())") }
            try await Task.sleep(for: poll)
        }
    }

    static func serverURL() throws -> DatabaseURL {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else {
            throw Failure("""
                \(environmentVariable) is not set: the system tests need a real PostgreSQL server. Run them with \
                `scripts/with-test-postgres.sh swift test --skip-build --filter SweepSystemTests` (or `make test`), or set \
                \(environmentVariable)=postgres://USER:PASSWORD@HOST:PORT/DATABASE (a role allowed to CREATE DATABASE)
                """)
        }
        do {
            return try DatabaseURL(parsing: text)
        } catch {
            throw Failure("\(environmentVariable) is not a usable database URL: \(error)")
        }
    }

    /// A TCP port on 127.0.0.1 nobody listens on now (the kernel's choice).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure("bind failed: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func withAdminConnection(_ server: DatabaseURL, _ body: (PostgresConnection) async throws -> Void) async throws {
        let configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.username, password: server.password,
            database: "postgres", tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func dropDatabase(_ name: String, on server: DatabaseURL) async throws {
        try await withAdminConnection(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }
}

/// A test's own failure, with what to look at.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
