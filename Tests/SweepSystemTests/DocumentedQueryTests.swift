import Foundation
import Testing

/// docs/sql.md shows `sweep query` and `sweep results` commands with their output. This runs
/// every one of them, as written, against the current schema with the document's sweeps
/// submitted: a query that succeeds in the document must succeed and print the same
/// columns; a refusal must be refused with the same message. So a migration that renames a
/// view's column, or a change to the refusals, cannot leave the document behind.
extension SystemTests {
    /// One `$ sweep …` command of a document and the output shown under it.
    struct DocumentedCommand: CustomStringConvertible {
        var line: Int
        var arguments: [String]
        var output: [String]
        var description: String { "docs/sql.md:\(line): sweep \(arguments.joined(separator: " "))" }
    }

    /// A file of this repository, as text.
    static func repositoryFile(_ path: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The `$ sweep SUBCOMMAND …` commands inside the document's code blocks, for the given
    /// subcommands; a command may continue over several lines inside its quotes. Its output
    /// runs to the next command, a blank line or the end of the block.
    static func documentedCommands(in text: String, subcommands: Set<String>) throws -> [DocumentedCommand] {
        let lines = text.components(separatedBy: "\n")
        var commands: [DocumentedCommand] = []
        var inBlock = false
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("```") { inBlock.toggle(); index += 1; continue }
            guard inBlock, line.hasPrefix("$ sweep ") else { index += 1; continue }
            let start = index
            var source = String(line.dropFirst(2))
            var words = try shellWords(source)
            while words == nil, index + 1 < lines.count {
                index += 1
                source += "\n" + lines[index]
                words = try shellWords(source)
            }
            guard let words else { throw Failure("docs/sql.md:\(start + 1): a quote is never closed") }
            index += 1
            var output: [String] = []
            while index < lines.count, !lines[index].hasPrefix("$ "), !lines[index].hasPrefix("```"),
                  !lines[index].trimmingCharacters(in: .whitespaces).isEmpty {
                output.append(lines[index])
                index += 1
            }
            if words.count > 1, subcommands.contains(words[1]) {
                commands.append(DocumentedCommand(line: start + 1, arguments: Array(words.dropFirst()), output: output))
            }
        }
        return commands
    }

    /// The words sh would make of `text` (blanks, "double quotes" with \" \\ \$ \` escapes,
    /// 'single quotes', backslash escapes outside quotes); nil while a quote is still open.
    static func shellWords(_ text: String) throws -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            switch character {
            case " ", "\t", "\n":
                if inWord { words.append(word); word = ""; inWord = false }
            case "'":
                inWord = true
                guard let end = characters.firstIndex(of: "'") else { return nil }
                word += String(characters[..<end])
                characters = characters[(end + 1)...]
            case "\"":
                inWord = true
                var closed = false
                while let inner = characters.popFirst() {
                    if inner == "\"" { closed = true; break }
                    if inner == "\\", let next = characters.first, "\"\\$`\n".contains(next) {
                        characters.removeFirst()
                        if next != "\n" { word.append(next) }
                    } else {
                        word.append(inner)
                    }
                }
                if !closed { return nil }
            case "\\":
                guard let next = characters.popFirst() else { return nil }
                if next != "\n" { inWord = true; word.append(next) }
            case "|", ";", "&", "<", ">", "$", "`", "(", ")":
                throw Failure("shell syntax \(character) in a documented command: \(text)")
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// A line's cells: CSV by commas, a table by runs of blanks.
    static func cells(_ line: String, csv: Bool) -> [String] {
        csv ? line.split(separator: ",").map(String.init) : line.split(whereSeparator: { $0 == " " }).map(String.init)
    }

    @Test("Every `sweep query` and `sweep results` example of docs/sql.md runs as shown: its columns, or its refusal")
    func documentedQueriesRun() async throws {
        let commands = try Self.documentedCommands(in: try Self.repositoryFile("docs/sql.md"), subcommands: ["query", "results"])
        #expect(commands.count >= 30, "found only \(commands.count) commands in docs/sql.md")
        try await Cluster.run { cluster in
            // The document's sweeps: sweeps/wandb-grid.yaml, sweeps/ladder-width.yaml and its
            // nested-demo, whose parameters are the document's own YAML block.
            try await cluster.submit("grid-demo", yaml: try Self.repositoryFile("sweeps/wandb-grid.yaml"))
            try await cluster.submit("teacher-student-width-ladder", yaml: try Self.repositoryFile("sweeps/ladder-width.yaml"))
            let document = try Self.repositoryFile("docs/sql.md")
            let nestedStart = try #require(document.range(of: "```yaml\nparameters:\n  optimizer:\n"), "docs/sql.md lost nested-demo's YAML")
            let nestedEnd = try #require(document.range(of: "```", range: nestedStart.upperBound..<document.endIndex))
            let nested = String(document[document.index(nestedStart.lowerBound, offsetBy: 8)..<nestedEnd.lowerBound])
            try await cluster.submit("nested-demo", yaml: "program: \(SweepFiles.quoted(SweepFiles.metricsProgram))\nmethod: grid\n" + nested)

            for (number, command) in commands.enumerated() {
                let result = try await cluster.runToEnd("doc-\(number)", command.arguments)
                let printed = result.output.components(separatedBy: "\n")
                let expected = try #require(command.output.first, "\(command) shows no output")
                if expected.hasPrefix("Error: ") {
                    // "..." in the document stands for text left out.
                    let parts = expected.components(separatedBy: "...")
                    let matches = printed.contains { line in
                        guard line.hasPrefix(parts[0]), line.hasSuffix(parts[parts.count - 1]) else { return false }
                        var rest = line[...]
                        for part in parts {
                            guard let found = rest.range(of: part) else { return false }
                            rest = rest[found.upperBound...]
                        }
                        return true
                    }
                    #expect(result.status != 0 && matches, "\(command): the document shows\n\(expected)\nbut it printed (status \(result.status)):\n\(result.output)")
                } else if command.arguments.contains("json") {
                    #expect(result.status == 0 && result.output.contains("["), "\(command) printed (status \(result.status)):\n\(result.output)")
                } else {
                    let csv = command.arguments.contains("csv")
                    let header = Self.cells(expected, csv: csv)
                    #expect(result.status == 0 && printed.contains { Self.cells($0, csv: csv) == header },
                            "\(command): the document shows the columns \(header), but it printed (status \(result.status)):\n\(result.output)")
                }
            }
        }
    }
}
