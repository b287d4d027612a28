import Logging
import Synchronization
@testable import SweepCoordinator
import Testing

/// The coordinator's shutdown names a step that takes long, while it runs and when it ends.
@Suite("Slow shutdown steps")
struct SlowStepWatchTests {
    /// Keeps the messages logged through it.
    final class Captured: Sendable {
        let lines = Mutex<[String]>([])

        var logger: Logger {
            Logger(label: "test") { _ in Handler(captured: self) }
        }

        struct Handler: LogHandler {
            let captured: Captured
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace

            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            func log(event: LogEvent) {
                let step = event.metadata?["sweep.coordinator.step"].map { " \($0)" } ?? ""
                captured.lines.withLock { $0.append("\(event.level): \(event.message)\(step)") }
            }
        }
    }

    @Test("a quick step logs nothing")
    func quickStepIsQuiet() async {
        let captured = Captured()
        var ran = false
        await SlowStepWatch(logger: captured.logger, threshold: .seconds(5)).run("quick") { ran = true }
        #expect(ran)
        #expect(captured.lines.withLock { $0 }.isEmpty)
    }

    /// Runs the watch on an actor, as the coordinator does (the watch then runs on the same
    /// actor as the step, so it cannot speak after the step has ended).
    actor Host {
        func slowStep(_ captured: Captured, until line: String) async {
            let clock = ContinuousClock()
            let start = clock.now
            await SlowStepWatch(logger: captured.logger, threshold: .milliseconds(50)).run("writing the last reports") {
                // The step lasts until the watch has spoken (a loaded machine may run the
                // watch late: CI once took 4 s for a 400 ms sleep), at most 30 s.
                while !captured.lines.withLock({ $0.contains(line) }), clock.now - start < .seconds(30) {
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    @Test("a slow step is named while it runs and when it ends")
    func slowStepIsNamed() async throws {
        let captured = Captured()
        let stillStopping = "warning: coordinator still stopping writing the last reports"
        await Host().slowStep(captured, until: stillStopping)
        let lines = captured.lines.withLock { $0 }
        #expect(lines.contains(stillStopping))
        #expect(lines.last == "warning: slow shutdown step writing the last reports")
        // No warning after the step ended.
        let count = lines.count
        try await Task.sleep(for: .milliseconds(150))
        #expect(captured.lines.withLock { $0.count } == count)
    }
}
