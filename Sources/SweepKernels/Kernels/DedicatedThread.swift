import Foundation

/// Runs CPU-bound kernel work on a thread of its own, so that a training loop that keeps a
/// core busy for minutes never occupies a thread of Swift's cooperative pool (which the
/// worker needs for heartbeats and reports).
enum DedicatedThread {
    /// The value `work` returns (or the error it throws), computed on a new thread.
    static func run<Value: Sendable>(name: String, _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try work() })
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
