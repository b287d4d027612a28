import Foundation
@testable import SweepCore
import Testing

/// Every distribution: support, log scales, quantization, determinism and rough moments.
@Suite("Distributions")
struct DistributionTests {
    /// Draws `count` values through the quantile function with a fixed stream.
    static func draw(_ distribution: Distribution, count: Int = 20_000, seed: UInt64 = 7) -> [ParamValue] {
        var random = RandomSource(seed: seed)
        return (0..<count).map { _ in distribution.value(atQuantile: random.nextOpenUnit()) }
    }

    static func numbers(_ values: [ParamValue]) -> [Double] {
        values.map { $0.numberValue! }
    }

    static func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
    static func standardDeviation(_ xs: [Double]) -> Double {
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    static let all: [Distribution] = [
        .constant(.string("adam")),
        .categorical(values: [.int(1), .string("b"), .double(0.5)], probabilities: nil),
        .categorical(values: [.int(1), .int(2), .int(3)], probabilities: [0.2, 0.0, 0.8]),
        .intUniform(min: -3, max: 4),
        .uniform(min: -1, max: 3),
        .logUniform(min: -9.21, max: -2.3),
        .logUniformValues(min: 1e-5, max: 0.1),
        .invLogUniform(min: 1, max: 5),
        .invLogUniformValues(min: 0.001, max: 1),
        .qUniform(min: 0, max: 1, q: 0.1),
        .qLogUniform(min: 2, max: 6, q: 8),
        .qLogUniformValues(min: 16, max: 4096, q: 16),
        .normal(mu: 2, sigma: 0.5),
        .qNormal(mu: 10, sigma: 3, q: 2),
        .logNormal(mu: 0, sigma: 0.25),
        .qLogNormal(mu: 3, sigma: 0.5, q: 1),
        .beta(a: 2, b: 5),
        .qBeta(a: 0.5, b: 0.5, q: 0.05),
    ]

    @Test("every draw lies in the declared support", arguments: all)
    func support(_ distribution: Distribution) {
        for value in Self.draw(distribution, count: 5_000) {
            #expect(distribution.contains(value), "\(value) drawn from \(distribution.name)")
        }
    }

    @Test("the same seed gives the same draws; another seed different ones", arguments: all)
    func determinism(_ distribution: Distribution) {
        let first = Self.draw(distribution, count: 200, seed: 1)
        #expect(first == Self.draw(distribution, count: 200, seed: 1))
        if distribution.isSampled {
            #expect(first != Self.draw(distribution, count: 200, seed: 2))
        }
    }

    @Test func uniformMomentsAndBounds() {
        let xs = Self.numbers(Self.draw(.uniform(min: -1, max: 3)))
        #expect(abs(Self.mean(xs) - 1) < 0.03)
        #expect(abs(Self.standardDeviation(xs) - 4 / 12.0.squareRoot()) < 0.03)
        #expect(xs.min()! >= -1 && xs.max()! <= 3)
    }

    @Test func intUniformCoversEveryIntegerEvenly() {
        let values = Self.draw(.intUniform(min: -3, max: 4))
        var counts: [Int64: Int] = [:]
        for case .int(let value) in values { counts[value, default: 0] += 1 }
        #expect(counts.keys.sorted() == Array(-3...4))
        for count in counts.values { #expect(abs(Double(count) / 20_000 - 1.0 / 8) < 0.01) }
    }

    @Test func logUniformTakesNaturalLogBounds() {
        // W&B: log_uniform draws exp(U(min, max)); the log of the draws is uniform on [min, max].
        let logs = Self.numbers(Self.draw(.logUniform(min: -9.21, max: -2.3))).map { log($0) }
        #expect(logs.min()! >= -9.21 - 1e-9 && logs.max()! <= -2.3 + 1e-9)
        #expect(abs(Self.mean(logs) - (-9.21 - 2.3) / 2) < 0.05)
    }

    @Test func logUniformValuesIsUniformInLogSpace() {
        let logs = Self.numbers(Self.draw(.logUniformValues(min: 1e-5, max: 0.1))).map { log10($0) }
        #expect(abs(Self.mean(logs) - (-3)) < 0.03)
        let belowMiddle = logs.filter { $0 < -3 }.count
        #expect(abs(Double(belowMiddle) / Double(logs.count) - 0.5) < 0.02)
    }

    @Test func invLogUniformIsTheReciprocalOfLogUniform() {
        let xs = Self.numbers(Self.draw(.invLogUniform(min: 1, max: 5)))
        let logsOfInverse = xs.map { log(1 / $0) }
        #expect(logsOfInverse.min()! >= 1 - 1e-9 && logsOfInverse.max()! <= 5 + 1e-9)
        #expect(abs(Self.mean(logsOfInverse) - 3) < 0.05)
        let values = Self.numbers(Self.draw(.invLogUniformValues(min: 0.001, max: 1)))
        #expect(values.min()! >= 0.001 && values.max()! <= 1)
    }

    @Test func quantizedDrawsAreExactMultiples() {
        let tenths = Self.draw(.qUniform(min: 0, max: 1, q: 0.1))
        let allowed = Set((0...10).map { Double($0) / 10 })
        for case .double(let value) in tenths { #expect(allowed.contains(value), "\(value) is not spelt as a tenth") }
        let widths = Self.draw(.qLogUniformValues(min: 16, max: 4096, q: 16))
        for value in widths {
            guard case .int(let width) = value else {
                Issue.record("an integer q gives integers, got \(value)")
                continue
            }
            #expect(width % 16 == 0 && width >= 16 && width <= 4096)
        }
    }

    @Test func normalMoments() {
        let xs = Self.numbers(Self.draw(.normal(mu: 2, sigma: 0.5)))
        #expect(abs(Self.mean(xs) - 2) < 0.02)
        #expect(abs(Self.standardDeviation(xs) - 0.5) < 0.02)
        let qs = Self.numbers(Self.draw(.qNormal(mu: 10, sigma: 3, q: 2)))
        #expect(abs(Self.mean(qs) - 10) < 0.1)
        #expect(qs.allSatisfy { $0.truncatingRemainder(dividingBy: 2) == 0 })
    }

    @Test func logNormalMoments() {
        let logs = Self.numbers(Self.draw(.logNormal(mu: 0, sigma: 0.25))).map { log($0) }
        #expect(abs(Self.mean(logs)) < 0.01)
        #expect(abs(Self.standardDeviation(logs) - 0.25) < 0.01)
    }

    @Test func betaMoments() {
        let xs = Self.numbers(Self.draw(.beta(a: 2, b: 5)))
        let a = 2.0, b = 5.0
        #expect(abs(Self.mean(xs) - a / (a + b)) < 0.01)
        let variance = a * b / ((a + b) * (a + b) * (a + b + 1))
        #expect(abs(Self.standardDeviation(xs) - variance.squareRoot()) < 0.01)
        #expect(xs.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func categoricalFollowsProbabilities() {
        let values = Self.draw(.categorical(values: [.int(1), .int(2), .int(3)], probabilities: [0.2, 0.0, 0.8]))
        let ones = values.filter { $0 == .int(1) }.count
        #expect(abs(Double(ones) / Double(values.count) - 0.2) < 0.015)
        #expect(!values.contains(.int(2)), "a value with probability 0 is never drawn")
    }

    @Test func gridEnumeration() {
        #expect(Distribution.intUniform(min: 2, max: 5).gridValues == [.int(2), .int(3), .int(4), .int(5)])
        #expect(Distribution.qUniform(min: 0, max: 0.3, q: 0.1).gridValues == [.double(0), .double(0.1), .double(0.2), .double(0.3)])
        #expect(Distribution.categorical(values: [.int(1), .int(1), .double(2)], probabilities: nil).gridValues == [.int(1), .double(2)])
        #expect(Distribution.uniform(min: 0, max: 1).gridCount == nil)
        #expect(Distribution.intUniform(min: Int64.min, max: Int64.max).gridCount == Int.max)
    }
}

/// The numerical special functions behind the quantiles.
@Suite("Special functions")
struct SpecialFunctionTests {
    @Test func normalQuantileMatchesReferenceValues() {
        // Reference values from scipy.stats.norm.ppf.
        #expect(abs(SpecialFunctions.normalQuantile(0.975) - 1.959963984540054) < 1e-12)
        #expect(abs(SpecialFunctions.normalQuantile(0.3) - -0.5244005127080409) < 1e-12)
        #expect(abs(SpecialFunctions.normalQuantile(1e-10) - -6.361340902404056) < 1e-9)
        #expect(SpecialFunctions.normalQuantile(0.5) == 0)
    }

    @Test func incompleteBetaAndItsInverse() {
        // Reference values from scipy.stats.beta.cdf / ppf.
        #expect(abs(SpecialFunctions.regularizedIncompleteBeta(0.2, a: 0.5, b: 0.5) - 0.2951672353008665) < 1e-12)
        #expect(abs(SpecialFunctions.betaQuantile(0.3, a: 2, b: 5) - 0.18180347131894917) < 1e-10)
        #expect(abs(SpecialFunctions.betaQuantile(0.9, a: 0.5, b: 0.5) - 0.9755282581475768) < 1e-10)
        for p in stride(from: 0.01, to: 1, by: 0.07) {
            let x = SpecialFunctions.betaQuantile(p, a: 3, b: 0.7)
            #expect(abs(SpecialFunctions.regularizedIncompleteBeta(x, a: 3, b: 0.7) - p) < 1e-10)
        }
    }
}
