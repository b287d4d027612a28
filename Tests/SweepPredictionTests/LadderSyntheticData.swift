import Foundation
import SweepPrediction

/// Points drawn from known laws with seeded multiplicative noise, for the ladder tests.
enum LadderSyntheticData {
    /// Hoffmann et al.'s (2022) fitted Chinchilla law, used as the truth.
    static let truth = LossLaw(form: .joint, irreducibleLoss: 1.69, terms: [
        PowerLawTerm(variable: .parameters, coefficient: 406.4, exponent: 0.34),
        PowerLawTerm(variable: .tokens, coefficient: 410.7, exponent: 0.28),
    ])
    /// A loss → accuracy link in the shape Bhagia et al. (2024) report.
    static let link = AccuracyLink(scale: 0.6, steepness: -3, midpoint: 3.2, offset: 0.25)

    static let sizes = [1e7, 2e7, 5e7, 1e8, 2e8, 4e8]
    static let tokensPerParameter = [5.0, 10, 20, 40, 80]

    /// One point per size × tokens-per-parameter, loss × exp(noise·u) with u uniform in [−1, 1].
    static func points(noise: Double, accuracyNoise: Double = 0, seed: UInt64 = 1, law: LossLaw = truth) -> [LadderObservation] {
        var generator = TestGenerator(seed: seed)
        var result: [LadderObservation] = []
        for size in sizes {
            for ratio in tokensPerParameter {
                let tokens = size * ratio
                let loss = law.loss(parameters: size, tokens: tokens)! * exp(noise * generator.uniform())
                let accuracy = link.accuracy(loss: loss) + accuracyNoise * generator.uniform()
                result.append(LadderObservation(parameters: size, tokens: tokens, loss: loss, accuracy: accuracy, run: "\(size)-\(ratio)"))
            }
        }
        return result
    }
}

/// A small seeded generator (64-bit LCG) for reproducible test noise.
struct TestGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// Uniform in [−1, 1].
    mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
}
