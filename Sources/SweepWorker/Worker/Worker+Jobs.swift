import Foundation
import Logging
import SweepCore
import SweepWire
#if canImport(Glibc)
import Glibc
#endif

/// Starting, watching and ending attempts.
extension Worker {
    func accept(_ assign: Assign) {
        let id = assign.attempt
        guard running[id] == nil else { return }  // a repeated ASSIGN: already running
        let freeGPUs = configuration.gpus.filter { !usedGPUs.contains($0) }
        guard !draining, assign.slots <= freeSlots, assign.gpus <= freeGPUs.count else {
            counters.refused += 1
            sendReliable { AttemptResult(seq: $0, attempt: id, outcome: .released, exitStatus: nil, error: "no free slot", logTail: nil, finalMetrics: [:]).message }
            return
        }
        let gpus = Array(freeGPUs.prefix(assign.gpus))
        usedGPUs.formUnion(gpus)
        var attempt = RunningAttempt(slots: assign.slots, gpus: gpus)
        attempt.logTail = LogTail(limit: configuration.logTailBytes)
        counters.assigned += 1
        let sink = eventSink
        switch assign.work {
        case .command(let argv):
            do {
                let directory = try prepareDirectory(for: assign)
                var environment = ProcessInfo.processInfo.environment
                environment["SWEEP_JOB_ID"] = "\(id.job)"
                environment["SWEEP_ATTEMPT"] = "\(id.attempt)"
                environment["SWEEP_SEED"] = "\(assign.seed)"
                environment["SWEEP_SWEEP_ID"] = "\(assign.sweep)"
                environment["SWEEP_PARAMS_JSON"] = assign.params.canonicalJSON
                environment["SWEEP_PARAMS_FILE"] = directory + "/params.json"
                environment["SWEEP_WORKDIR"] = directory
                environment["PYTHONUNBUFFERED"] = "1"
                if !configuration.gpus.isEmpty || !gpus.isEmpty {
                    environment["CUDA_VISIBLE_DEVICES"] = gpus.map(String.init).joined(separator: ",")
                }
                let paramsFile = directory + "/params.json"
                let resolved = argv.map { $0.replacingOccurrences(of: WireProtocol.paramsFilePlaceholder, with: paramsFile) }
                attempt.process = try ChildProcess(
                    argv: resolved, directory: configuration.projectDirectory, environment: environment,
                    output: { sink.yield(.output(id, $0)) }, onExit: { sink.yield(.exited(id, $0)) })
            } catch {
                usedGPUs.subtract(gpus)
                counters.failed += 1
                sendReliable { AttemptResult(seq: $0, attempt: id, outcome: .failed, exitStatus: nil, error: "could not start: \(error)", logTail: nil, finalMetrics: [:]).message }
                return
            }
        case .kernel(let name, let settings):
            guard let kernel = kernels.kernel(named: name) else {
                usedGPUs.subtract(gpus)
                counters.failed += 1
                sendReliable { AttemptResult(seq: $0, attempt: id, outcome: .failed, exitStatus: nil, error: "this worker has no kernel '\(name)' (it has \(kernels.names.joined(separator: ", ")))", logTail: nil, finalMetrics: [:]).message }
                return
            }
            let stopFlag = StopFlag()
            attempt.stopFlag = stopFlag
            let context = KernelContext(params: assign.params, settings: settings, seed: assign.seed, maxSteps: assign.maxSteps, stopFlag: stopFlag) { step, values in
                sink.yield(.kernelReport(id, step, values))
            }
            Task.detached {
                do {
                    let final = try await kernel.run(context)
                    sink.yield(.kernelFinished(id, final, nil))
                } catch {
                    sink.yield(.kernelFinished(id, nil, "\(error)"))
                }
            }
        }
        running[id] = attempt
        startedSequences[id] = sendReliable { Started(seq: $0, attempt: id).message }
    }

    /// The attempt's working directory, with the parameters written to params.json.
    private func prepareDirectory(for assign: Assign) throws -> String {
        let directory = "\(configuration.workDirectory)/\(assign.attempt.job)-\(assign.attempt.attempt)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(assign.params.canonicalJSON.utf8).write(to: URL(fileURLWithPath: directory + "/params.json"))
        return directory
    }

    func stop(_ request: StopRequest) {
        guard var attempt = running[request.attempt], attempt.stopReason == nil else { return }
        attempt.stopReason = request.reason
        let grace = request.graceMilliseconds > 0 ? Duration.milliseconds(request.graceMilliseconds) : configuration.defaultStopGrace
        attempt.killAt = ContinuousClock.now + grace
        attempt.process?.signal(SIGTERM)
        attempt.stopFlag?.set()
        running[request.attempt] = attempt
        logger.info("stopping attempt", metadata: ["sweep.job.id": "\(request.attempt.job)", "sweep.stop.reason": "\(request.reason)"])
    }

    func escalateStops(now: ContinuousClock.Instant) {
        for (id, attempt) in running {
            if let killAt = attempt.killAt, now >= killAt, let process = attempt.process, !process.hasExited {
                process.signal(SIGKILL)
                running[id]?.killAt = nil
            }
        }
    }

