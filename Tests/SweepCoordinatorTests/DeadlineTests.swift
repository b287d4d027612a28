import Foundation
import Synchronization
@testable import SweepCoordinator
import Testing

/// The bound on the hot loop's database calls: a call that never returns must not hold the
/// coordinator, even when it ignores cancellation.
@Suite("Deadlines")
struct DeadlineTests {
    struct Refused: Error, Equatable {}

    @Test("a call that returns in time gives its value or its error")
    func inTime() async throws {
        #expect(try await withDeadline(.seconds(5), "a quick call") { 42 } == 42)
        await #expect(throws: Refused.self) {
            try await withDeadline(.seconds(5), "a failing call") { () async throws -> Int in throw Refused() }
        }
    }

    /// A gate an operation waits at, deaf to cancellation, as a query stuck on a dead
    /// connection would be; only the test opens it.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.open { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
        var isOpen: Bool { state.withLock { $0.open } }
    }

    // No wall-clock bounds below: under a loaded parallel test run the timer itself can start
    // seconds late (CI, 2 CPUs). What must hold is that the error arrives while the call is
    // still hanging, which a deadline that waited for the call could never do.

    @Test("a call that ignores cancellation and hangs is abandoned at the deadline")
    func hangingCallIsAbandoned() async throws {
        let gate = Gate(), returned = Mutex(false)
        // A deadline that waited for the call would fail here after 30 s instead of hanging.
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) { gate.open() }
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100), "a hanging call") { () async -> Int in
                await gate.wait()
                returned.withLock { $0 = true }
                return 0
            }
        }
        #expect(!gate.isOpen && !returned.withLock { $0 }, "the deadline waited for the call")
        gate.open()
    }

    @Test("cancelling the caller ends the wait at once, and the abandoned call is cancelled")
    func callerCancelled() async throws {
        let gate = Gate(), sawCancel = Mutex(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) { gate.open() }
        let task = Task {
            try await withDeadline(.seconds(3600), "a long call") { () async -> Int in
                await gate.wait()
                sawCancel.withLock { $0 = Task.isCancelled }
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(!gate.isOpen)
        gate.open()
        // The call itself, still running, was told to stop.
        for _ in 0..<500 where !sawCancel.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sawCancel.withLock { $0 })
    }
}
