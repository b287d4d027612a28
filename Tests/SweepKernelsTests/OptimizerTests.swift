import Testing
@testable import SweepKernels

/// The update rules against hand-computed steps (PyTorch's formulas), and the schedules.
@Suite("Optimizers and schedules")
struct OptimizerTests {
    static func step(_ settings: OptimizerSettings, parameters: [Double], gradients: [[Double]], learningRate: Double) -> [Double] {
        let optimizer = Optimizer<Double>(settings: settings, parameterCount: parameters.count)
        let values = Buffer(parameters)
        for gradient in gradients {
            optimizer.step(parameters: values, gradients: Buffer(gradient), learningRate: learningRate)
        }
        return values.array
    }

    @Test func sgdWithMomentumAccumulatesVelocity() {
        var settings = OptimizerSettings()
        settings.kind = .sgd
        settings.momentum = 0.5
        settings.weightDecay = 0.1
        // v1 = g1 + λp0 = 1 + 0.2 = 1.2; p1 = 2 − 0.1·1.2 = 1.88
        // v2 = 0.5·1.2 + (1 + 0.188) = 1.788; p2 = 1.88 − 0.1·1.788 = 1.7012
        let result = Self.step(settings, parameters: [2], gradients: [[1], [1]], learningRate: 0.1)
        #expect(abs(result[0] - 1.7012) < 1e-12)
    }

    @Test func adamFirstStepMovesByTheLearningRate() {
        let result = Self.step(OptimizerSettings(), parameters: [1, -1], gradients: [[0.3, -20]], learningRate: 0.01)
        #expect(abs(result[0] - 0.99) < 1e-7)
        #expect(abs(result[1] + 0.99) < 1e-7)
    }

    @Test func adamWDecaysParametersDirectlyAndAdamThroughTheGradient() {
        var settings = OptimizerSettings()
        settings.weightDecay = 0.5
        settings.kind = .adamw
        // AdamW: p ← p(1 − lr·λ) then the Adam step with g = 0 leaves it there.
        let decoupled = Self.step(settings, parameters: [2], gradients: [[0]], learningRate: 0.1)
        #expect(abs(decoupled[0] - 1.9) < 1e-12)
        settings.kind = .adam
        // Adam: g = 0 + λp = 1, so the first step moves by lr.
        let coupled = Self.step(settings, parameters: [2], gradients: [[0]], learningRate: 0.1)
        #expect(abs(coupled[0] - 1.9) < 1e-6)
        let twoSteps = Self.step(settings, parameters: [2], gradients: [[0], [0]], learningRate: 0.1)
        #expect(twoSteps[0] < 1.9)
    }

    @Test func warmupRisesLinearlyToTheBase() {
        let schedule = LearningRateSchedule(kind: .constant, base: 1, warmupSteps: 4, totalSteps: 10)
        #expect((0..<6).map { schedule.rate(at: $0) } == [0.25, 0.5, 0.75, 1, 1, 1])
    }

    @Test func cosineAndLinearEndAtTheMinimum() {
        let cosine = LearningRateSchedule(kind: .cosine, base: 1, minimum: 0.1, warmupSteps: 2, totalSteps: 13)
        #expect(cosine.rate(at: 2) == 1)
        #expect(abs(cosine.rate(at: 7) - 0.55) < 1e-12)
        #expect(abs(cosine.rate(at: 12) - 0.1) < 1e-12)
        let linear = LearningRateSchedule(kind: .linear, base: 1, totalSteps: 11)
        #expect(abs(linear.rate(at: 5) - 0.5) < 1e-12)
        #expect(abs(linear.rate(at: 10)) < 1e-12)
    }
}