    func handle(_ event: Event) {
        switch event {
        case .output(let id, let output):
            guard running[id] != nil else { return }
            switch output {
            case .metrics(let line):
                record(line: line, of: id, fallbackToLog: false)
            case .stdout(let line):
                record(line: line, of: id, fallbackToLog: true)
            case .stderr(let line):
                running[id]?.logTail.append(line)
            }
        case .kernelReport(let id, let step, let values):
            add(values.map { MetricBatch.Point(step: step, name: $0.key, value: $0.value) }, to: id)
        case .exited(let id, let status):
            guard let attempt = running[id] else { return }
            if attempt.stopReason != nil {
                finish(id, outcome: .stopped, exitStatus: Int(status), error: nil)
            } else if status == 0 {
                finish(id, outcome: .succeeded, exitStatus: 0, error: nil)
            } else {
                let lastLine = attempt.logTail.value.split(separator: "\n").last.map(String.init) ?? ""
                let reason = status > 128 ? "killed by signal \(status - 128)" : "exit status \(status)"
                finish(id, outcome: .failed, exitStatus: Int(status), error: lastLine.isEmpty ? reason : "\(reason): \(lastLine.prefix(500))")
            }
        case .kernelFinished(let id, let final, let error):
            guard let attempt = running[id] else { return }
            if let final { for (name, value) in final where value.isFinite { running[id]?.finalValues[name] = value } }
            if attempt.stopReason != nil {
                finish(id, outcome: .stopped, exitStatus: nil, error: nil)
            } else if let error {
                finish(id, outcome: .failed, exitStatus: nil, error: error)
            } else {
                finish(id, outcome: .succeeded, exitStatus: nil, error: nil)
            }
        }
    }

    /// A JSON object with an integer `step` is a metric record; anything else is log output.
    private func record(line: String, of id: AttemptID, fallbackToLog: Bool) {
        let trimmed = line.drop { $0 == " " }
        if trimmed.first == "{", let points = Self.metricPoints(in: String(trimmed)) {
            add(points, to: id)
        } else if fallbackToLog || !line.isEmpty {
            running[id]?.logTail.append(line)
        }
    }

    /// The points of one metrics line, or nil when it is not one. Python's `NaN` and
    /// `Infinity` are read (json.dumps writes them), and only those values are left out.
    static func metricPoints(in line: String) -> [MetricBatch.Point]? {
        guard case .object(let object)? = try? ParamValue(json: line, allowingNonFinite: true),
              case .int(let step)? = object["step"], step >= 0 else { return nil }
        var points: [MetricBatch.Point] = []
        for (name, value) in object where name != "step" {
            if case .bool = value { continue }
            if let number = value.numberValue, number.isFinite { points.append(MetricBatch.Point(step: step, name: name, value: number)) }
        }
        return points
    }

    private func add(_ points: [MetricBatch.Point], to id: AttemptID) {
        guard !points.isEmpty, running[id] != nil else { return }
        for point in points { running[id]!.finalValues[point.name] = point.value }
        if running[id]!.pendingPoints.isEmpty { running[id]!.pendingSince = ContinuousClock.now }
        running[id]!.pendingPoints.append(contentsOf: points)
        if running[id]!.pendingPoints.count >= configuration.metricBatchPoints { flush(id) }
    }

    func flushMetrics(olderThan age: Duration, now: ContinuousClock.Instant) {
        for (id, attempt) in running where !attempt.pendingPoints.isEmpty {
            if let since = attempt.pendingSince, now - since >= age { flush(id) }
        }
    }

    private func flush(_ id: AttemptID) {
        guard let points = running[id]?.pendingPoints, !points.isEmpty else { return }
        running[id]!.pendingPoints.removeAll(keepingCapacity: true)
        running[id]!.pendingSince = nil
        var start = 0
        while start < points.count {
            let batch = Array(points[start..<min(start + configuration.metricBatchPoints, points.count)])
            sendReliable { MetricBatch(seq: $0, attempt: id, points: batch).message }
            start += configuration.metricBatchPoints
        }
    }

    /// Sends the attempt's last metrics, then its RESULT, and frees its slots.
    private func finish(_ id: AttemptID, outcome: AttemptResult.Outcome, exitStatus: Int?, error: String?) {
        flush(id)
        guard let attempt = running.removeValue(forKey: id) else { return }
        usedGPUs.subtract(attempt.gpus)
        let took = ContinuousClock.now - attempt.acceptedAt
        recentRunTime = .recentAverage(recentRunTime, adding: took)
        // A STARTED still waiting to be sent says nothing the RESULT does not: dropped (a
        // no-op job then costs ASSIGN, RESULT and one ACK).
        if let started = startedSequences.removeValue(forKey: id), unacknowledged[started]?.sentAt == nil {
            unacknowledged[started] = nil
        }
        switch outcome {
        case .succeeded: counters.succeeded += 1
        case .failed: counters.failed += 1
        case .stopped: counters.stopped += 1
        case .released: counters.refused += 1
        }
        let tail = attempt.logTail.value
        let sequence = sendReliable {
            AttemptResult(seq: $0, attempt: id, outcome: outcome, exitStatus: exitStatus, error: error,
                          logTail: tail.isEmpty ? nil : tail, finalMetrics: attempt.finalValues,
                          runMilliseconds: took.milliseconds).message
        }
        if unacknowledged[sequence] != nil { unreportedEnds[sequence] = id }
    }
}
