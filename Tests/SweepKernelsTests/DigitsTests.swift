import Foundation
import Testing
@testable import SweepKernels

/// The carried digits: complete, equal to data/digits/digits.txt, split as documented.
@Suite("Digits data")
struct DigitsTests {
    @Test func carriesEveryImage() {
        let data = Digits.all
        #expect(data.count == 1797)
        #expect(data.inputs.count == 1797 * 64)
        #expect(data.inputs.allSatisfy { $0 >= 0 && $0 <= 1 })
        var perClass = [Int](repeating: 0, count: 10)
        for label in data.labels { perClass[Int(label)] += 1 }
        #expect(perClass == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    }

    @Test func theCarriedCopyEqualsTheDataFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data/digits/digits.txt")
        let text = try String(contentsOf: file, encoding: .utf8)
        let same = text == Digits.embeddedText
        #expect(same, "run data/digits/make-digits.py after changing digits.txt")
    }

    @Test func theSplitIsFixed() {
        let split = Digits.split
        #expect(split.train.count == 1437)
        #expect(split.validation.count == 360)
        #expect(split.train.labels[0] == 0)
        #expect(Array(split.validation.labels.prefix(3)) == Array(Digits.all.labels[1437..<1440]))
    }
}
