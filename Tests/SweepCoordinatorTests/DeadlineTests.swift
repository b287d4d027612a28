import Foundation
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

    @Test("a call that ignores cancellation and hangs is abandoned at the deadline")
    func hangingCallIsAbandoned() async throws {
        let start = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100), "a hanging call") { () async -> Int in
                // Not cancellable: resumes only after 3 s, as a query stuck on a dead
                // connection would (if ever).
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 3) { continuation.resume(returning: 0) }
                }
            }
        }
        let waited = ContinuousClock.now - start
        #expect(waited < .seconds(2), "waited \(waited)")
    }

    @Test("cancelling the caller ends the wait at once")
    func callerCancelled() async throws {
        let task = Task {
            try await withDeadline(.seconds(30), "a long call") { () async throws -> Int in
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - start < .seconds(2))
    }
}
