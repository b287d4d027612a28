import Testing
@testable import SweepWorker

/// `LogTail`: the end of a job's output, bounded.
@Suite("Log tail")
struct LogTailTests {
    @Test func shortOutputIsKeptWhole() {
        var tail = LogTail(limit: 1_000)
        tail.append("first")
        tail.append("")
        tail.append("third line")
        #expect(tail.value == "first\n\nthird line\n")
    }

    @Test func longOutputKeepsTheLastBytesWithinTheLimit() {
        var tail = LogTail(limit: 1_000)
        for index in 0..<10_000 { tail.append("line \(index)") }
        let value = tail.value
        #expect(value.utf8.count <= 1_000)
        #expect(value.utf8.count >= 900)
        #expect(value.hasSuffix("line 9998\nline 9999\n"))
        #expect(!value.contains("line 0\n"))
    }

    @Test func memoryStaysBoundedAsOutputGrows() {
        var tail = LogTail(limit: 4_096)
        let line = String(repeating: "x", count: 1_000)
        for _ in 0..<5_000 {
            tail.append(line)
            #expect(tail.text.utf8.count <= 2 * 4_096 + 1_001)
        }
    }

    @Test func aSingleLineLongerThanTheLimitIsCutToItsEnd() {
        var tail = LogTail(limit: 100)
        tail.append(String(repeating: "a", count: 500) + "END")
        #expect(tail.value.utf8.count <= 100)
        #expect(tail.value.hasSuffix("END\n"))
    }

    @Test func multiByteCharactersAreNeverSplitIntoInvalidText() {
        var tail = LogTail(limit: 101)
        for _ in 0..<1_000 { tail.append("ü😀é") }
        let value = tail.value
        #expect(value.utf8.count <= 101)
        #expect(!value.contains("\u{FFFD}"))
        #expect(value.hasSuffix("ü😀é\n"))
    }
}
