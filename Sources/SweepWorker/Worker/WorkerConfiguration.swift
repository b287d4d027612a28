import Foundation
public import SweepWire

/// How a worker runs: where the coordinator is, what it offers, and its timings.
public struct WorkerConfiguration: Sendable {
    /// The coordinator's endpoint, `tcp://head:5555`.
    public var coordinator: String
    /// Unique id, also the ZeroMQ routing id.
    public var workerID: String
    /// Host name reported to the coordinator.
    public var host: String
    /// Jobs (slots) run at once.
    public var slots: Int
    /// GPU indices this worker may hand out.
    public var gpus: [Int]
    /// Labels jobs may require.
    public var labels: [String: String]
    /// Folder under which every attempt gets a directory of its own (`SWEEP_WORKDIR`, with
    /// params.json).
    public var workDirectory: String
    /// Where commands run, as W&B's agent runs them: relative program paths are resolved
    /// from here. Defaults to the worker's current directory.
    public var projectDirectory: String = FileManager.default.currentDirectoryPath
    /// Interpreter the coordinator substituted for ${interpreter}; unused by the worker.
    /// Time between SIGTERM and SIGKILL when the coordinator gives none.
    public var defaultStopGrace: Duration = .seconds(10)
    /// Metric points of one attempt sent together at most.
    public var metricBatchPoints = 500
    /// Reliable messages (STARTED, METRICS, RESULT) sent and not yet acknowledged at most;
    /// later ones wait at the worker, in order, until acknowledgements make room. Without
    /// this window a job logging faster than the database writes piled points up in the
    /// coordinator until their acknowledgements took longer than the resend timeout, and
    /// the resent copies doubled the work (`sweep bench queue`, metrics line).
    public var maxUnacknowledged = 64
    /// While other attempts are still running, reliable messages made now wait at most this
    /// long before being sent, so that the reports of attempts ending close together (each
    /// RESULT frees a slot) travel in one BATCH and the coordinator answers them with one
    /// BATCH of ASSIGNs. Zero sends at once. Applied only while the worker's recent jobs ran
    /// less than 30 lingers (`Worker.lingerRunTimeFactor`), so it never costs a slot more than
    /// about 3% of its time. With no-op jobs it saved about a third of the coordinator's and
    /// the workers' CPU per job, and 2–10 ms jobs ran up to 40% more per second
    /// (BENCHMARKS.md). See docs/protocol.md §7.3.
    public var reportLinger = defaultReportLinger
    /// `reportLinger` unless set otherwise (`sweep worker --report-linger-microseconds`).
    public static let defaultReportLinger: Duration = .milliseconds(1)
    /// Metric points wait at most this long before being sent.
    public var metricFlushInterval: Duration = .milliseconds(100)
    /// Output kept per attempt for the log tail.
    public var logTailBytes = 64 * 1024
    /// HELLO is repeated with backoff up to this interval until WELCOME.
    public var maxHelloInterval: Duration = .seconds(30)
    /// How soon a HELLO that no connection took (the coordinator is not reachable yet) is
    /// tried again; such tries cost the coordinator nothing, so they do not back off.
    public var helloRetryWhileDisconnected: Duration = .milliseconds(100)
    /// How long a drain waits for acknowledgements before giving up.
    public var drainTimeout: Duration = .seconds(30)
    /// CURVE: the coordinator's public key and this worker's secret key; nil for none.
    public var curve: (serverKey: CurveKey, secretKey: CurveSecretKey)?

    /// A configuration with the defaults above.
    public init(coordinator: String, workerID: String, host: String, slots: Int, gpus: [Int] = [], labels: [String: String] = [:], workDirectory: String) {
        self.coordinator = coordinator
        self.workerID = workerID
        self.host = host
        self.slots = slots
        self.gpus = gpus
        self.labels = labels
        self.workDirectory = workDirectory
    }

    /// `host-pid-random`: unique across restarts and hosts.
    public static func makeWorkerID(host: String) -> String {
        "\(host)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }
}
