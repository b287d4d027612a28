import Foundation
@testable import SweepPrediction
import Testing

@Suite struct CurveFamilyTests {
    /// Normalised parameters of a curve from each family over steps 1…50 (u = step/50,
    /// t = step), chosen to look like real learning curves.
    static let knownParameters: [CurveFamily: [Double]] = [
        .constant: [0.7],
        .pow3: [0.9, 0.1, 0.6],
        .pow4: [0.9, 0.2, 0.05, 0.8],
        .logPower: [0.1, 0.8, log(0.2), 2],
        .exp3: [0.9, 0.8, log(5)],
        .exp4: [0.9, 0.8, log(4), 0.7],
        .janoschek: [0.9, 0.1, log(4), 0.7],
        .weibull: [0.9, 0.1, log(5), 0.8],
        .mmf: [0.9, 0.1, log(8), 1.5],
        .ilog2: [1, 0.5],
        .vaporPressure: [0.1, 0.5, -3, 0.2],
        .logLogLinear: [0.2, 0.3, log(0.5)],
    ]

    @Test func everyFamilyHasKnownParameters() {
        #expect(Set(Self.knownParameters.keys) == Set(CurveFamily.allCases))
        for (family, parameters) in Self.knownParameters {
            #expect(parameters.count == family.parameterCount)
        }
    }

    @Test(arguments: CurveFamily.allCases)
    func formulaMatchesItsDocumentation(family: CurveFamily) {
        let θ = Self.knownParameters[family]!
        for step in [1.0, 7, 50, 130] {
            let u = step / 50, t = step
            let expected: Double = switch family {
            case .constant: θ[0]
            case .pow3: θ[0] - θ[1] * pow(u, -θ[2])
            case .pow4: θ[0] - θ[1] * pow(u + θ[2], -θ[3])
            case .logPower: θ[0] + θ[1] / (1 + exp(-θ[3] * (log(u) - θ[2])))
            case .exp3: θ[0] - θ[1] * exp(-exp(θ[2]) * u)
            case .exp4: θ[0] - θ[1] * exp(-exp(θ[2]) * pow(u, θ[3]))
            case .janoschek: θ[0] - (θ[0] - θ[1]) * exp(-exp(θ[2]) * pow(u, θ[3]))
            case .weibull: θ[0] - (θ[0] - θ[1]) * exp(-pow(exp(θ[2]) * u, θ[3]))
            case .mmf: θ[0] - (θ[0] - θ[1]) / (1 + pow(exp(θ[2]) * u, θ[3]))
            case .ilog2: θ[0] - θ[1] / log(t + 1)
            case .vaporPressure: θ[0] + θ[1] * exp(θ[2] / t + θ[3] * log(t))
            case .logLogLinear: θ[0] + θ[1] * log(log(t) + exp(θ[2]))
            }
            let value = family.value(at: StepCoordinates(u: u, span: 50), parameters: θ)
            #expect(abs(value - expected) < 1e-12 * max(1, abs(expected)), "\(family) at step \(step)")
        }
    }

    @Test(arguments: CurveFamily.allCases)
    func analyticGradientMatchesFiniteDifferences(family: CurveFamily) {
        var random = SeededRandom(seed: 11)
        let bounds = family.bounds
        for _ in 0..<20 {
            let θ = Self.knownParameters[family]!.enumerated().map { index, value in
                bounds.clamp(value + random.uniform(-0.1, 0.1), at: index)
            }
            for u in [0.02, 0.31, 1, 2.7] {
                let point = StepCoordinates(u: u, span: 50)
                var gradient = [Double](repeating: 0, count: family.parameterCount)
                _ = family.value(at: point, parameters: θ, gradient: &gradient)
                for j in θ.indices {
                    let h = 1e-6 * max(1, abs(θ[j]))
                    var up = θ, down = θ
                    up[j] += h
                    down[j] -= h
                    let numeric = (family.value(at: point, parameters: up) - family.value(at: point, parameters: down)) / (2 * h)
                    #expect(abs(gradient[j] - numeric) < 1e-6 * max(1, abs(numeric)), "\(family) ∂/∂\(family.parameterNames[j]) at u \(u)")
                }
            }
        }
    }

    @Test(arguments: CurveFamily.allCases)
    func recoversExactSyntheticCurve(family: CurveFamily) throws {
        let truth = Self.knownParameters[family]!
        let curve = { (step: Double) in family.value(at: StepCoordinates(u: step / 50, span: 50), parameters: truth) }
        let points = (1...50).map { CurvePoint(step: Double($0), value: curve(Double($0))) }
        var configuration = CurvePredictor.Configuration()
        configuration.loss = .squared
        configuration.startsPerFamily = 3
        configuration.solver.maximumIterations = 500
        configuration.solver.costTolerance = 1e-15
        configuration.solver.parameterTolerance = 1e-12
        let fit = try #require(CurvePredictor(configuration: configuration).fit(points, direction: .maximize, family: family).fit)
        let member = fit.bestMember
        #expect(member.family == family)
        #expect(member.weight == 1)
        #expect(member.rootMeanSquareError < 1e-6)
        for step in [1.0, 10, 50, 100, 200] {
            #expect(abs(member.value(at: step) - curve(step)) < 1e-4, "\(family) at step \(step)")
        }
        // Shape parameters (past the offset and scale) do not depend on the value scaling.
        for index in 2..<max(2, truth.count) {
            #expect(abs(member.parameters[index] - truth[index]) < 1e-3 * max(1, abs(truth[index])), "\(family) \(family.parameterNames[index])")
        }
        if let asymptote = family.normalisedAsymptote(truth), family != .constant {
            #expect(abs(try #require(member.asymptote) - asymptote) < 1e-4, "\(family) asymptote")
        }
    }
}
