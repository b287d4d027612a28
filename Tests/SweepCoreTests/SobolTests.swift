import Foundation
@testable import SweepCore
import Testing

@Suite("Sobol sequence")
struct SobolTests {
    @Test func unscrambledPointsMatchSciPy() throws {
        let url = Support.fixtures.appendingPathComponent("valid/sobol-scipy-64x256.txt")
        let rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(rows.count == 256)
        var sequence = SobolSequence(dimensions: 64, scrambleSeed: nil)
        for (index, row) in rows.enumerated() {
            let expected = row.split(separator: " ").map { Double(UInt64($0)!) * 0x1.0p-32 }
            let point = sequence.next()
            #expect(point == expected, "point \(index) differs from SciPy's")
            if point != expected { break }
        }
    }

    @Test("scrambled points keep the stratification of the sequence", arguments: [UInt64(1), 42, 9_999])
    func scrambledStratification(seed: UInt64) {
        // The first 2^k points of a (scrambled) Sobol sequence put exactly one point in each
        // interval [i/2^k, (i+1)/2^k) of every coordinate.
        let k = 8
        var sequence = SobolSequence(dimensions: 12, scrambleSeed: seed)
        let points = (0..<(1 << k)).map { _ in sequence.next() }
        for dimension in 0..<12 {
            let cells = Set(points.map { Int($0[dimension] * Double(1 << k)) })
            #expect(cells.count == 1 << k, "dimension \(dimension) is not stratified")
        }
        // Two-dimensional projections of the first two coordinates are stratified on a 16×16 grid.
        let pairs = Set(points.map { Int($0[0] * 16) * 16 + Int($0[1] * 16) })
        #expect(pairs.count == 256)
    }

    @Test func scramblingDependsOnTheSeedAndIsDeterministic() {
        var a = SobolSequence(dimensions: 4, scrambleSeed: 5)
        var b = SobolSequence(dimensions: 4, scrambleSeed: 5)
        var c = SobolSequence(dimensions: 4, scrambleSeed: 6)
        let pointsA = (0..<32).map { _ in a.next() }
        #expect(pointsA == (0..<32).map { _ in b.next() })
        #expect(pointsA != (0..<32).map { _ in c.next() })
        #expect(pointsA.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 < 1 } })
    }
}
