import Foundation
import PostgresNIO
import SweepCore
import Testing

extension SystemTests {
    /// Values a shell would split, expand or run.
    static let hostileValues = [
        "two words", "  leading and trailing  ", #"it's "quoted""#, "a;b; touch pwned-semicolon", "$(touch pwned-subshell)",
        "`touch pwned-backtick`", "$HOME ${PATH} $0", "*", "back\\slash", "", "--steps=99", "tab\there", "line\nbreak",
        "| cat > pwned-pipe", "&& touch pwned-and", "ünïcødé 😀", "-", "'",
    ]

    @Test("Parameter values with spaces, quotes, ;, $() and more reach the program as single literal arguments")
    func hostileParameterValuesArriveLiterally() async throws {
        try await Cluster.run { cluster in
            try await cluster.startCoordinator()
            try cluster.startWorker("w1", slots: 4)
            let yaml = """
                program: \(SweepFiles.quoted(SweepFiles.metricsProgram))
                command: ["${env}", "${interpreter}", "${program}", "--fixed=a b; $(c)", "${args}", "${args_json}"]
                method: grid
                metric: {name: loss, goal: minimize}
                parameters:
                  text:
                    values: [\(Self.hostileValues.map(SweepFiles.quoted).joined(separator: ", "))]
                  steps:
                    value: 2
                \(SweepFiles.quickRetries)

                """
            let sweep = try await cluster.submit("hostile", yaml: yaml)
            #expect(try await cluster.waitForSweeps([sweep], timeout: .seconds(60)) == ["succeeded": Self.hostileValues.count])

            let rows = try await cluster.client.query(
                "SELECT id, attempt, params->>'text' FROM sweep.jobs WHERE sweep_id = \(sweep) ORDER BY id", logger: Cluster.logger)
            var seen: [String] = []
            for try await (job, attempt, text) in rows.decode((Int64, Int32, String).self) {
                seen.append(text)
                let file = "\(cluster.workDirectory(of: "w1"))/\(job)-\(attempt)/received.json"
                let data = try #require(FileManager.default.contents(atPath: file), "the program wrote no \(file)")
                let received = try JSONDecoder().decode(Received.self, from: data)
                let params = ParamValue.object(["steps": .int(2), "text": .string(text)])
                #expect(Array(received.argv.prefix(3)) == ["--fixed=a b; $(c)", "--steps=2", "--text=\(text)"], "value \(text.debugDescription)")
                #expect(received.argv.count == 4, "value \(text.debugDescription): \(received.argv)")
                if received.argv.count == 4 {
                    #expect(try JSONDecoder().decode(ParamValue.self, from: Data(received.argv[3].utf8)) == params)
                }
                #expect(try JSONDecoder().decode(ParamValue.self, from: Data(received.params_json.utf8)) == params)
                #expect(received.job == "\(job)" && received.attempt == "\(attempt)")
                #expect(received.cwd == cluster.directory, "commands run in the worker's project directory")
            }
            #expect(seen.sorted() == Self.hostileValues.sorted(), "the values stored are those of the file")
            _ = try await cluster.expectComplete(sweep: sweep, jobs: Self.hostileValues.count, steps: 2, names: ["loss", "acc"])

            // Nothing was run by a shell.
            let everything = FileManager.default.enumerator(atPath: cluster.directory)?.allObjects as? [String] ?? []
            #expect(everything.filter { $0.contains("pwned") }.isEmpty, "\(everything.filter { $0.contains("pwned") })")
        }
    }
}

/// What Programs/metrics.py writes to received.json.
private struct Received: Decodable {
    var argv: [String]
    var params_json: String
    var job: String
    var attempt: String
    var cwd: String
}
