import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SweepCore
import SweepStore
import SweepWire

/// `sweep bench dispatch`: many simulated workers (real DEALER sockets speaking the protocol)
/// on one coordinator process; the coordinator's CPU and memory, and how long a free slot
/// waits for its next ASSIGN.
struct DispatchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Simulate many workers on one coordinator: dispatch latency, coordinator CPU and memory (use a release build).",
        discussion: """
            Starts `sweep coordinator` as a child process on a new database sweep_bench_<pid> \
            (DATABASE_URL, else the private server), fills it with no-op jobs, and connects \
            --workers simulated workers from this process, each a DEALER socket with one slot, \
            all driven by one thread. A simulated worker says HELLO as a real one does (again \
            after 1 s, 2 s, 4 s ... until WELCOME; numbered unless --unnumbered-hellos), \
            heartbeats every --heartbeat-ms once welcomed, answers each ASSIGN with STARTED at once and with RESULT after a \
            job time drawn uniformly from [0.5, 1.5] x --job-seconds. Dispatch latency is the \
            time from a slot becoming free (WELCOME, or the RESULT sent) to the next ASSIGN \
            arriving, counted for slots freed after the warm-up. With --report-every-ms, each \
            running job also reports a point of a learning curve (`loss`, falling as a power \
            law toward a floor of its own, with noise) that often, and the sweep declares \
            --policy as its early stopping: the coordinator judges the runs as their points \
            arrive, and a simulated worker ends a job on STOP as a real one would.
            """
    )

    @Option(name: .long, help: "Simulated workers (one slot each).")
    var workers = 1000

    @Option(name: .long, help: "Heartbeat interval of workers and coordinator, in milliseconds.")
    var heartbeatMs = 1000

    @Option(name: .long, help: "Mean job time in seconds (each job takes 0.5 to 1.5 times this).")
    var jobSeconds = 1.0

    @Option(name: .long, help: "Seconds measured, after the warm-up.")
    var seconds = 30.0

    @Option(name: .long, help: "Seconds of warm-up (connecting, first assignments) not measured.")
    var warmup = 10.0

    @Option(name: .long, help: "Each running job reports one point of its curve this often, in milliseconds (default: no metrics).")
    var reportEveryMs: Int?

    @Option(name: .long, help: "The sweep's early-stopping policy when jobs report metrics: none, median, asha, hyperband, predict.")
    var policy = "none"

    @Option(name: .long, help: "An option for the coordinator (repeatable), for example --coordinator-option=--ready-jobs-below-ms=5000.")
    var coordinatorOption: [String] = []

    @Option(name: .long, help: "Write every measured latency to this CSV file (seconds since the measurement began, latency in ms), to see when the slow ones happen.")
    var samplesFile: String?

    @Flag(name: .long, help: "Leave session, hello and welcomed out of the simulated workers' HELLOs (protocol.md 5.2), as workers did before HELLOs were numbered.")
    var unnumberedHellos = false

    @Flag(name: .long, help: "Keep the benchmark database for inspection.")
    var keepDatabase = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard workers >= 1, heartbeatMs >= 10, jobSeconds > 0, seconds > 0, warmup >= 0 else {
            throw ValidationError("--workers, --heartbeat-ms, --job-seconds and --seconds must be positive")
        }
        if let reportEveryMs, reportEveryMs < 1 { throw ValidationError("--report-every-ms must be at least 1") }
        guard ["none", "median", "asha", "hyperband", "predict"].contains(policy) else {
            throw ValidationError("--policy must be one of none, median, asha, hyperband, predict (got '\(policy)')")
        }
        if policy != "none", reportEveryMs == nil { throw ValidationError("--policy needs --report-every-ms (a policy judges reported metrics)") }
        let logger = CLILogging.logger("sweep.bench.dispatch")
        let server = try database.resolve(logger: logger)
        let name = "sweep_bench_\(ProcessInfo.processInfo.processIdentifier)"
        try await BenchDatabase.create(name, on: server, logger: logger)
        let url = server.with(database: name)
        defer {
            if keepDatabase { print("kept the database \(name)") }
        }
        do {
            try await measure(url: url, logger: logger)
        } catch {
            if !keepDatabase { try? await BenchDatabase.drop(name, on: server, logger: logger) }
            throw BenchDatabase.explain(error)
        }
        if !keepDatabase { try await BenchDatabase.drop(name, on: server, logger: logger) }
    }

    private func measure(url: DatabaseURL, logger: Logger) async throws {
        // Enough jobs that the queue never runs dry: every slot busy for the whole run, twice over.
        let total = warmup + seconds + 10
        let jobCount = max(1000, Int(Double(workers) * total / jobSeconds * 2))
        var text = """
            name: dispatch-bench
            method: grid
            kernel: noop
            parameters:
              i: {min: 1, max: \(jobCount)}
            """
        if let reportEveryMs {
            text += "\nmetric: {name: loss, goal: minimize}"
            // predict forecasts for the step an average job reaches.
            let horizon = max(1, Int(jobSeconds * 1000 / Double(reportEveryMs)))
            if policy == "predict" { text += "\nearly_stop: {policy: predict, horizon: \(horizon)}" }
            else if policy != "none" { text += "\nearly_stop: {policy: \(policy)}" }
        }
        let yaml = text
        let spec = try SweepFile.parse(text: yaml, file: "<dispatch-bench>").spec
        let jobs = try Expander.expand(spec, options: ExpansionOptions(maxJobs: jobCount)).jobs
        try await withStore(url, logger: logger) { store in
            _ = try await store.enqueue(name: "dispatch-bench", sourceFile: nil, yaml: yaml, spec: spec, jobs: jobs)
        }
        print("database: \(url), \(jobs.count) no-op jobs queued")

        let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
        setenv("DATABASE_URL", url.urlString, 1)
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-dispatch-\(getpid()).log").path
        let coordinator = try SpawnedProcess(
            argv: [SpawnedProcess.selfPath, "coordinator", "--bind", endpoint, "--heartbeat-ms", "\(heartbeatMs)"] + coordinatorOption,
            logFile: logFile)
        defer {
            coordinator.terminate()
            coordinator.wait()
        }
        print("coordinator pid \(coordinator.pid) on \(endpoint) (log \(logFile)); \(workers) simulated workers, heartbeat \(heartbeatMs) ms, jobs of \(jobSeconds) s on average")
        try await Task.sleep(for: .seconds(1))

        let settings = DispatchSimulation.Settings(
            endpoint: endpoint, workers: workers, heartbeat: .milliseconds(heartbeatMs), jobSeconds: jobSeconds,
            warmup: .milliseconds(Int64(warmup * 1000)), measured: .milliseconds(Int64(seconds * 1000)),
            reportEvery: reportEveryMs.map { .milliseconds($0) }, numberedHellos: !unnumberedHellos)
        let pid = coordinator.pid
        let machine = MachineCPUMarks()
        let report = try await DispatchSimulation.run(settings) { phase in
            machine.mark()
            return switch phase {
            case .measuring: ProcessSample.take(pid: pid)
            case .done: ProcessSample.take(pid: pid)
            }
        }
        guard report.welcomes > 0 else {
            throw CommandFailure("no simulated worker was welcomed: did the coordinator start? (see \(logFile))")
        }
        let recorded = try await withStore(url, logger: logger, migrate: false) { store in
            try await store.count("SELECT count(*)::bigint FROM sweep.jobs WHERE state = 'succeeded'")
        }
        report.print(coordinatorJobsRecorded: Int(recorded), workers: workers)
        if let shares = machine.shares {
            print("this machine's CPU time while measured (\(ProcessInfo.processInfo.activeProcessorCount) CPUs, /proc/stat): \(shares.description)")
        }
        // Each registration logs one line; a repeated HELLO registers nobody.
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        let registrations = log.components(separatedBy: "worker joined").count - 1
        print(String(format: "joining: %d HELLOs sent (%@), %d registrations by the coordinator; the last worker welcomed %.2f s after the first HELLO",
                     report.hellosSent, unnumberedHellos ? "unnumbered" : "numbered", registrations, report.lastWelcomeSeconds))
        if reportEveryMs != nil {
            let (points, decisions, stopped) = try await withStore(url, logger: logger, migrate: false) { store in
                (try await store.count("SELECT count(*)::bigint FROM sweep.metrics"),
                 try await store.count("SELECT count(*)::bigint FROM sweep.stop_decisions"),
                 try await store.count("SELECT count(*)::bigint FROM sweep.jobs WHERE state = 'stopped'"))
            }
            print("metrics: \(report.pointsSent) points sent (\(String(format: "%.0f", Double(report.pointsMeasured) / seconds))/s measured), \(points) stored; policy \(policy): \(decisions) decisions stored, \(stopped) jobs stopped")
        }
        if let samplesFile {
            var csv = "at_seconds,latency_ms\n"
            for (at, latency) in zip(report.latencyTimes, report.latencies) { csv += String(format: "%.4f,%.3f\n", at, latency * 1000) }
            try csv.write(toFile: samplesFile, atomically: true, encoding: .utf8)
            print("samples written to \(samplesFile)")
        }
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
enum FreePort {
    static func pick() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandFailure("cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(fd, $0, length) }
        }
        guard bound == 0 else { throw CommandFailure("cannot bind a socket to find a free port") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw CommandFailure("cannot read the port the kernel picked") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// CPU time and memory of a process, from /proc.
struct ProcessSample: Sendable {
    var at: ContinuousClock.Instant
    /// User plus system CPU seconds so far.
    var cpuSeconds: Double
    /// Resident memory now, and its peak, in bytes.
    var residentBytes: Int
    var peakResidentBytes: Int

    static func take(pid: pid_t) -> ProcessSample {
        var sample = ProcessSample(at: .now, cpuSeconds: 0, residentBytes: 0, peakResidentBytes: 0)
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after the command name: state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                sample.cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
            for line in status.split(separator: "\n") {
                let kilobytes = (Int(line.filter(\.isNumber)) ?? 0) * 1024
                if line.hasPrefix("VmRSS:") { sample.residentBytes = kilobytes }
                if line.hasPrefix("VmHWM:") { sample.peakResidentBytes = kilobytes }
            }
        }
        return sample
    }
}

/// Creating and dropping a benchmark's own database.
enum BenchDatabase {
    static func create(_ name: String, on server: DatabaseURL, logger: Logger) async throws {
        do {
            try await withStore(server, logger: logger, migrate: false) { admin in
                _ = try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            }
        } catch let error as PSQLError {
            throw CommandFailure("could not create the benchmark database \(name) on \(server): \(error.serverInfo?[.message] ?? "\(error.code)"); the benchmark needs a role that may create databases (the private server's does)")
        }
    }

    /// A PostgreSQL error with the server's message and the statement (a benchmark's SQL is ours).
    static func explain(_ error: any Error) -> any Error {
        guard let error = error as? PSQLError else { return error }
        return CommandFailure("PostgreSQL: \(error.serverInfo?[.message] ?? "\(error.code)") in: \(error.query?.sql.prefix(300) ?? "?")")
    }

    static func drop(_ name: String, on server: DatabaseURL, logger: Logger) async throws {
        try await withStore(server, logger: logger, migrate: false) { admin in
            _ = try await admin.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }
}

/// The simulated workers: one thread drives every socket.
enum DispatchSimulation {
    struct Settings: Sendable {
        var endpoint: String
        var workers: Int
        var heartbeat: Duration
        var jobSeconds: Double
        var warmup: Duration
        var measured: Duration
        /// How often a running job reports a point of its curve; nil: never.
        var reportEvery: Duration?
        /// Whether HELLOs carry session, hello and welcomed.
        var numberedHellos = true
    }

    enum Phase: Sendable { case measuring, done }

    struct Report: Sendable {
        var latencies: [Double] = []
        /// When each latency was measured (the ASSIGN's arrival), in seconds since measuring began.
        var latencyTimes: [Double] = []
        var assigned = 0
        var assignedMeasured = 0
        var resultsSent = 0
        var resultsMeasured = 0
        var stops = 0
        /// STOPs by reason, and those for attempts the simulated worker no longer ran.
        var stopReasons: [String: Int] = [:]
        var stopsForEnded = 0
        var errors = 0
        var welcomes = 0
        /// WELCOMEs to workers already welcomed (answers to repeated HELLOs).
        var repeatedWelcomes = 0
        var hellosSent = 0
        /// When the last worker was first welcomed, in seconds after the simulation began.
        var lastWelcomeSeconds = 0.0
        var heartbeatsSent = 0
        var pointsSent = 0
        var pointsMeasured = 0
        var measuredSeconds = 0.0
        var before: ProcessSample?
        var after: ProcessSample?

        func print(coordinatorJobsRecorded: Int, workers: Int) {
            let sorted = latencies.sorted()
            func quantile(_ q: Double) -> Double {
                guard !sorted.isEmpty else { return .nan }
                return sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]
            }
            Swift.print(String(format: "welcomed %d of %d workers (%d WELCOMEs more, to repeated HELLOs); heartbeats sent %d; STOPs %d; ERRORs %d",
                               welcomes, workers, repeatedWelcomes, heartbeatsSent, stops, errors))
            if stops > 0 {
                let reasons = stopReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                Swift.print("STOP reasons: \(reasons); \(stopsForEnded) for attempts that had already ended")
            }
            Swift.print(String(format: "measured %.1f s: %d ASSIGNs (%.0f/s), %d RESULTs sent (%.0f jobs/s); %d jobs recorded succeeded in all",
                               measuredSeconds, assignedMeasured, Double(assignedMeasured) / measuredSeconds,
                               resultsMeasured, Double(resultsMeasured) / measuredSeconds, coordinatorJobsRecorded))
            Swift.print(String(format: "dispatch latency (slot free -> ASSIGN), %d samples: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
                               sorted.count, quantile(0.5) * 1000, quantile(0.9) * 1000, quantile(0.99) * 1000, (sorted.last ?? .nan) * 1000))
            if let before, let after {
                let wall = Double((after.at - before.at).components.seconds) + Double((after.at - before.at).components.attoseconds) * 1e-18
                Swift.print(String(format: "coordinator: %.2f CPU-s over %.1f s (%.1f%% of one CPU); resident %.1f MB, peak %.1f MB",
                                   after.cpuSeconds - before.cpuSeconds, wall, (after.cpuSeconds - before.cpuSeconds) / wall * 100,
                                   Double(after.residentBytes) / 1e6, Double(after.peakResidentBytes) / 1e6))
            }
        }
    }

    /// Runs the simulation on a thread of its own; `sample` is called at the start and the
    /// end of the measured interval.
    static func run(_ settings: Settings, sample: @escaping @Sendable (Phase) -> ProcessSample) async throws -> Report {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try simulate(settings, sample: sample))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private struct SimulatedWorker {
        var socket: ZMQSocket
        var id: String
        var seq: Int64 = 0
        var freeSince: ContinuousClock.Instant?
        var running: [AttemptID: SimulatedJob] = [:]
        var nextHeartbeat: ContinuousClock.Instant
        var welcomed = false
        var hellos: Int64 = 0
        var nextHello: ContinuousClock.Instant
        var helloGap: Duration = .seconds(1)
    }

    /// A running job: when it ends, and its learning curve, loss = floor + scale·(step+1)^-decay
    /// with 2% noise, reported one step per `reportEvery`.
    private struct SimulatedJob {
        var end: ContinuousClock.Instant
        var nextReport: ContinuousClock.Instant
        var step: Int64 = 0
        var floor: Double
        var scale: Double
        var decay: Double

        func loss(using random: inout SystemRandomNumberGenerator) -> Double {
            (floor + scale * pow(Double(step + 1), -decay)) * (1 + 0.02 * Double.random(in: -1...1, using: &random))
        }
    }

    private static func simulate(_ settings: Settings, sample: @Sendable (Phase) -> ProcessSample) throws -> Report {
        let context = try ZMQContext(maxSockets: Int32(settings.workers + 64))
        var random = SystemRandomNumberGenerator()
        let start = ContinuousClock.now
        var simulated: [SimulatedWorker] = []
        simulated.reserveCapacity(settings.workers)
        let prefix = "sim-\(getpid())"
        var report = Report()
        // HELLO as the Swift worker says it: numbered (protocol.md 5.2) unless told otherwise,
        // repeated after 1 s, 2 s, 4 s ... (at most 30 s) until WELCOME.
        func sayHello(_ index: Int, at now: ContinuousClock.Instant) throws {
            simulated[index].hellos += 1
            let hello = Hello(
                worker: simulated[index].id, host: "simulated", pid: Int(getpid()), slots: 1, gpus: [], labels: [:], kernels: ["noop"], running: [],
                numbering: settings.numberedHellos ? Hello.Numbering(session: simulated[index].id, number: simulated[index].hellos, welcomed: 0) : nil)
            try simulated[index].socket.send(FrameCodec.encode(hello.message))
            report.hellosSent += 1
            simulated[index].nextHello = now + simulated[index].helloGap
            simulated[index].helloGap = min(simulated[index].helloGap * 2, .seconds(30))
        }
        for index in 0..<settings.workers {
            var options = SocketOptions()
            options.identity = Array("\(prefix)-\(index)".utf8)
            let socket = try ZMQSocket(context: context, kind: .dealer, options: options)
            try socket.connect(settings.endpoint)
            // Heartbeats spread over the interval, as independent workers' would be.
            let offset = settings.heartbeat * (Double(index) / Double(settings.workers))
            simulated.append(SimulatedWorker(socket: socket, id: "\(prefix)-\(index)", nextHeartbeat: start + offset + settings.heartbeat, nextHello: start))
            try sayHello(index, at: ContinuousClock.now)
        }
        defer { for worker in simulated { worker.socket.close() } }

        let measureFrom = start + settings.warmup
        let measureUntil = measureFrom + settings.measured
        var measuring = false
        // Only sockets that may have messages are visited (SocketReadiness: epoll over their
        // ZMQ_FDs). With zmq_poll over all 1,000 on every call the simulation took most of a
        // CPU, competing on this 2-CPU machine with what it measures.
        let readiness = try SocketReadiness(simulated.map(\.socket))
        var lastTimers = start
        func drain(_ index: Int) throws {
            while let frames = try simulated[index].socket.receive(dontWait: true) {
                let arrived = ContinuousClock.now
                guard case .success(let message) = FrameCodec.decode(frames) else {
                    report.errors += 1
                    continue
                }
                switch message.command {
                case .welcome:
                    guard !simulated[index].welcomed else {
                        report.repeatedWelcomes += 1
                        continue
                    }
                    simulated[index].welcomed = true
                    report.welcomes += 1
                    report.lastWelcomeSeconds = max(report.lastWelcomeSeconds, seconds(arrived - start))
                    if simulated[index].running.isEmpty { simulated[index].freeSince = arrived }
                case .assign:
                    let assign = try Assign(message)
                    report.assigned += 1
                    if let free = simulated[index].freeSince, free >= measureFrom, arrived < measureUntil {
                        report.latencies.append(seconds(arrived - free))
                        report.latencyTimes.append(seconds(arrived - measureFrom))
                        report.assignedMeasured += 1
                    }
                    simulated[index].freeSince = nil
                    simulated[index].seq += 1
                    try simulated[index].socket.send(FrameCodec.encode(Started(seq: simulated[index].seq, attempt: assign.attempt).message))
                    let factor = Double.random(in: 0.5...1.5, using: &random)
                    simulated[index].running[assign.attempt] = SimulatedJob(
                        end: arrived + .milliseconds(Int64(settings.jobSeconds * factor * 1000)), nextReport: arrived + (settings.reportEvery ?? .zero),
                        floor: Double.random(in: 0.1...0.6, using: &random), scale: Double.random(in: 0.5...1.5, using: &random),
                        decay: Double.random(in: 0.3...1.0, using: &random))
                case .stop:
                    report.stops += 1
                    // A real worker ends the job and reports it stopped; the slot is then free.
                    let stop = try StopRequest(message)
                    report.stopReasons[stop.reason, default: 0] += 1
                    if simulated[index].running[stop.attempt] == nil { report.stopsForEnded += 1 }
                    if simulated[index].running.removeValue(forKey: stop.attempt) != nil {
                        simulated[index].seq += 1
                        let result = AttemptResult(seq: simulated[index].seq, attempt: stop.attempt, outcome: .stopped, exitStatus: nil,
                                                   error: nil, logTail: nil, finalMetrics: [:])
                        try simulated[index].socket.send(FrameCodec.encode(result.message))
                        report.resultsSent += 1
                        if arrived >= measureFrom, arrived < measureUntil { report.resultsMeasured += 1 }
                        if simulated[index].running.isEmpty { simulated[index].freeSince = arrived }
                    }
                case .error:
                    report.errors += 1
                default:
                    break
                }
            }
        }
        while true {
            let now = ContinuousClock.now
            if !measuring, now >= measureFrom {
                measuring = true
                report.before = sample(.measuring)
            }
            if now >= measureUntil { break }
            for index in try readiness.wait(timeout: 1) { try drain(index) }
            // Results and heartbeats fall due at most a millisecond late.
            let after = ContinuousClock.now
            guard after - lastTimers >= .milliseconds(1) else { continue }
            lastTimers = after
            for index in simulated.indices {
                if let every = settings.reportEvery, !simulated[index].running.isEmpty {
                    for (attempt, var job) in simulated[index].running where job.nextReport <= after && job.nextReport < job.end {
                        var points: [MetricBatch.Point] = []
                        while job.nextReport <= after, job.nextReport < job.end {
                            points.append(MetricBatch.Point(step: job.step, name: "loss", value: job.loss(using: &random)))
                            job.step += 1
                            job.nextReport += every
                        }
                        simulated[index].running[attempt] = job
                        simulated[index].seq += 1
                        try simulated[index].socket.send(FrameCodec.encode(MetricBatch(seq: simulated[index].seq, attempt: attempt, points: points).message))
                        readiness.markDue(index)
                        report.pointsSent += points.count
                        if after >= measureFrom, after < measureUntil { report.pointsMeasured += points.count }
                    }
                }
                if !simulated[index].running.isEmpty {
                    for (attempt, job) in simulated[index].running where job.end <= after {
                        simulated[index].running[attempt] = nil
                        simulated[index].seq += 1
                        let result = AttemptResult(seq: simulated[index].seq, attempt: attempt, outcome: .succeeded, exitStatus: nil,
                                                   error: nil, logTail: nil, finalMetrics: [:])
                        try simulated[index].socket.send(FrameCodec.encode(result.message))
                        readiness.markDue(index)  // a send may take the fd's signal: receive afterwards
                        report.resultsSent += 1
                        if after >= measureFrom, after < measureUntil { report.resultsMeasured += 1 }
                        simulated[index].freeSince = after
                    }
                }
                if !simulated[index].welcomed {
                    if after >= simulated[index].nextHello {
                        try sayHello(index, at: after)
                        readiness.markDue(index)
                    }
                    continue
                }
                if after >= simulated[index].nextHeartbeat {
                    let beat = WorkerHeartbeat(freeSlots: simulated[index].running.isEmpty ? 1 : 0, running: Array(simulated[index].running.keys))
                    try simulated[index].socket.send(FrameCodec.encode(beat.message))
                    readiness.markDue(index)
                    report.heartbeatsSent += 1
                    simulated[index].nextHeartbeat += settings.heartbeat
                    // Welcomed late: the next one an interval on, not a burst to catch up.
                    if simulated[index].nextHeartbeat <= after { simulated[index].nextHeartbeat = after + settings.heartbeat }
                }
            }
        }
        report.after = sample(.done)
        report.measuredSeconds = seconds(settings.measured)
        return report
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
