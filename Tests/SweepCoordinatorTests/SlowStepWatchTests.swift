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

    @Test("a slow step is named while it runs and when it ends")
    func slowStepIsNamed() async throws {
        let captured = Captured()
        await SlowStepWatch(logger: captured.logger, threshold: .milliseconds(50)).run("writing the last reports") {
            try? await Task.sleep(for: .milliseconds(400))
        }
        let lines = captured.lines.withLock { $0 }
        #expect(lines.contains("warning: coordinator still stopping writing the last reports"))
        #expect(lines.last == "warning: slow shutdown step writing the last reports")
        // No warning after the step ended.
        let count = lines.count
        try await Task.sleep(for: .milliseconds(150))
        #expect(captured.lines.withLock { $0.count } == count)
    }
}
