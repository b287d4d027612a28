import SweepCore
import SweepWire

/// An attempt the worker runs.
struct RunningAttempt {
    /// Slots it occupies.
    var slots: Int
    /// GPU indices given to it.
    var gpus: [Int]
    /// The child process of a command job.
    var process: ChildProcess?
    /// The stop flag of a kernel job.
    var stopFlag: StopFlag?
    /// Metric points not yet sent.
    var pendingPoints: [MetricBatch.Point] = []
    /// When the oldest pending point arrived.
    var pendingSince: ContinuousClock.Instant?
    /// Last value of each metric.
    var finalValues: [String: Double] = [:]
    /// The end of its output, bounded.
    var logTail = LogTail(limit: 64 * 1024)
    /// Set when a STOP arrived: why, and when to SIGKILL.
    var stopReason: String?
    var killAt: ContinuousClock.Instant?
    /// When the worker accepted it.
    var acceptedAt = ContinuousClock.now
}

/// The last `limit` bytes of a job's output, kept whole lines where possible.
struct LogTail {
    let limit: Int
    private(set) var text = ""
    private var bytes = 0

    init(limit: Int) { self.limit = limit }

    mutating func append(_ line: String) {
        text += line
        text += "\n"
        bytes += line.utf8.count + 1
        if bytes > limit * 2 {
            let excess = bytes - limit
            let cut = text.utf8.index(text.utf8.startIndex, offsetBy: excess)
            text = String(text[cut...])
            bytes = text.utf8.count
        }
    }

    /// At most `limit` bytes of the end, starting at a whole character (a cut inside one
    /// would decode as U+FFFD, longer than the bytes it replaces).
    var value: String {
        guard bytes > limit else { return text }
        return String(decoding: text.utf8.suffix(limit).drop { $0 & 0xC0 == 0x80 }, as: UTF8.self)
    }
}
