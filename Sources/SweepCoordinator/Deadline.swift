import Foundation
import Logging
import Synchronization
import SweepCore

/// A database call that did not return in time. The call is abandoned (its task cancelled)
/// and the coordinator carries on as after any failed call: what it wrote is retried or
/// handed back, what it claimed is handed back once its workers do not list it.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var limit: Duration
    var description: String { "\(what) did not return within \(limit)" }
}

/// Runs `operation` and returns its result, or throws `DeadlineExceeded` once `limit` has
/// passed, whichever comes first, without waiting for an operation that ignores
/// cancellation. Seen in the fault drill: after a PostgreSQL restart, one claim never
/// returned, and with it the coordinator's only dispatch was stuck for good: no job was
/// handed out again while heartbeats kept every lease alive.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = Outcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.start(continuation)
            let work = Task {
                do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { outcome.finish(.failure(DeadlineExceeded(what: what, limit: limit))) }
            }
            // Whichever side finished, the other is told to stop: the timer after a result,
            // the call after the deadline or the caller's cancellation.
            outcome.onFinish { timer.cancel(); work.cancel() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// The one result a deadline's continuation is resumed with, from whichever side is first.
private final class Outcome<T: Sendable>: Sendable {
    private struct State: ~Copyable {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var done = false
        var onFinish: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if state.done { return state.result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Registers what to do once finished (at once, when it already is).
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.done { return true }
            state.onFinish = action
            return false
        }
        if now { action() }
    }

    /// Resumes with `result` unless already finished; returns whether this call finished it.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?)? in
            guard !state.done else { return nil }
            state.done = true
            state.result = result
            let taken = (state.continuation, state.onFinish)
            state.continuation = nil
            state.onFinish = nil
            return taken
        }
        guard let taken else { return false }
        taken.0?.resume(with: result)
        taken.1?()
        return true
    }
}

extension Coordinator {
    /// A database call of the hot loop, abandoned after `configuration.databaseCallLimit`
    /// with a warning.
    func bounded<T: Sendable>(_ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { counters.databaseCalls[what, default: DurationHistogram()].observe(ContinuousClock.now - start) }
        do {
            return try await withDeadline(configuration.databaseCallLimit, what, operation)
        } catch let error as DeadlineExceeded {
            counters.databaseCallsAbandoned += 1
            logger.warning("abandoned a database call", metadata: ["sweep.error": "\(error)"])
            throw error
        } catch {
            counters.databaseCallsFailed += 1
            throw error
        }
    }

    /// The `call` label of a database call's timing: its description in snake case
    /// ("claiming jobs" → `claiming_jobs`).
    static func callLabel(_ what: String) -> String {
        var label = ""
        for scalar in what.unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                label.unicodeScalars.append(scalar)
            } else if !label.isEmpty, !label.hasSuffix("_") {
                label += "_"
            }
        }
        while label.hasSuffix("_") { label.removeLast() }
        return label.lowercased()
    }
}
