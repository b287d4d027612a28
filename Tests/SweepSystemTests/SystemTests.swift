import Foundation
import SweepCore
import Testing

/// Sweep as people run it: `sweep coordinator`, `sweep worker` and `sweep submit` processes
/// talking over real ZeroMQ sockets to a real PostgreSQL server, checked through SQL. The
/// tests run one at a time: each starts several processes with sub-second liveness windows,
/// and two cores shared by several such tests would starve them into false alarms.
@Suite("System", .serialized, .timeLimit(.minutes(3)))
struct SystemTests {}

/// Sweep files for the system tests.
enum SweepFiles {
    /// `Programs/metrics.py` (a resource of this target): prints `steps` JSON metric lines
    /// (loss, acc) and records its argv.
    static let metricsProgram = Bundle.module.bundleURL.appendingPathComponent("Programs/metrics.py").path

    /// A YAML double-quoted scalar holding `text` exactly (JSON string syntax, which YAML
    /// accepts).
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    /// Retries at once: tests should not wait out the default 10 s backoff.
    static let quickRetries = "retries: {max_attempts: 3, backoff: 0s, max_backoff: 0s}"

    /// A command sweep over `x` = 1...jobs running metrics.py for `steps` steps, pausing
    /// `sleep` seconds after each.
    static func command(jobs: Int, steps: Int, sleep: Double = 0) -> String {
        """
        program: \(quoted(metricsProgram))
        method: grid
        metric: {name: loss, goal: minimize}
        parameters:
          x:
            values: [\((1...jobs).map(String.init).joined(separator: ", "))]
          steps:
            value: \(steps)
          sleep:
            value: \(sleep)
        \(quickRetries)

        """
    }

    /// A synthetic-curve kernel sweep over `x` = 1...jobs: `steps` steps of
    /// `valuesPerStep` metrics (val_loss, m1, m2, ...), `stepMilliseconds` apart.
    static func syntheticCurve(jobs: Int, steps: Int, valuesPerStep: Int = 1, stepMilliseconds: Int = 0) -> String {
        """
        kernel:
          name: synthetic-curve
          settings: {values_per_step: \(valuesPerStep), step_ms: \(stepMilliseconds)}
        method: grid
        metric: {name: val_loss, goal: minimize}
        max_steps: \(steps)
        parameters:
          x:
            values: [\((1...jobs).map(String.init).joined(separator: ", "))]
        \(quickRetries)

        """
    }

    /// A sleep kernel sweep: `jobs` jobs of `seconds` each.
    static func sleep(jobs: Int, seconds: Double) -> String {
        """
        kernel:
          name: sleep
          settings: {seconds: \(seconds)}
        method: grid
        parameters:
          x:
            values: [\((1...jobs).map(String.init).joined(separator: ", "))]
        \(quickRetries)

        """
    }
}
