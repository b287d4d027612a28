/// The coordinator's endpoint and timings; the defaults suit a rack of machines.
public struct CoordinatorConfiguration: Sendable {
    /// Where the ROUTER binds.
    public var bind: String
    /// Identifies this coordinator in WELCOME and logs.
    public var coordinatorID: String
    /// Heartbeats both ways at this interval.
    public var heartbeatInterval: Duration = .seconds(1)
    /// A worker silent for heartbeatInterval × liveness is presumed dead.
    public var liveness = 3
    /// Workers resend unacknowledged reports after this long.
    public var ackTimeout: Duration = .seconds(5)
    /// Lease granted at claim and renewed every heartbeat while the worker lives.
    public var leaseDuration: Duration = .seconds(30)
    /// How often the leases of live workers are renewed in the database (and their
    /// `last_seen_at` updated): a third of the lease duration, so that a lease survives two
    /// failed renewals, but never more often than heartbeats go out. Renewing on every
    /// heartbeat cost PostgreSQL 46 ms of every second with 1,000 workers.
    public var leaseRenewalInterval: Duration { max(heartbeatInterval, leaseDuration / 3) }
    /// Without a notification, look for new jobs this often.
    public var pollInterval: Duration = .seconds(1)
    /// Expired leases and due retries are handled this often.
    public var reclaimInterval: Duration = .seconds(1)
    /// Cancelled or superseded attempts are looked for this often.
    public var supersededCheckInterval: Duration = .seconds(1)
    /// Leases the database gives a live worker that the worker does not run (an ASSIGN lost
    /// with a coordinator that died, or dropped while the worker reconnected) are looked
    /// for this often; one unlisted for `heartbeatInterval × liveness` is handed back.
    public var leaseCheckInterval: Duration = .seconds(1)
    /// How often the age of sweep.jobs' statistics is checked (it is analyzed when stale).
    public var statisticsCheckInterval: Duration = .seconds(5)
    /// Metric points are written when this many wait...
    public var metricFlushPoints = 20_000
    /// ...or when the oldest has waited this long.
    public var metricFlushInterval: Duration = .milliseconds(50)
    /// Results and starts are written when the oldest has waited this long.
    public var reportFlushInterval: Duration = .milliseconds(2)
    /// A worker whose recent jobs took less than this from ASSIGN to RESULT gets ready jobs:
    /// up to `readyJobsPerSlot` per slot, claimed ahead and sent the moment a slot frees
    /// (Coordinator+Ready). Zero turns ready jobs off.
    public var readyJobsBelow: Duration = .seconds(2)
    /// How many ready jobs the coordinator keeps per slot of such a worker: two cover the
    /// wait for the next claim at a few thousand jobs a second, where one ran out
    /// (BENCHMARKS.md). Zero turns ready jobs off.
    public var readyJobsPerSlot = 2
    /// For jobs so short that `readyJobsPerSlot` of them make less than `readyWorkPerSlot` of
    /// work, more are kept: as many as make up that much work, at most this many per slot.
    /// Deeper ready rooms make the claims larger and fewer (the claim's cost per job falls
    /// with its size), which is where no-op jobs spend most of their time; a job kept
    /// behind them waits at most about `readyWorkPerSlot`. Below `readyJobsPerSlot` it
    /// changes nothing.
    public var maxReadyJobsPerSlot = 8
    /// The work (in recent job times) that a slot's ready jobs should add up to.
    public var readyWorkPerSlot: Duration = .milliseconds(20)
    /// A ready job kept longer than this, or than four of its worker's recent job times if
    /// that is longer (at most four times `readyJobsBelow`), goes back to the queue.
    public var readyHoldLimit: Duration = .seconds(1)
    /// Time between SIGTERM and SIGKILL when the coordinator stops an attempt.
    public var stopGrace: Duration = .seconds(10)
    /// A ladder sweep is refitted at most this often, however fast its rungs finish.
    public var ladderRefitInterval: Duration = .seconds(1)
    /// How long any of the coordinator's database calls (after migrating at start-up) may
    /// take before it abandons the call and carries on as after a failed one (see
    /// `withDeadline`). LISTEN and the background ANALYZE are the exceptions: neither holds
    /// a loop.
    public var databaseCallLimit: Duration = .seconds(15)
    /// Attempts that ended without a recorded result are forgotten this often.
    public var forgetInterval: Duration = .seconds(10)
    /// A sweep's early-stopping state (every run's curve) is dropped from memory after this
    /// long without points and without a live job; it is reloaded if the sweep reports again.
    public var sweepStateIdleLimit: Duration = .seconds(600)
    /// What `${interpreter}` becomes in commands.
    public var interpreter = "python3"
    /// CURVE encryption and the worker keys admitted; nil for none.
    public var curve: CoordinatorCurve?

    /// A configuration with the defaults above.
    public init(bind: String, coordinatorID: String) {
        self.bind = bind
        self.coordinatorID = coordinatorID
    }
}
