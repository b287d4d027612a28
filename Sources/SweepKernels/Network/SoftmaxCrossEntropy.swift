/// Softmax followed by cross-entropy against integer class labels, averaged over the batch.
public enum SoftmaxCrossEntropy {
    /// The batch's summed loss and the number of rows whose largest logit is the label.
    public struct Outcome: Sendable, Equatable {
        /// Sum over rows of −log softmax(logits)[label].
        public var lossSum: Double
        /// Rows classified correctly (argmax equals the label).
        public var correct: Int
    }

    /// Evaluates `batch` rows of `classes` logits. When `gradient` is given it receives
    /// ∂(mean loss)/∂logits = (softmax − onehot) / batch.
    static func evaluate<Scalar: KernelScalar>(
        logits: UnsafePointer<Scalar>, labels: UnsafePointer<Int32>, classes: Int, batch: Int,
        gradient: UnsafeMutablePointer<Scalar>?
    ) -> Outcome {
        var outcome = Outcome(lossSum: 0, correct: 0)
        let scale = 1 / Scalar(batch)
        for row in 0..<batch {
            let rowLogits = logits + row * classes
            let label = Int(labels[row])
            var largest = rowLogits[0]
            var argmax = 0
            for column in 1..<max(classes, 1) where rowLogits[column] > largest {
                largest = rowLogits[column]
                argmax = column
            }
            if argmax == label { outcome.correct += 1 }
            var total: Scalar = 0
            for column in 0..<classes { total += Scalar.exponential(rowLogits[column] - largest) }
            let logTotal = Scalar.logarithm(total)
            outcome.lossSum += Double(logTotal - (rowLogits[label] - largest))
            if let gradient {
                let rowGradient = gradient + row * classes
                for column in 0..<classes {
                    rowGradient[column] = Scalar.exponential(rowLogits[column] - largest - logTotal) * scale
                }
                rowGradient[label] -= scale
            }
        }
        return outcome
    }
}
