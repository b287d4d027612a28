/// A fully connected layer `output = input · W + b`, with `W` stored row-major as
/// `inputs × outputs` and `b` as `outputs`, both inside the network's flat parameter buffer.
public struct DenseLayer: Sendable, Equatable {
    /// Input features.
    public let inputs: Int
    /// Output features.
    public let outputs: Int
    /// Where `W` starts in the parameter buffer.
    public let weightOffset: Int
    /// Where `b` starts in the parameter buffer.
    public let biasOffset: Int

    /// Parameters of the layer: weights and biases.
    public var parameterCount: Int { inputs * outputs + outputs }

    /// `output = input · W + b` for `batch` rows.
    func forward<Scalar: KernelScalar>(
        parameters: UnsafePointer<Scalar>, input: UnsafePointer<Scalar>, output: UnsafeMutablePointer<Scalar>, batch: Int
    ) {
        let bias = parameters + biasOffset
        for row in 0..<batch {
            (output + row * outputs).update(from: bias, count: outputs)
        }
        Scalar.gemm(transposeA: false, transposeB: false, m: batch, n: outputs, k: inputs,
                    alpha: 1, a: input, lda: inputs, b: parameters + weightOffset, ldb: outputs,
                    beta: 1, c: output, ldc: outputs)
    }

    /// Given `outputGradient` (∂L/∂output, `batch × outputs`), sets ∂L/∂W and ∂L/∂b in
    /// `gradients` (overwriting them) and, when `inputGradient` is given, ∂L/∂input.
    func backward<Scalar: KernelScalar>(
        parameters: UnsafePointer<Scalar>, input: UnsafePointer<Scalar>, outputGradient: UnsafePointer<Scalar>,
        gradients: UnsafeMutablePointer<Scalar>, inputGradient: UnsafeMutablePointer<Scalar>?, batch: Int
    ) {
        Scalar.gemm(transposeA: true, transposeB: false, m: inputs, n: outputs, k: batch,
                    alpha: 1, a: input, lda: inputs, b: outputGradient, ldb: outputs,
                    beta: 0, c: gradients + weightOffset, ldc: outputs)
        let biasGradient = gradients + biasOffset
        biasGradient.update(from: outputGradient, count: outputs)
        for row in 1..<max(batch, 1) {
            let source = outputGradient + row * outputs
            for column in 0..<outputs { biasGradient[column] += source[column] }
        }
        if let inputGradient {
            Scalar.gemm(transposeA: false, transposeB: true, m: batch, n: inputs, k: outputs,
                        alpha: 1, a: outputGradient, lda: outputs, b: parameters + weightOffset, ldb: outputs,
                        beta: 0, c: inputGradient, ldc: inputs)
        }
    }
}
