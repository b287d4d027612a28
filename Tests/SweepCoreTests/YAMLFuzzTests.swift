import Foundation
import SweepCore
import Testing

/// A seeded generator of malformed sweep files: the example sweeps of sweeps/ mutated line
/// by line and character by character (spans deleted, lines duplicated, swapped or
/// re-indented, YAML-significant characters inserted, files truncated), plus random
/// documents. Each must either decode or fail with diagnostics that all carry a position
/// (line and column from 1) and a message: no crash, no hang. SWEEP_FUZZ_DOCUMENTS sets the
/// count (default 100,000).
@Suite("Sweep file fuzzing")
struct YAMLFuzzTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static var count: Int {
        ProcessInfo.processInfo.environment["SWEEP_FUZZ_DOCUMENTS"].flatMap(Int.init) ?? 100_000
    }

    /// The example sweeps, read from the repository's sweeps/ folder.
    static let seeds: [String] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("sweeps")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().compactMap { try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
    }()

    static let significant = Array(":-[]{}#&*!|>'\"%@`,? \t\n0123456789.eE~")

    static func mutate(_ text: String, _ random: inout SplitMix64) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            guard !lines.isEmpty else { lines = [""]; continue }
            let l = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<8, using: &random) {
            case 0: lines.remove(at: l)
            case 1: lines.insert(lines[l], at: l)
            case 2: lines.swapAt(l, Int.random(in: 0..<lines.count, using: &random))
            case 3: lines[l] = String(repeating: " ", count: Int.random(in: 0...8, using: &random)) + lines[l].drop { $0 == " " }
            case 4:
                var characters = Array(lines[l])
                let at = Int.random(in: 0...characters.count, using: &random)
                characters.insert(contentsOf: (0..<Int.random(in: 1...4, using: &random)).map { _ in significant[Int.random(in: 0..<significant.count, using: &random)] }, at: at)
                lines[l] = String(characters)
            case 5:
                var characters = Array(lines[l])
                if !characters.isEmpty {
                    let start = Int.random(in: 0..<characters.count, using: &random)
                    characters.removeSubrange(start..<min(characters.count, start + Int.random(in: 1...10, using: &random)))
                }
                lines[l] = String(characters)
            case 6: lines = Array(lines.prefix(l))
            default:
                let scalars = (0..<Int.random(in: 1...12, using: &random)).map { _ in Character(UnicodeScalar(UInt8.random(in: 1...127, using: &random))) }
                lines[l] += String(scalars)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The first crash the stream found: a quoted scalar continued on a line of spaces only.
    @Test func quotedScalarOverABlankLine() throws {
        let spec = try SweepFile.parse(text: "name: \"a\n   \nb\"\nprogram: t.py\nmethod: grid\nparameters: {x: {values: [1]}}\n", file: "q.yaml").spec
        #expect(spec.name == "a\nb")
    }

    @Test("a seeded stream of mutated and random sweep files never crashes or hangs, and every error has a position", .timeLimit(.minutes(15)))
    func mutatedDocuments() async throws {
        try #require(Self.seeds.count >= 6, "the example sweeps are the seeds")
        var random = SplitMix64(state: 0xD0C5_5EED)
        var valid = 0, invalid = 0
        for index in 0..<Self.count {
            // A long CPU-bound loop on the cooperative pool (two threads here) starves the
            // tests that run beside it; yielding now and then lets them go on.
            if index % 100 == 0 { await Task.yield() }
            let text: String
            if index % 20 == 19 {
                text = String((0..<Int.random(in: 0...200, using: &random)).map { _ in Self.significant[Int.random(in: 0..<Self.significant.count, using: &random)] })
            } else {
                text = Self.mutate(Self.seeds[index % Self.seeds.count], &random)
            }
            do {
                _ = try SweepFile.parse(text: text, file: "fuzz-\(index).yaml")
                valid += 1
            } catch {
                invalid += 1
                let diagnostics = error.diagnostics.errors
                if diagnostics.isEmpty {
                    Issue.record("document \(index) was refused without an error diagnostic:\n\(text)")
                }
                for diagnostic in diagnostics where diagnostic.location.line < 1 || diagnostic.location.column < 1 || diagnostic.message.isEmpty {
                    Issue.record("document \(index): a diagnostic without a position or message: \(diagnostic)\n\(text)")
                }
            }
        }
        #expect(valid + invalid == Self.count)
        #expect(invalid > Self.count / 10)
        print("sweep file fuzzing: \(Self.count) documents, \(valid) decoded, \(invalid) refused with positioned errors")
    }
}
