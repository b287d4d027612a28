import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import SweepKernels
import SweepWorker

/// `sweep worker`: run jobs for a coordinator until SIGTERM (then drain).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs for a coordinator; SIGTERM drains (finishes running jobs, then leaves)."
    )

    @Option(name: .long, help: "The coordinator's endpoint.")
    var coordinator = "tcp://127.0.0.1:5555"

    @Option(name: .long, help: "Jobs run at once.")
    var slots = 1

    @Option(name: .long, help: "GPU indices this worker may use, comma-separated (e.g. 0,1).")
    var gpus: String?

    @Option(name: .long, help: "A label jobs may require, key=value (repeatable).")
    var label: [String] = []

    @Option(name: .long, help: "Folder for the jobs' working directories (default: $SWEEP_HOME/work/WORKER).")
    var workDir: String?

    @Option(name: .long, help: "Worker id (default: host-pid-random).")
    var id: String?

    @Option(name: .long, help: "Directory commands run in; relative program paths resolve from it (default: the current directory).")
    var projectDir: String?

    @Option(name: .long, help: "Microseconds a report waits for others while jobs still run, so they go out together (0: at once).")
    var reportLingerMicroseconds = Int(WorkerConfiguration.defaultReportLinger / .microseconds(1))

    @Option(name: .long, help: "Serve the worker's counters and gauges in Prometheus's text format at http://HOST:PORT/metrics (e.g. 127.0.0.1:9465); off when not given.")
    var metricsBind: String?

    @OptionGroup var metricsToken: MetricsTokenOptions

    @OptionGroup var curve: WorkerCurveOptions

    func validate() throws {
        _ = try metricsBind.map(MetricsEndpoint.Address.init(parsing:))
        guard slots >= 1, slots <= 4096 else { throw ValidationError("--slots must be between 1 and 4096") }
        guard (0...1_000_000).contains(reportLingerMicroseconds) else {
            throw ValidationError("--report-linger-microseconds must be between 0 and 1000000 (1 s)")
        }
        for entry in label where !entry.contains("=") { throw ValidationError("--label takes key=value, found '\(entry)'") }
        if let gpus, gpus.split(separator: ",").contains(where: { Int($0) == nil }) {
            throw ValidationError("--gpus takes comma-separated indices such as 0,1; found '\(gpus)'")
        }
    }

    func run() async throws {
        let logger = CLILogging.logger("sweep.worker", default: .info)
        let host = ProcessInfo.processInfo.hostName
        let workerID = id ?? WorkerConfiguration.makeWorkerID(host: host)
        let home = ProcessInfo.processInfo.environment["SWEEP_HOME"] ?? ".sweep"
        let directory = workDir ?? "\(home)/work/\(workerID)"
        var labels: [String: String] = [:]
        for entry in label {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        var configuration = WorkerConfiguration(
            coordinator: coordinator, workerID: workerID, host: host, slots: slots,
            gpus: gpus.map { $0.split(separator: ",").compactMap { Int($0) } } ?? [], labels: labels,
            workDirectory: URL(fileURLWithPath: directory).standardizedFileURL.path)
        if let projectDir { configuration.projectDirectory = URL(fileURLWithPath: projectDir).standardizedFileURL.path }
        configuration.reportLinger = .microseconds(reportLingerMicroseconds)
        configuration.curve = try curve.resolve()
        let metricsTokenValue = try metricsToken.resolve(bindGiven: metricsBind != nil)
        let worker: Worker
        do {
            worker = try Worker(configuration: configuration, kernels: .withTrainingKernels, logger: logger)
        } catch {
            throw CommandFailure("cannot connect to \(coordinator): \(error)")
        }
        // Graceful shutdown runs from the last service to the first: the endpoint, first,
        // serves until the drain is over.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let address = try metricsBind.map(MetricsEndpoint.Address.init(parsing:)) {
            services.append(.init(service: MetricsEndpoint(address: address, token: metricsTokenValue, logger: logger) { WorkerMetrics.render(await worker.monitoringSnapshot()) }))
        }
        services.append(.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
