import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import UnixSignals
import SweepCore
import SweepCoordinator
import SweepStore
#if canImport(Glibc)
import Glibc
#endif

/// `sweep up [FILE]`: everything on one machine — the private PostgreSQL, a coordinator and
/// N local worker processes — running a sweep to the end with a live progress display.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run a sweep on this machine: private PostgreSQL, a coordinator and local workers, to the end."
    )

    @Argument(help: "A sweep to submit first (otherwise the queued jobs already stored are run).")
    var file: String?

    @Option(name: .long, help: "Sweep name (default: the file's 'name', else its file name with a time stamp).")
    var name: String?

    @Option(name: .long, help: "Local worker processes.")
    var workers = 2

    @Option(name: .long, help: "Slots per worker.")
    var slots = 1

    @Option(name: .long, help: "Serve the coordinator's figures in Prometheus's text format at http://HOST:PORT/metrics while it runs (e.g. 127.0.0.1:9464).")
    var metricsBind: String?

    @OptionGroup var metricsToken: MetricsTokenOptions

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard workers >= 1, workers <= 256 else { throw ValidationError("--workers must be between 1 and 256") }
        guard slots >= 1 else { throw ValidationError("--slots must be at least 1") }
        _ = try metricsBind.map(MetricsEndpoint.Address.init(parsing:))
    }

    func run() async throws {
        let logger = CLILogging.logger("sweep.up")
        // What can fail without the database fails before the private server is started.
        let metricsAddress = try metricsBind.map(MetricsEndpoint.Address.init(parsing:))
        let token = try metricsToken.resolve(bindGiven: metricsAddress != nil)
        if let metricsAddress { try await MetricsEndpoint.checkAvailable(metricsAddress) }
        var submission: (spec: SweepSpec, expansion: Expansion)?
        if let file {
            guard case .success(let spec) = SweepLoader.load(file) else { throw ExitCode(1) }
            do {
                submission = (spec, try Expander.expand(spec))
            } catch {
                throw CommandFailure("\(file): error: \(error)")
            }
        }
        let url = try database.resolve(logger: logger)
        var sweepName: String? = nil
        if let file, let (spec, expansion) = submission {
            let yaml = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let chosen = name ?? spec.name.map { "\($0)-\(stamp)" } ?? "\(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)-\(stamp)"
            let jobs = expansion.jobs
            let source = file
            let record = try await withStore(url, logger: logger) { store in
                try await store.enqueue(name: chosen, sourceFile: source, yaml: yaml, spec: spec, jobs: jobs)
            }
            sweepName = record.name
            print("submitted sweep '\(record.name)': \(record.jobCount) jobs")
        }

        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
        let store = SweepStore(client: client, logger: logger)
        var coordinatorLogger = CLILogging.logger("sweep.coordinator")
        coordinatorLogger.logLevel = min(coordinatorLogger.logLevel, .warning)
        let coordinator = try Coordinator(
            configuration: CoordinatorConfiguration(bind: "tcp://127.0.0.1:*", coordinatorID: "up-\(getpid())"),
            store: store, logger: coordinatorLogger)
        let endpoint = coordinator.endpoint
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: client)]
        if let address = metricsAddress {
            services.append(.init(service: MetricsEndpoint(address: address, token: token, logger: coordinatorLogger) { CoordinatorMetrics.render(await coordinator.monitoringSnapshot()) }))
            print("metrics at http://\(address.host):\(address.port)/metrics")
        }
        services.append(.init(service: coordinator))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))

        let home = ProcessInfo.processInfo.environment["SWEEP_HOME"] ?? ".sweep"
        let logDirectory = "\(home)/logs"
        try? FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        var children: [SpawnedProcess] = []
        for index in 0..<workers {
            let child = try SpawnedProcess(
                argv: [SpawnedProcess.selfPath, "worker", "--coordinator", endpoint, "--slots", "\(slots)", "--id", "up-\(getpid())-\(index)"],
                logFile: "\(logDirectory)/worker-\(index).log")
            children.append(child)
        }
        print("coordinator on \(endpoint), \(workers) workers × \(slots) slots (logs in \(logDirectory))")

        let watched = sweepName
        let finalRows = try await withThrowingTaskGroup(of: [SweepProgress]?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                var rows: [SweepProgress] = []
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    rows = try await store.progress(sweep: watched)
                    if watched == nil { rows = rows.filter { !$0.isFinished || $0.state == "active" } }
                    print(ProgressRenderer.render(rows), terminator: "")
                    if rows.allSatisfy(\.isFinished) { break }
                }
                return rows
            }
            let rows: [SweepProgress]?
            do {
                rows = try await tasks.next() ?? nil
            } catch {
                // The coordinator's group or the progress display failed: the workers must not
                // outlive this command, retrying a coordinator that is gone.
                for child in children { child.terminate() }
                for child in children { child.wait() }
                throw error
            }
            // Workers leave first (they drain), then the coordinator and the pool.
            for child in children { child.terminate() }
            for child in children { child.wait() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return rows ?? []
        }
        if let watched {
            let board = try await withStore(url, logger: logger) { store in try await store.leaderboard(sweep: watched, limit: 10) }
            print("\nleaderboard of \(watched):")
            ResultPrinter.print(board, format: .table)
        }
        _ = finalRows
        print("query the results with: psql \"$(sweep db url)\"  or  sweep query \"SELECT * FROM leaderboard\"")
    }
}

/// A child process of the CLI (a local worker), its output appended to a log file.
final class SpawnedProcess: Sendable {
    let pid: pid_t

    /// The running executable's path.
    static var selfPath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    init(argv: [String], logFile: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The workers must not inherit the coordinator's sockets (a listening port would
        // outlive it) or the database connections.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        let pointers = argv.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, argv[0], &actions, nil, pointers, environ)
        guard status == 0 else { throw CommandFailure("cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        self.pid = pid
    }

    func terminate() { kill(pid, SIGTERM) }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run
    /// time because Swift's Glibc module does not import it.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    func wait() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    }
}
