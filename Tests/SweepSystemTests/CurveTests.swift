import Foundation
import PostgresNIO
import Testing

extension SystemTests {
    /// A CURVE coordinator admitting worker A's key only; worker B (a key not on the list)
    /// and worker C (no CURVE) are refused during the handshake and never get a job.
    @Test("CURVE: only the allow-listed worker gets jobs; a stranger's key and a plain worker are refused")
    func curveAdmitsOnlyAllowListedWorkers() async throws {
        try await Cluster.run { cluster in
            let keys = cluster.directory + "/keys"
            func generate(_ name: String) async throws -> String {
                let (status, output) = try await cluster.runToEnd("keys-\(name)", ["keys", "generate", "--out", keys, "--name", name])
                try #require(status == 0, "sweep keys generate failed: \(output)")
                // stdout (the key alone) and stderr (the files written) share the log.
                let key = try #require(output.split(separator: "\n").map(String.init).first { $0.count == 40 && !$0.contains(" ") },
                                       "no public key printed: \(output)")
                let file = try String(contentsOfFile: "\(keys)/\(name).key", encoding: .utf8)
                #expect(file.split(whereSeparator: \.isNewline).contains { $0 == key }, "the printed key is the one in \(name).key")
                return key
            }
            _ = try await generate("coordinator")
            let keyA = try await generate("a")
            let keyB = try await generate("b")
            let secretMode = try FileManager.default.attributesOfItem(atPath: "\(keys)/a.key_secret")[.posixPermissions] as? Int
            #expect(secretMode == 0o600)
            #expect(try String(contentsOfFile: "\(keys)/a.key", encoding: .utf8).contains(keyA))
            // Never overwritten.
            let again = try await cluster.runToEnd("keys-a-again", ["keys", "generate", "--out", keys, "--name", "a"])
            #expect(again.status != 0 && again.output.contains("never overwritten"), "\(again)")
            #expect(try String(contentsOfFile: "\(keys)/a.key", encoding: .utf8).contains(keyA))

            let allowList = "\(cluster.directory)/allow"
            try Data("# workers admitted\n\(keyA) worker-a\n".utf8).write(to: URL(fileURLWithPath: allowList))
            let coordinator = try await cluster.startCoordinator(extraArguments: [
                "--curve-secret-key", "\(keys)/coordinator.key_secret", "--curve-allow", allowList,
            ])
            func curveArguments(_ name: String) -> [String] {
                ["--curve-server-key", "\(keys)/coordinator.key", "--curve-secret-key", "\(keys)/\(name).key_secret"]
            }
            // A secret key that others may read is refused with advice, before connecting.
            let exposed = "\(keys)/exposed.key_secret"
            try FileManager.default.copyItem(atPath: "\(keys)/b.key_secret", toPath: exposed)
            chmod(exposed, 0o644)
            let refusedStart = try await cluster.runToEnd("worker-exposed", [
                "worker", "--coordinator", cluster.endpoint, "--id", "E", "--curve-server-key", "\(keys)/coordinator.key", "--curve-secret-key", exposed,
            ])
            #expect(refusedStart.status == 1 && refusedStart.output.contains("chmod 600"), "\(refusedStart)")

            try cluster.startWorker("A", slots: 2, extraArguments: curveArguments("a"))
            try cluster.startWorker("B", slots: 2, extraArguments: curveArguments("b"))
            try cluster.startWorker("C", slots: 2)
            let jobs = 12
            let sweep = try await cluster.submit("curve", yaml: """
                kernel: noop
                method: grid
                parameters:
                  x:
                    values: [\((1...jobs).map(String.init).joined(separator: ", "))]
                \(SweepFiles.quickRetries)

                """)
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(60)) == ["succeeded": jobs])
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker = 'A'", as: Int64.self) ?? 0 >= Int64(jobs))
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.attempts WHERE worker <> 'A'", as: Int64.self) == 0)
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.workers WHERE id IN ('B', 'C', 'E')", as: Int64.self) == 0)
            #expect(try await cluster.scalar("SELECT count(*)::bigint FROM sweep.workers WHERE id = 'A'", as: Int64.self) == 1)

            // The coordinator logged the refusal of B's key (B retries, so it is there by now).
            try await cluster.waitUntil("the coordinator logs B's refusal", timeout: .seconds(10)) {
                let log = coordinator.logTail(bytes: 1 << 22)
                return log.contains("refused a peer") && log.contains(keyB)
            } progress: { coordinator.logTail() }
            let lines = coordinator.logTail(bytes: 1 << 22).split(separator: "\n")
            #expect(lines.contains { $0.contains("admitted a worker's CURVE key") && $0.contains(keyA) })
            #expect(!lines.contains { $0.contains("refused") && $0.contains(keyA) }, "A was never refused")
        }
    }
}
