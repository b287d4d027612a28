import Foundation
import Testing

extension SystemTests {
    /// The block of docs/sweep-yaml.md that follows `marker`, without its two-space indent
    /// (it sits in a list item), up to its closing fence.
    static func indentedBlock(in document: String, after marker: String) throws -> [String] {
        guard let start = document.range(of: marker) else { throw Failure("docs/sweep-yaml.md lost its \(marker.debugDescription) block") }
        var lines: [String] = []
        for line in document[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            if line.trimmingCharacters(in: .whitespaces) == "```" { return lines }
            lines.append(line.hasPrefix("  ") ? String(line.dropFirst(2)) : String(line))
        }
        throw Failure("docs/sweep-yaml.md: the block after \(marker.debugDescription) is never closed")
    }

    @Test("The `sweep validate` example of docs/sweep-yaml.md prints exactly what the page shows")
    func documentedValidationOutput() async throws {
        let document = try Self.repositoryFile("docs/sweep-yaml.md")
        let yaml = try Self.indentedBlock(in: document, after: "(`make test` checks that this output is what `sweep validate` prints):\n\n  ```yaml")
        let shown = try Self.indentedBlock(in: document, after: "```text\n  $ sweep validate sweeps/lr.yaml; echo \"exit $?\"")
        var template = Array("/tmp/sweep-doc-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/sweeps", withIntermediateDirectories: true)
        try (yaml.joined(separator: "\n") + "\n").write(toFile: "\(directory)/sweeps/lr.yaml", atomically: true, encoding: .utf8)
        let process = try ManagedProcess(
            name: "validate", argv: [Cluster.sweepBinary, "validate", "\(directory)/sweeps/lr.yaml"], environment: [:],
            logFile: "\(directory)/validate.log")
        let status = try #require(await process.waitForExit(timeout: .seconds(60)), "sweep validate did not finish")
        let printed = (try String(contentsOfFile: "\(directory)/validate.log", encoding: .utf8))
            .replacingOccurrences(of: "\(directory)/", with: "")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        #expect(printed + ["exit \(status)"] == shown)
    }
}
