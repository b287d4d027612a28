import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SweepCore
import SweepStore

/// `sweep bench queue`: jobs and metrics end to end through a coordinator process and worker
/// processes, next to the store's own rates and Optuna's, measured in the same run.
struct QueueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "No-op jobs and metric streams end to end through real processes, next to the store's bare rates and Optuna (use a release build).",
        discussion: """
            On a new database sweep_bench_<pid> (DATABASE_URL, else the private server): starts \
            `sweep coordinator` and --workers `sweep worker` processes with --slots each, then \
            (1) submits --jobs no-op kernel jobs and times submit -> every job recorded \
            succeeded; (2) submits --metric-jobs synthetic-curve jobs logging --values-per-step \
            values per step for --metric-steps steps as fast as they can, and times submit -> \
            every point stored. Baselines in the same run, on the same server: the store's \
            claim-and-record loop without any network (claimJobs(forSlots:) + record(), \
            --claimers concurrent claimers, --claim-batch jobs per claim), bare batched INSERTs \
            of the same number of points, and, with --optuna-script, Optuna's RDB storage on \
            this server running trivial trials from --optuna-processes processes.
            """
    )

    @Option(name: .long, help: "No-op jobs run end to end.")
    var jobs = 20_000

    @Option(name: .long, help: "Worker processes.")
    var workers = 4

    @Option(name: .long, help: "Slots per worker.")
    var slots = 8

    @Option(name: .long, help: "Jobs streaming metrics at once.")
    var metricJobs = 32

    @Option(name: .long, help: "Steps each metric job logs.")
    var metricSteps = 5_000

    @Option(name: .long, help: "Values each metric job logs per step.")
    var valuesPerStep = 10

    @Option(name: .long, help: "The workers' --report-linger-microseconds (default: the worker's).")
    var reportLingerMicroseconds: Int?

    @Option(name: .long, parsing: .unconditionalSingleValue, help: "One more option for `sweep coordinator` (repeatable; e.g. --coordinator-option=--ready-jobs-per-slot=4).")
    var coordinatorOption: [String] = []

    @Option(name: .long, help: "Concurrent claimers of the store baseline.")
    var claimers = 4

    @Option(name: .long, help: "Jobs per claim of the store baseline.")
    var claimBatch = 100

    @Option(name: .long, help: "Optuna baseline script (Benchmarks/queue/optuna_rdb.py); skipped when absent.")
    var optunaScript: String?

    @Option(name: .long, help: "Python interpreter for the Optuna baseline.")
    var python = "python3"

    @Option(name: .long, help: "Processes of the Optuna baseline.")
    var optunaProcesses = 4

    @Option(name: .long, help: "Seconds the Optuna baseline runs.")
    var optunaSeconds = 20.0

    @Flag(name: .long, help: "Keep the benchmark database for inspection.")
    var keepDatabase = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard jobs >= 1, workers >= 1, slots >= 1, metricJobs >= 1, metricSteps >= 1, valuesPerStep >= 1, claimers >= 1, claimBatch >= 1 else {
            throw ValidationError("sizes must be positive")
        }
        let logger = CLILogging.logger("sweep.bench.queue")
        let server = try database.resolve(logger: logger)
        let name = "sweep_bench_\(ProcessInfo.processInfo.processIdentifier)"
        try await BenchDatabase.create(name, on: server, logger: logger)
        let url = server.with(database: name)
        print("database: \(url) (created for this run)")
        var lines: [QueueBenchLine] = []
        let sampler = MachineCPUSampler()
        sampler.start()
        defer { sampler.stop() }
        var phases: [Phase] = []
        do {
            (lines, phases) = try await measure(url: url, logger: logger)
        } catch {
            if !keepDatabase { try? await BenchDatabase.drop(name, on: server, logger: logger) }
            throw BenchDatabase.explain(error)
        }
        if keepDatabase {
            print("kept the database \(name)")
        } else {
            try await BenchDatabase.drop(name, on: server, logger: logger)
        }
        QueueBenchLine.printTable(lines)
        Self.printMachine(phases, sampler: sampler)
    }

    /// A measured stretch of the run, by the wall clock (seconds since 1970).
    typealias Phase = (what: String, start: Double, end: Double)

    /// What share of this machine's CPU time each phase had (/proc/stat): a figure measured
    /// while the hypervisor took a fifth of the time is not comparable with one that had
    /// all of it.
    static func printMachine(_ phases: [Phase], sampler: MachineCPUSampler) {
        let measured = phases.compactMap { phase in sampler.shares(from: phase.start, to: phase.end).map { (phase.what, $0) } }
        guard !measured.isEmpty else { return }
        print("\nthis machine's CPU time (\(ProcessInfo.processInfo.activeProcessorCount) CPUs, /proc/stat) during:")
        for (what, shares) in measured { print("  \(what): \(shares.description)") }
    }

    /// The lines of the table, and the wall-clock span of each phase (seconds since 1970).
    private func measure(url: DatabaseURL, logger: Logger) async throws -> ([QueueBenchLine], [Phase]) {
        try await withStore(url, logger: logger) { store in
            var lines: [QueueBenchLine] = []
            var phases: [Phase] = []
            func timed<T>(_ what: String, _ body: () async throws -> T) async rethrows -> T {
                let start = Date().timeIntervalSince1970
                let result = try await body()
                phases.append((what, start, Date().timeIntervalSince1970))
                return result
            }
            let baseline = try await timed("the store baseline") { try await storeLifecycle(store, logger: logger) }
            lines.append(baseline)

            let bare = try await timed("the bare insert") { try await bareIngestion(store, points: metricJobs * metricSteps * valuesPerStep, logger: logger) }
            lines.append(bare)

            var optuna: QueueBenchLine?
            if let optunaScript {
                let trials = try await timed("Optuna's trials") { try await optunaTrials(url: url, script: optunaScript) }
                optuna = trials
                lines.append(trials)
            }

            // The cluster: one coordinator process and the worker processes.
            let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
            setenv("DATABASE_URL", url.urlString, 1)
            let logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-queue-\(getpid())").path
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            let coordinator = try SpawnedProcess(argv: [SpawnedProcess.selfPath, "coordinator", "--bind", endpoint] + coordinatorOption, logFile: "\(logDirectory)/coordinator.log")
            var children = [coordinator]
            defer {
                for child in children.reversed() { child.terminate() }
                for child in children { child.wait() }
            }
            for index in 0..<workers {
                children.append(try SpawnedProcess(
                    argv: [SpawnedProcess.selfPath, "worker", "--coordinator", endpoint, "--slots", "\(slots)", "--id", "bench-\(getpid())-\(index)"]
                        + (reportLingerMicroseconds.map { ["--report-linger-microseconds", "\($0)"] } ?? []),
                    logFile: "\(logDirectory)/worker-\(index).log"))
            }
            print("coordinator on \(endpoint), \(workers) workers x \(slots) slots (logs in \(logDirectory))")
            try await waitForWorkers(store, count: workers, logger: logger)

            let (noop, steady, span) = try await endToEndNoop(store, logger: logger)
            // On the server's clock, which is this machine's when the server runs here.
            phases.append(("the no-op jobs (submit to the last one recorded)", span.start, span.end))
            lines.append(noop.withRatio(to: baseline))
            if let optuna { lines.append(QueueBenchLine(what: "  the same, as a multiple of Optuna's trials/s", count: noop.count, seconds: noop.seconds, unit: "x Optuna", ratio: noop.rate / optuna.rate, vs: optuna.what)) }
            if let steady { lines.append(steady) }

            let metrics = try await timed("the metric jobs") { try await endToEndMetrics(store, logger: logger) }
            lines.append(metrics.withRatio(to: bare))
            return (lines, phases)
        }
    }

    // MARK: Baselines

    /// The store's claim-and-record loop without any network: what the coordinator's database
    /// work alone allows.
    private func storeLifecycle(_ store: SweepStore, logger: Logger) async throws -> QueueBenchLine {
        let (spec, yaml, jobSpecs) = try Self.noopSweep(jobs: jobs, name: "lifecycle-baseline")
        _ = try await store.enqueue(name: "lifecycle-baseline", sourceFile: nil, yaml: yaml, spec: spec, jobs: jobSpecs)
        try await store.client.query("VACUUM ANALYZE sweep.jobs", logger: logger)
        let start = ContinuousClock.now
        let handled = try await withThrowingTaskGroup(of: Int.self) { group in
            for claimer in 0..<claimers {
                group.addTask {
                    var count = 0
                    let owners = Array(repeating: "baseline-\(claimer)", count: claimBatch)
                    while true {
                        let claimed = try await store.claimJobs(forSlots: owners, labels: [:], host: "bench", leaseDuration: .seconds(300))
                        if claimed.isEmpty { return count }
                        _ = try await store.record(claimed.map { AttemptReport(job: $0.job.id, attempt: $0.job.attempt, outcome: .succeeded) })
                        count += claimed.count
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let seconds = Self.seconds(ContinuousClock.now - start)
        guard handled == jobs else { throw CommandFailure("the store baseline handled \(handled) jobs, not \(jobs)") }
        return QueueBenchLine(what: "store: claimJobs(forSlots:) + record(), \(claimers) claimers x \(claimBatch), no network", count: handled, seconds: seconds, unit: "jobs/s")
    }

    /// Bare batched INSERTs of points into a copy of sweep.metrics.
    private func bareIngestion(_ store: SweepStore, points: Int, logger: Logger) async throws -> QueueBenchLine {
        try await store.client.query("CREATE TABLE public.bench_metrics (LIKE sweep.metrics INCLUDING ALL)", logger: logger)
        let batch = 20_000
        var inserted = 0
        let start = ContinuousClock.now
        while inserted < points {
            let count = min(batch, points - inserted)
            var jobsColumn: [Int64] = [], attempts: [Int32] = [], steps: [Int64] = [], names: [String] = [], values: [Double] = []
            jobsColumn.reserveCapacity(count)
            // Point g: job g mod jobs, then name, then step, in the order jobs report them.
            for g in inserted..<(inserted + count) {
                let rest = g / metricJobs
                jobsColumn.append(Int64(g % metricJobs))
                attempts.append(1)
                steps.append(Int64(rest / valuesPerStep))
                names.append(rest % valuesPerStep == 0 ? "val_loss" : "m\(rest % valuesPerStep)")
                values.append(Double(g) * 0.001)
            }
            try await store.client.query("""
                INSERT INTO public.bench_metrics (job_id, attempt, step, name, value)
                SELECT * FROM unnest(\(jobsColumn)::bigint[], \(attempts)::integer[], \(steps)::bigint[], \(names)::text[], \(values)::double precision[])
                """, logger: logger)
            inserted += count
        }
        let seconds = Self.seconds(ContinuousClock.now - start)
        try await store.client.query("DROP TABLE public.bench_metrics", logger: logger)
        return QueueBenchLine(what: "bare INSERT ... unnest of the same points, batches of \(batch)", count: inserted, seconds: seconds, unit: "points/s")
    }

    private func optunaTrials(url: DatabaseURL, script: String) async throws -> QueueBenchLine {
        let sqlalchemyURL = "postgresql+psycopg2://" + url.urlString.drop(while: { $0 != "/" }).dropFirst(2)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-optuna-\(getpid()).json").path
        try? FileManager.default.removeItem(atPath: output)
        let child = try SpawnedProcess(
            argv: ["/usr/bin/env", python, script, "--url", sqlalchemyURL, "--processes", "\(optunaProcesses)", "--seconds", "\(optunaSeconds)"],
            logFile: output)
        await Task.detached { child.wait() }.value
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let trials = object["trials"] as? Int, let seconds = object["seconds"] as? Double else {
            throw CommandFailure("the Optuna baseline printed no result (is optuna installed? pip install optuna psycopg2-binary):\n\(text.suffix(2000))")
        }
        let version = object["optuna"] as? String ?? "?"
        return QueueBenchLine(what: "Optuna \(version) RDB storage, RandomSampler, trivial trials, \(optunaProcesses) processes", count: trials, seconds: seconds, unit: "trials/s")
    }

    // MARK: End to end

    private func waitForWorkers(_ store: SweepStore, count: Int, logger: Logger) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let alive = try await store.count("SELECT count(*)::bigint FROM sweep.workers WHERE state = 'alive' AND id LIKE \("bench-\(getpid())-%")")
            if alive >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CommandFailure("the \(count) workers did not all connect within 30 s (see their logs)")
    }

    /// The no-op phase end to end and, for insight only, its steady state: the rate while the
    /// middle 80 % of the jobs were recorded (between the 10th and the 90th percentile of
    /// finished_at), which leaves out the submit, the ramp and the tail.
    /// Also returns the phase's span on the server's clock (seconds since 1970).
    private func endToEndNoop(_ store: SweepStore, logger: Logger) async throws -> (QueueBenchLine, QueueBenchLine?, span: (start: Double, end: Double)) {
        let name = "noop-\(jobs)"
        let (spec, yaml, jobSpecs) = try Self.noopSweep(jobs: jobs, name: name)
        // The clock is the server's: from just before the submit to the last job's
        // finished_at (set by the statement that recorded it). So the completion check may
        // poll slowly: counting the sweep's succeeded jobs costs the server 3.5 ms per poll
        // with 20,000 jobs, which every 20 ms competed with what is measured, and 9 ms under
        // the run's full load (pg_stat_statements, 2026-12-07: 16 polls in 4 s, 1.8 % of this
        // 2-CPU machine at one poll every 250 ms). Once a second, the poll costs a quarter of that.
        let submitted = try await Self.serverClock(store)
        let record = try await store.enqueue(name: name, sourceFile: nil, yaml: yaml, spec: spec, jobs: jobSpecs)
        try await waitUntil(timeout: .seconds(600), every: .seconds(1), what: "the no-op jobs") {
            let done = try await store.count("SELECT count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(record.id) AND state = 'succeeded'")
            return done == Int64(jobs)
        }
        guard let finished = try await store.seconds("SELECT extract(epoch FROM max(finished_at))::float8 FROM sweep.jobs WHERE sweep_id = \(record.id)") else {
            throw CommandFailure("no finished_at for the no-op sweep")
        }
        let line = QueueBenchLine(what: "end to end: submit -> every no-op job recorded, \(workers) workers x \(slots) slots", count: jobs, seconds: finished - submitted, unit: "jobs/s")
        let middle = try await store.seconds("""
            SELECT extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (ORDER BY finished_at)
                                    - percentile_disc(0.1) WITHIN GROUP (ORDER BY finished_at))::float8
            FROM sweep.jobs WHERE sweep_id = \(record.id)
            """)
        let steady = middle.flatMap { seconds in
            seconds > 0 ? QueueBenchLine(what: "  the same, steady state: from 10 % to 90 % of the jobs recorded (no submit, ramp or tail)",
                                         count: Int((Double(jobs) * 0.8).rounded()), seconds: seconds, unit: "jobs/s") : nil
        }
        return (line, steady, (submitted, finished))
    }

    /// The server's clock, in seconds since 1970.
    private static func serverClock(_ store: SweepStore) async throws -> Double {
        guard let now = try await store.seconds("SELECT extract(epoch FROM clock_timestamp())::float8") else { throw CommandFailure("the server did not say the time") }
        return now
    }

    private func endToEndMetrics(_ store: SweepStore, logger: Logger) async throws -> QueueBenchLine {
        let name = "metrics-\(metricJobs)"
        let yaml = """
            name: \(name)
            method: grid
            kernel:
              name: synthetic-curve
              settings: {steps: \(metricSteps), values_per_step: \(valuesPerStep), step_ms: 0}
            parameters:
              i: {min: 1, max: \(metricJobs)}
            """
        let spec = try SweepFile.parse(text: yaml, file: "<\(name)>").spec
        let jobSpecs = try Expander.expand(spec).jobs
        let expected = Int64(metricJobs * metricSteps * valuesPerStep)
        let start = ContinuousClock.now
        let record = try await store.enqueue(name: name, sourceFile: nil, yaml: yaml, spec: spec, jobs: jobSpecs)
        try await waitUntil(timeout: .seconds(600), what: "the metric jobs") {
            let done = try await store.count("SELECT count(*)::bigint FROM sweep.jobs WHERE sweep_id = \(record.id) AND state = 'succeeded'")
            return done == Int64(metricJobs)
        }
        var stored: Int64 = 0
        try await waitUntil(timeout: .seconds(60), what: "the metric points") {
            stored = try await store.count("""
                SELECT count(*)::bigint FROM sweep.metrics m JOIN sweep.jobs j ON j.id = m.job_id WHERE j.sweep_id = \(record.id)
                """)
            return stored >= expected
        }
        let seconds = Self.seconds(ContinuousClock.now - start)
        guard stored == expected else { throw CommandFailure("stored \(stored) points, expected \(expected)") }
        return QueueBenchLine(what: "end to end: \(metricJobs) jobs x \(metricSteps) steps x \(valuesPerStep) values, submit -> every point stored", count: Int(stored), seconds: seconds, unit: "points/s")
    }

    private func waitUntil(timeout: Duration, every interval: Duration = .milliseconds(20), what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: interval)
        }
        throw CommandFailure("\(what) did not finish within \(timeout)")
    }

    static func noopSweep(jobs: Int, name: String) throws -> (SweepSpec, String, [JobSpec]) {
        let yaml = """
            name: \(name)
            method: grid
            kernel: noop
            parameters:
              i: {min: 1, max: \(jobs)}
            """
        let spec = try SweepFile.parse(text: yaml, file: "<\(name)>").spec
        return (spec, yaml, try Expander.expand(spec, options: ExpansionOptions(maxJobs: jobs)).jobs)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// One printed line of `sweep bench queue`.
struct QueueBenchLine: Sendable {
    var what: String
    var count: Int
    var seconds: Double
    var unit: String
    var ratio: Double?
    var vs: String?

    var rate: Double { Double(count) / seconds }

    func withRatio(to baseline: QueueBenchLine) -> QueueBenchLine {
        var line = self
        line.ratio = rate / baseline.rate
        line.vs = baseline.what
        return line
    }

    static func printTable(_ lines: [QueueBenchLine]) {
        print("\n| what | N | seconds | per second | ratio | vs |")
        print("|---|---:|---:|---:|---:|---|")
        for line in lines {
            let perSecond = line.unit.hasPrefix("x ") ? String(format: "%.1f %@", line.ratio ?? 0, line.unit) : String(format: "%.0f %@", line.rate, line.unit)
            let ratio = line.unit.hasPrefix("x ") ? "" : line.ratio.map { String(format: "%.2f", $0) } ?? ""
            print("| \(line.what) | \(line.count) | \(String(format: "%.3f", line.seconds)) | \(perSecond) | \(ratio) | \(line.vs ?? "") |")
        }
    }
}

extension SweepStore {
    /// The first column of the first row of a statement returning one count.
    func seconds(_ query: PostgresQuery) async throws -> Double? {
        for try await value in try await client.query(query).decode(Double?.self) { return value }
        return nil
    }

    func count(_ query: PostgresQuery) async throws -> Int64 {
        for try await value in try await client.query(query).decode(Int64.self) { return value }
        return 0
    }
}
