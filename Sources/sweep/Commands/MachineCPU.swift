import Foundation
import Synchronization

/// The machine's CPU time by kind, in clock ticks, from the `cpu` line of /proc/stat (Linux):
/// what the benchmarks print so that a figure carries how much of the machine it had. On a
/// virtual machine the hypervisor may run other guests on the same cores; the time it took
/// while this guest had work is `steal`.
struct MachineCPU: Sendable, Equatable {
    /// user + nice + system + irq + softirq.
    var busy: UInt64
    /// idle + iowait.
    var idle: UInt64
    /// Time the hypervisor gave to others while this machine had work to run.
    var steal: UInt64

    /// Clock ticks per second of /proc/stat (USER_HZ, 100 on Linux).
    static let ticksPerSecond = 100.0

    /// Parses the aggregate line of /proc/stat: `cpu  user nice system idle iowait irq softirq
    /// steal guest guest_nice` (kernels before 2.6.11 have no steal field: then 0).
    init?(procStat text: String) {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().map { UInt64($0) }
        guard values.count >= 7, !values.contains(nil) else { return nil }
        let field = values.map { $0 ?? 0 }
        busy = field[0] + field[1] + field[2] + field[5] + field[6]
        idle = field[3] + field[4]
        steal = field.count > 7 ? field[7] : 0
    }

    init(busy: UInt64, idle: UInt64, steal: UInt64) {
        self.busy = busy
        self.idle = idle
        self.steal = steal
    }

    /// This machine now; nil where there is no /proc/stat.
    static func now() -> MachineCPU? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return MachineCPU(procStat: text)
    }

    /// The shares of all CPU time between `before` and this reading: busy, idle and stolen sum
    /// to 1. Nil when no tick passed.
    func shares(since before: MachineCPU) -> Shares? {
        guard busy >= before.busy, idle >= before.idle, steal >= before.steal else { return nil }
        let busy = Double(self.busy - before.busy), idle = Double(self.idle - before.idle), steal = Double(self.steal - before.steal)
        let total = busy + idle + steal
        guard total > 0 else { return nil }
        return Shares(busy: busy / total, idle: idle / total, stolen: steal / total)
    }

    /// Parts of the machine's CPU time over an interval.
    struct Shares: Sendable, Equatable {
        var busy: Double
        var idle: Double
        var stolen: Double

        /// `busy 84 %, idle 15 %, stolen 1 %`.
        var description: String {
            String(format: "busy %.0f %%, idle %.0f %%, stolen by the hypervisor %.0f %%", busy * 100, idle * 100, stolen * 100)
        }
    }
}

/// Reads /proc/stat every `interval` while a benchmark runs, so that the machine's shares can
/// be told afterwards for any stretch of it, such as the span between a submit and the last
/// job's end taken from the database.
final class MachineCPUSampler: Sendable {
    private let samples = Mutex<[(time: Double, cpu: MachineCPU)]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts sampling (nothing happens where there is no /proc/stat).
    func start(every interval: Duration = .milliseconds(100)) {
        let started = Task.detached { [self] in
            while !Task.isCancelled {
                if let cpu = MachineCPU.now() {
                    let time = Date().timeIntervalSince1970
                    self.samples.withLock { $0.append((time, cpu)) }
                }
                try? await Task.sleep(for: interval)
            }
        }
        task.withLock { $0 = started }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    /// The machine's shares between two wall-clock times (seconds since 1970): from the last
    /// sample at or before `start` to the first at or after `end`. Nil without such samples.
    func shares(from start: Double, to end: Double) -> MachineCPU.Shares? {
        samples.withLock { samples in Self.shares(in: samples, from: start, to: end) }
    }

    static func shares(in samples: [(time: Double, cpu: MachineCPU)], from start: Double, to end: Double) -> MachineCPU.Shares? {
        guard let first = samples.last(where: { $0.time <= start }), let last = samples.first(where: { $0.time >= end }) else { return nil }
        return last.cpu.shares(since: first.cpu)
    }
}

/// Readings of /proc/stat taken at chosen moments (such as the start and the end of a
/// benchmark's measured interval, from a callback).
final class MachineCPUMarks: Sendable {
    private let marks = Mutex<[MachineCPU]>([])

    /// Reads /proc/stat now (nothing where there is none).
    func mark() {
        guard let cpu = MachineCPU.now() else { return }
        marks.withLock { $0.append(cpu) }
    }

    /// The shares between the first and the last mark.
    var shares: MachineCPU.Shares? {
        marks.withLock { marks in
            guard let first = marks.first, let last = marks.last else { return nil }
            return last.shares(since: first)
        }
    }
}
