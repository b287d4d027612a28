import SweepCore
import Testing
@testable import SweepKernels

/// Analytic gradients of every layer, activation and loss against central finite
/// differences, in double precision (through cblas_dgemm).
@Suite("Gradient checks")
struct GradientCheckTests {
    static let step = 1e-6
    static let tolerance = 1e-6

    static func randomValues(_ count: Int, seed: UInt64, awayFromZero: Bool = false) -> [Double] {
        var random = RandomSource(seed: seed)
        return (0..<count).map { _ in
            let value = random.nextGaussian()
            return awayFromZero && abs(value) < 0.1 ? value + (value < 0 ? -0.2 : 0.2) : value
        }
    }

    /// Compares `analytic` with the central difference of `loss` over each entry of `values`.
    static func expectClose(analytic: [Double], values: Buffer<Double>, loss: () -> Double, _ what: String) {
        #expect(analytic.count == values.count)
        var worst = 0.0
        for index in 0..<values.count {
            let saved = values[index]
            values[index] = saved + step
            let up = loss()
            values[index] = saved - step
            let down = loss()
            values[index] = saved
            let numeric = (up - down) / (2 * step)
            worst = max(worst, abs(numeric - analytic[index]) / max(1, abs(numeric), abs(analytic[index])))
        }
        #expect(worst < tolerance, "\(what): worst relative error \(worst)")
    }

    @Test func denseLayerGradientsMatchFiniteDifferences() {
        let layer = DenseLayer(inputs: 4, outputs: 5, weightOffset: 0, biasOffset: 20)
        let batch = 3
        let parameters = Buffer(Self.randomValues(layer.parameterCount, seed: 1))
        let input = Buffer(Self.randomValues(batch * 4, seed: 2))
        let weights = Self.randomValues(batch * 5, seed: 3)   // L = Σ weights ⊙ output
        let output = Buffer<Double>(count: batch * 5)
        func loss() -> Double {
            layer.forward(parameters: parameters.pointer, input: input.pointer, output: output.pointer, batch: batch)
            return (0..<output.count).reduce(0) { $0 + weights[$1] * output[$1] }
        }
        let gradients = Buffer<Double>(count: layer.parameterCount)
        let inputGradient = Buffer<Double>(count: batch * 4)
        weights.withUnsafeBufferPointer { outputGradient in
            layer.backward(parameters: parameters.pointer, input: input.pointer, outputGradient: outputGradient.baseAddress!,
                           gradients: gradients.pointer, inputGradient: inputGradient.pointer, batch: batch)
        }
        Self.expectClose(analytic: gradients.array, values: parameters, loss: loss, "dense W and b")
        Self.expectClose(analytic: inputGradient.array, values: input, loss: loss, "dense input")
    }

    @Test(arguments: Activation.allCases)
    func activationGradientMatchesFiniteDifferences(_ activation: Activation) {
        let count = 40
        // Away from zero so that the finite difference never straddles relu's kink.
        let input = Buffer(Self.randomValues(count, seed: 4, awayFromZero: true).map { $0 * 2 })
        let weights = Self.randomValues(count, seed: 5)
        let output = Buffer<Double>(count: count)
        func loss() -> Double {
            activation.forward(input.pointer, output.pointer, count: count)
            return (0..<count).reduce(0) { $0 + weights[$1] * output[$1] }
        }
        _ = loss()
        let gradient = Buffer(weights)
        activation.backward(input: input.pointer, output: output.pointer, gradient: gradient.pointer, count: count)
        Self.expectClose(analytic: gradient.array, values: input, loss: loss, "\(activation)")
    }

    @Test func activationsHaveTheirTextbookValues() {
        let input = Buffer<Double>([-1, 0, 2])
        let output = Buffer<Double>(count: 3)
        Activation.relu.forward(input.pointer, output.pointer, count: 3)
        #expect(output.array == [0, 0, 2])
        Activation.sigmoid.forward(input.pointer, output.pointer, count: 3)
        #expect(abs(output[1] - 0.5) < 1e-12)
        Activation.gelu.forward(input.pointer, output.pointer, count: 3)
        #expect(abs(output[2] - 1.9544997361036416) < 1e-12)
        Activation.tanh.forward(input.pointer, output.pointer, count: 3)
        #expect(abs(output[0] + 0.7615941559557649) < 1e-12)
    }

    @Test func softmaxCrossEntropyGradientMatchesFiniteDifferences() {
        let batch = 4, classes = 6
        let logits = Buffer(Self.randomValues(batch * classes, seed: 6).map { $0 * 3 })
        let labels: [Int32] = [0, 5, 2, 2]
        func loss() -> Double {
            labels.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.evaluate(logits: logits.pointer, labels: $0.baseAddress!, classes: classes, batch: batch, gradient: nil).lossSum / Double(batch)
            }
        }
        let gradient = Buffer<Double>(count: batch * classes)
        _ = labels.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.evaluate(logits: logits.pointer, labels: $0.baseAddress!, classes: classes, batch: batch, gradient: gradient.pointer)
        }
        Self.expectClose(analytic: gradient.array, values: logits, loss: loss, "softmax cross-entropy")
    }

    @Test func crossEntropyOfUniformLogitsIsLogOfClassCount() {
        let logits = Buffer<Double>(count: 2 * 10)
        let labels: [Int32] = [3, 7]
        let outcome = labels.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.evaluate(logits: logits.pointer, labels: $0.baseAddress!, classes: 10, batch: 2, gradient: nil)
        }
        #expect(abs(outcome.lossSum / 2 - Double.logarithm(10)) < 1e-12)
    }

    @Test(arguments: Activation.allCases)
    func wholeNetworkGradientMatchesFiniteDifferences(_ activation: Activation) {
        let shape = MLPShape(inputs: 5, width: 7, depth: 2, outputs: 3, activation: activation)
        let network = MLP<Double>(shape: shape)
        var random = RandomSource(seed: 7)
        network.initialize(random: &random)
        for index in shape.layers.flatMap({ $0.biasOffset..<($0.biasOffset + $0.outputs) }) {
            network.parameters[index] = random.nextGaussian() * 0.1
        }
        let batch = 4
        let input = Buffer(Self.randomValues(batch * 5, seed: 8))
        let labels: [Int32] = [0, 1, 2, 1]
        let logitGradient = Buffer<Double>(count: batch * 3)
        func loss(gradient: UnsafeMutablePointer<Double>? = nil) -> Double {
            let logits = network.forward(input.pointer, batch: batch)
            return labels.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.evaluate(logits: logits, labels: $0.baseAddress!, classes: 3, batch: batch, gradient: gradient).lossSum / Double(batch)
            }
        }
        _ = loss(gradient: logitGradient.pointer)
        network.backward(input: input.pointer, logitGradient: logitGradient.pointer, batch: batch)
        let analytic = network.gradients.array
        Self.expectClose(analytic: analytic, values: network.parameters, loss: { loss() }, "MLP with \(activation)")
    }

    @Test func parameterCountIsWeightsPlusBiases() {
        #expect(MLPShape(inputs: 784, width: 1024, depth: 2, outputs: 10, activation: .relu).parameterCount == 784 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 10 + 10)
        #expect(MLPShape(inputs: 64, width: 8, depth: 0, outputs: 10, activation: .relu).parameterCount == 64 * 10 + 10)
    }
}
