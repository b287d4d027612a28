import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import UnixSignals
import SweepCoordinator
import SweepStore
import SweepWire

/// `sweep coordinator`: serve workers until SIGTERM.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Hand jobs to workers over ZeroMQ and record what they report (until SIGTERM)."
    )

    @Option(name: .long, help: "ZeroMQ endpoint to bind.")
    var bind = "tcp://*:5555"

    @Option(name: .long, help: "Heartbeat interval in milliseconds.")
    var heartbeatMs = 1000

    @Option(name: .long, help: "Missed heartbeats before a worker is presumed dead.")
    var liveness = 3

    @Option(name: .long, help: "Lease length in seconds (renewed every third of it while the worker lives).")
    var leaseSeconds = 30

    @Option(name: .long, help: "Seconds any database call of the running coordinator may take before it is abandoned as failed (a call stuck on a dead connection).")
    var databaseCallLimit = 15.0

    @Option(name: .long, help: "Keep jobs ready (claimed ahead, up to --ready-jobs-per-slot per slot, sent the moment a slot frees) for workers whose recent jobs took less than this many milliseconds; 0 turns it off.")
    var readyJobsBelowMs = 2000

    @Option(name: .long, help: "Ready jobs kept per slot of a worker with short jobs (see --ready-jobs-below-ms); 0 turns them off.")
    var readyJobsPerSlot = 2

    @Option(name: .long, help: "For jobs so short that --ready-jobs-per-slot of them make less than --ready-work-ms of work, keep as many as make it up, at most this many per slot (larger, fewer claims); at or below --ready-jobs-per-slot it changes nothing.")
    var maxReadyJobsPerSlot = 8

    @Option(name: .long, help: "The work, in milliseconds of a worker's recent job times, that a slot's ready jobs should add up to (see --max-ready-jobs-per-slot).")
    var readyWorkMs = 20

    @Option(name: .long, help: "A ready job kept longer than this many milliseconds (or than four of its worker's recent job times, if longer) goes back to the queue.")
    var readyHoldMs = 1000

    @Option(name: .long, help: "Serve the coordinator's counters and gauges in Prometheus's text format at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464); off when not given.")
    var metricsBind: String?

    @OptionGroup var metricsToken: MetricsTokenOptions

    @OptionGroup var curve: CoordinatorCurveOptions

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CLILogging.logger("sweep.coordinator", default: .info)
        var configuration = CoordinatorConfiguration(bind: bind, coordinatorID: "\(ProcessInfo.processInfo.hostName)-\(getpid())")
        configuration.curve = try curve.resolve()
        let url = try database.resolve(logger: logger)
        configuration.heartbeatInterval = .milliseconds(heartbeatMs)
        configuration.liveness = liveness
        configuration.leaseDuration = .seconds(leaseSeconds)
        guard databaseCallLimit > 0, databaseCallLimit.isFinite else {
            throw ValidationError("--database-call-limit must be a positive number of seconds, got \(databaseCallLimit)")
        }
        configuration.databaseCallLimit = .milliseconds(Int64(databaseCallLimit * 1000))
        guard readyJobsBelowMs >= 0 else { throw ValidationError("--ready-jobs-below-ms must be 0 (off) or more, got \(readyJobsBelowMs)") }
        configuration.readyJobsBelow = .milliseconds(readyJobsBelowMs)
        guard readyJobsPerSlot >= 0 else { throw ValidationError("--ready-jobs-per-slot must be 0 (off) or more, got \(readyJobsPerSlot)") }
        configuration.readyJobsPerSlot = readyJobsPerSlot
        guard maxReadyJobsPerSlot >= 0 else { throw ValidationError("--max-ready-jobs-per-slot must be 0 or more, got \(maxReadyJobsPerSlot)") }
        configuration.maxReadyJobsPerSlot = maxReadyJobsPerSlot
        guard readyWorkMs >= 1 else { throw ValidationError("--ready-work-ms must be at least 1, got \(readyWorkMs)") }
        configuration.readyWorkPerSlot = .milliseconds(readyWorkMs)
        guard readyHoldMs >= 1 else { throw ValidationError("--ready-hold-ms must be at least 1, got \(readyHoldMs)") }
        configuration.readyHoldLimit = .milliseconds(readyHoldMs)
        let metricsAddress = try metricsBind.map(MetricsEndpoint.Address.init(parsing:))
        let token = try metricsToken.resolve(bindGiven: metricsAddress != nil)
        try await CoordinatorRunner.run(configuration: configuration, url: url, logger: logger, allowListPath: curve.allowListPath,
                                        metrics: metricsAddress, metricsToken: token)
    }
}

/// Runs a coordinator and its connection pool as one service group with graceful shutdown
/// on SIGTERM and SIGINT.
enum CoordinatorRunner {
    /// `allowListPath`, with CURVE on, is re-read on SIGHUP.
    /// `metrics`, when given, is where `GET /metrics` is served (MetricsEndpoint), to requests
    /// carrying `metricsToken` when one is given.
    static func run(configuration: CoordinatorConfiguration, url: DatabaseURL, logger: Logger, allowListPath: String? = nil,
                    metrics: MetricsEndpoint.Address? = nil, metricsToken: BearerToken? = nil,
                    onStart: (@Sendable (String) -> Void)? = nil) async throws {
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
        let store = SweepStore(client: client, logger: logger)
        let coordinator: Coordinator
        do {
            coordinator = try Coordinator(configuration: configuration, store: store, logger: logger)
        } catch {
            throw CommandFailure("cannot bind \(configuration.bind): \(error)")
        }
        onStart?(coordinator.endpoint)
        // Graceful shutdown runs from the last service to the first: the coordinator stops
        // first, the metrics endpoint serves until it has, the pool closes last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: client)]
        if let metrics {
            services.append(.init(service: MetricsEndpoint(address: metrics, token: metricsToken, logger: logger) { CoordinatorMetrics.render(await coordinator.monitoringSnapshot()) }))
        }
        services.append(.init(service: coordinator))
        if configuration.curve != nil, let allowListPath {
            services.append(.init(service: AllowListReloader(path: allowListPath, coordinator: coordinator, logger: logger)))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
