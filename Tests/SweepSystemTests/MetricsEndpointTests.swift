import Foundation
import SweepWire
import Testing

extension SystemTests {
    /// The samples of a Prometheus text exposition, keyed by name and label set as printed
    /// (`name` or `name{code="x"}`); comment lines must be `# HELP` or `# TYPE`.
    static func samples(in exposition: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in exposition.split(separator: "\n") {
            if line.hasPrefix("#") {
                #expect(line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE "), "\(line)")
                continue
            }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw Failure("not a sample line: \(line)")
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test("--metrics-bind serves the coordinator's and a worker's counters and gauges to Prometheus; refused messages are counted by code")
    func coordinatorServesMetrics() async throws {
        try await Cluster.run { cluster in
            let metricsPort = try Cluster.freePort()
            try await cluster.startCoordinator(extraArguments: ["--metrics-bind", "127.0.0.1:\(metricsPort)"])
            let workerMetricsPort = try Cluster.freePort()
            try cluster.startWorker("w1", slots: 2, extraArguments: ["--metrics-bind", "127.0.0.1:\(workerMetricsPort)"])
            let sweep = try await cluster.submit("measured", yaml: SweepFiles.syntheticCurve(jobs: 20, steps: 3))
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(60)) == ["succeeded": 20])

            let context = try ZMQContext()
            let raw = try RawPeer.worker("raw", connectingTo: cluster.endpoint, context: context)
            defer { raw.close() }
            for garbage in Garbage.cases {
                raw.send(frames: garbage.frames)
                _ = try #require(await raw.next(within: .seconds(10)), "no answer to \(garbage.name)")
            }

            let answer = try HTTPClient.request(port: metricsPort, path: "/metrics")
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let samples = try Self.samples(in: answer.body)
            #expect(samples["sweep_coordinator_results_total"] == 20)
            #expect(samples["sweep_coordinator_assigned_total"] == 20)
            #expect(samples["sweep_coordinator_metric_points_total"] == 60, "20 jobs × 3 steps × 1 value")
            #expect(samples["sweep_coordinator_stale_reports_total"] == 0)
            #expect(samples["sweep_coordinator_workers"] == 1, "the raw peer never said a valid HELLO")
            #expect(samples["sweep_coordinator_slots"] == 2 && samples["sweep_coordinator_free_slots"] == 2)
            #expect(samples["sweep_coordinator_attempts_assigned"] == 0)
            var expected: [String: Double] = [:]
            for garbage in Garbage.cases { expected["sweep_coordinator_malformed_messages_total{code=\"\(garbage.code)\"}", default: 0] += 1 }
            let counted = samples.filter { $0.key.hasPrefix("sweep_coordinator_malformed_messages_total") }
            #expect(counted == expected)
            let started = try #require(samples["sweep_coordinator_start_time_seconds"])
            #expect(abs(Date().timeIntervalSince1970 - started) < 600)
            // The worker's HELLO and at least one report (several may travel in one BATCH), and the garbage.
            #expect(try #require(samples["sweep_coordinator_messages_received_total"]) >= Double(2 + Garbage.cases.count))
            // Every claim and every write of results was timed.
            for call in ["claiming_jobs", "recording_results"] {
                let count = try #require(samples["sweep_coordinator_database_call_seconds_count{call=\"\(call)\"}"], "no timings of \(call)")
                #expect(count >= 1 && samples["sweep_coordinator_database_call_seconds_bucket{call=\"\(call)\",le=\"+Inf\"}"] == count)
            }
            #expect(samples["sweep_coordinator_database_calls_abandoned_total"] == 0)

            // The worker's own figures.
            let worker = try Self.samples(in: try HTTPClient.request(port: workerMetricsPort, path: "/metrics").body)
            #expect(worker["sweep_worker_assigned_total"] == 20)
            #expect(worker["sweep_worker_attempts_ended_total{outcome=\"succeeded\"}"] == 20)
            #expect(worker["sweep_worker_attempts_ended_total{outcome=\"failed\"}"] == 0)
            #expect(worker["sweep_worker_connected"] == 1 && worker["sweep_worker_welcomes_total"] == 1)
            #expect(worker["sweep_worker_slots"] == 2 && worker["sweep_worker_used_slots"] == 0)
            #expect(worker["sweep_worker_unacknowledged_messages"] == 0 && worker["sweep_worker_attempts_running"] == 0)

            // Only GET (and HEAD) /metrics.
            #expect(try HTTPClient.request(port: metricsPort, path: "/").status == 404)
            #expect(try HTTPClient.request("POST", port: metricsPort, path: "/metrics").status == 405)
            #expect(try HTTPClient.request(port: metricsPort, path: "/metrics?name[]=x").status == 200)

            // A second coordinator cannot take the port: it says so and exits.
            let clash = try await cluster.runToEnd("coordinator-clash", [
                "coordinator", "--bind", "tcp://127.0.0.1:\(try Cluster.freePort())", "--metrics-bind", "127.0.0.1:\(metricsPort)",
            ], timeout: .seconds(30))
            #expect(clash.status != 0 && clash.output.contains("cannot listen on 127.0.0.1:\(metricsPort)"), "\(clash.output)")
            let malformed = try await cluster.runToEnd("coordinator-bad-address", ["coordinator", "--metrics-bind", "9464"])
            #expect(malformed.status != 0 && malformed.output.contains("expected HOST:PORT"), "\(malformed.output)")
        }
    }

