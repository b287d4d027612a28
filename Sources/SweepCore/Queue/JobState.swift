/// The life of a job, written once: every allowed change of state, as a pure type. The
/// database enforces the same table (migration 0001 loads it into `sweep.job_transitions`,
/// and a trigger refuses any other change; a test checks the two agree).
///
/// ```
/// queued ─claim─▶ leased ─start─▶ running ─▶ succeeded | stopped | failed | cancelled
///    ▲              │  └─release─┐   │ └─release─┐
///    │              ▼            ▼   ▼           ▼
///    └── retry ── failed ──exhaust──▶ dead     queued
/// ```
public enum JobState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting to be claimed (possibly not before `scheduled_at`).
    case queued
    /// Claimed by a worker under a lease; not yet started.
    case leased
    /// Running on a worker under a lease renewed by heartbeats.
    case running
    /// Finished successfully. Terminal.
    case succeeded
    /// The last attempt failed; waiting for its backoff before being queued again.
    case failed
    /// Stopped early by a policy (its curve is kept). Terminal.
    case stopped
    /// Cancelled by a user. Terminal.
    case cancelled
    /// Failed on every allowed attempt. Terminal.
    case dead

    /// Whether no further change is possible.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .stopped, .cancelled, .dead: true
        default: false
        }
    }

    /// Whether a worker holds a lease on the job.
    public var holdsLease: Bool {
        self == .leased || self == .running
    }
}

/// What can happen to a job.
public enum JobEvent: String, Sendable, Hashable, CaseIterable {
    /// A worker claims it (increments the attempt, the fencing token).
    case claim
    /// The worker reports that the attempt has started.
    case start
    /// The attempt finished successfully.
    case succeed
    /// The attempt failed (error, crash, lost worker, expired lease).
    case fail
    /// A stopping policy ended it early.
    case stop
    /// A user cancelled it.
    case cancel
    /// The worker handed the lease back unused (graceful shutdown); no failure is counted.
    case release
    /// The backoff after a failure has passed and attempts remain.
    case retry
    /// The backoff has passed but no attempt remains.
    case exhaust
}

extension JobState {
    /// Every allowed transition: the state machine in one table.
    public static let transitions: [JobState: [JobEvent: JobState]] = [
        .queued: [.claim: .leased, .cancel: .cancelled],
        .leased: [.start: .running, .succeed: .succeeded, .fail: .failed, .stop: .stopped, .cancel: .cancelled, .release: .queued],
        .running: [.succeed: .succeeded, .fail: .failed, .stop: .stopped, .cancel: .cancelled, .release: .queued],
        .failed: [.retry: .queued, .exhaust: .dead, .cancel: .cancelled],
        .succeeded: [:],
        .stopped: [:],
        .cancelled: [:],
        .dead: [:],
    ]

    /// The state after `event`, or nil when the event is not allowed in this state.
    public func applying(_ event: JobEvent) -> JobState? {
        Self.transitions[self]?[event]
    }

    /// The allowed (from, to) pairs, as the database's trigger checks them.
    public static var allowedPairs: Set<Pair> {
        var pairs = Set<Pair>()
        for (from, events) in transitions {
            for to in events.values { pairs.insert(Pair(from: from, to: to)) }
        }
        return pairs
    }

    /// A change of state.
    public struct Pair: Hashable, Sendable, CustomStringConvertible {
        /// The state before.
        public var from: JobState
        /// The state after.
        public var to: JobState

        /// Creates a pair.
        public init(from: JobState, to: JobState) {
            self.from = from
            self.to = to
        }

        /// `queued→leased`.
        public var description: String { "\(from.rawValue)→\(to.rawValue)" }
    }
}

/// Retry timing: exponential backoff with full jitter, capped.
public struct Backoff: Sendable, Hashable {
    /// The delay before the first retry.
    public var initial: Duration
    /// The delay never exceeds this.
    public var maximum: Duration

    /// Creates a backoff.
    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The ceiling of the delay after `failures` failures (1 = first retry): initial·2^(failures−1), capped.
    public func ceiling(afterFailures failures: Int) -> Duration {
        let exponent = min(max(failures - 1, 0), 40)
        let milliseconds = Double(initial.milliseconds) * Double(1 << UInt64(exponent))
        return .milliseconds(Int64(min(milliseconds, Double(maximum.milliseconds))))
    }

    /// A delay drawn uniformly between half the ceiling and the ceiling ("equal jitter"), so
    /// that jobs failing together do not retry together but never retry immediately.
    public func delay(afterFailures failures: Int, unit: Double) -> Duration {
        let ceiling = Double(ceiling(afterFailures: failures).milliseconds)
        return .milliseconds(Int64(ceiling / 2 + unit * ceiling / 2))
    }
}

extension Duration {
    /// Seconds as a Double (SQL intervals, costs).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// Whole milliseconds.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

extension Duration {
    /// The form people write in sweep files: `500ms`, `10s`, `5m`, `2h`.
    public var shortDescription: String {
        let total = milliseconds
        if total >= 3_600_000, total % 3_600_000 == 0 { return "\(total / 3_600_000)h" }
        if total >= 60_000, total % 60_000 == 0 { return "\(total / 60_000)m" }
        if total % 1000 == 0 { return "\(total / 1000)s" }
        return "\(total)ms"
    }
}