    @Test("--metrics-token-file: the coordinator's and a worker's metrics only for requests with the bearer token; a token file others can read, or one without --metrics-bind, is refused")
    func metricsNeedTheToken() async throws {
        try await Cluster.run { cluster in
            let token = "Tok3n-for-the-metrics_0123456789"
            let tokenFile = cluster.directory + "/metrics-token"
            try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
            #expect(chmod(tokenFile, 0o600) == 0)
            let metricsPort = try Cluster.freePort()
            try await cluster.startCoordinator(extraArguments: ["--metrics-bind", "127.0.0.1:\(metricsPort)", "--metrics-token-file", tokenFile])
            let workerMetricsPort = try Cluster.freePort()
            try cluster.startWorker("w1", slots: 1, extraArguments: ["--metrics-bind", "127.0.0.1:\(workerMetricsPort)", "--metrics-token-file", tokenFile])
            let sweep = try await cluster.submit("guarded", yaml: SweepFiles.sleep(jobs: 3, seconds: 0))
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(60)) == ["succeeded": 3])

            for port in [metricsPort, workerMetricsPort] {
                let bare = try HTTPClient.request(port: port, path: "/metrics")
                #expect(bare.status == 401)
                #expect(bare.headers["www-authenticate"] == #"Bearer realm="sweep""#)
                #expect(!bare.body.contains("sweep_"), "no figures without the token")
                #expect(try HTTPClient.request(port: port, path: "/metrics", headers: ["Authorization": "Bearer wrong-token-0123456789"]).status == 401)
                #expect(try HTTPClient.request(port: port, path: "/metrics", headers: ["Authorization": "Basic \(token)"]).status == 401)
                #expect(try HTTPClient.request(port: port, path: "/", headers: [:]).status == 401, "every path needs the token")
                let answer = try HTTPClient.request(port: port, path: "/metrics", headers: ["Authorization": "Bearer \(token)"])
                #expect(answer.status == 200)
                let samples = try Self.samples(in: answer.body)
                #expect(samples[port == metricsPort ? "sweep_coordinator_results_total" : "sweep_worker_assigned_total"] == 3)
            }

            // A token file other users can read: the command says so and exits.
            let open = cluster.directory + "/metrics-token-open"
            try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: open))
            #expect(chmod(open, 0o644) == 0)
            let readable = try await cluster.runToEnd("coordinator-open-token", [
                "coordinator", "--bind", "tcp://127.0.0.1:\(try Cluster.freePort())",
                "--metrics-bind", "127.0.0.1:\(try Cluster.freePort())", "--metrics-token-file", open,
            ], timeout: .seconds(30))
            #expect(readable.status != 0 && readable.output.contains(open) && readable.output.contains("readable by its owner alone"), "\(readable.output)")
            // A short token: refused with the file, line and column.
            let short = cluster.directory + "/metrics-token-short"
            try Data("short\n".utf8).write(to: URL(fileURLWithPath: short))
            #expect(chmod(short, 0o600) == 0)
            let weak = try await cluster.runToEnd("worker-short-token", [
                "worker", "--coordinator", cluster.endpoint, "--metrics-bind", "127.0.0.1:\(try Cluster.freePort())", "--metrics-token-file", short,
            ], timeout: .seconds(30))
            #expect(weak.status != 0 && weak.output.contains("\(short):1:1: the metrics token: expected 16 to 4096 characters, found 5"), "\(weak.output)")
            // A token without an endpoint.
            let alone = try await cluster.runToEnd("worker-token-alone", ["worker", "--coordinator", cluster.endpoint, "--metrics-token-file", tokenFile], timeout: .seconds(30))
            #expect(alone.status != 0 && alone.output.contains("--metrics-token-file needs --metrics-bind"), "\(alone.output)")
        }
    }

    @Test("A worker waiting for its coordinator keeps no HELLOs queued: when the coordinator comes, it joins once")
    func waitingWorkerJoinsOnce() async throws {
        try await Cluster.run { cluster in
            // HELLO goes at 0, 1, 3 and 7 s while nobody listens; a socket that queued them
            // would deliver all four at once.
            try cluster.startWorker("early", slots: 1)
            try await Task.sleep(for: .seconds(8))
            let metricsPort = try Cluster.freePort()
            try await cluster.startCoordinator(extraArguments: ["--metrics-bind", "127.0.0.1:\(metricsPort)"])
            var samples: [String: Double] = [:]
            try await cluster.waitUntil("the worker has joined", timeout: .seconds(20), poll: .milliseconds(200)) {
                samples = try Self.samples(in: try HTTPClient.request(port: metricsPort, path: "/metrics").body)
                return samples["sweep_coordinator_workers"] == 1
            }
            try await Task.sleep(for: .seconds(1))
            samples = try Self.samples(in: try HTTPClient.request(port: metricsPort, path: "/metrics").body)
            #expect(samples["sweep_coordinator_hellos_total"] == 1)
            let sweep = try await cluster.submit("after-wait", yaml: SweepFiles.sleep(jobs: 2, seconds: 0.1))
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(30)) == ["succeeded": 2])
        }
    }
}
