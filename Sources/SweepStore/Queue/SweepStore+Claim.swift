import Foundation
import Logging
import PostgresNIO
public import SweepCore

/// What a worker offers when it claims jobs.
public struct WorkerCapacity: Sendable, Hashable {
    /// The worker's unique id (the lease owner).
    public var worker: String
    /// The host it runs on.
    public var host: String
    /// Free slots now.
    public var freeSlots: Int
    /// Free GPUs now.
    public var freeGPUs: Int
    /// The worker's labels; a job's labels must all be among them.
    public var labels: [String: String]
    /// The built-in kernels it can run; nil: any. Command jobs go to every worker.
    public var kernels: [String]?

    /// Creates a capacity.
    public init(worker: String, host: String, freeSlots: Int, freeGPUs: Int = 0, labels: [String: String] = [:], kernels: [String]? = nil) {
        self.worker = worker
        self.host = host
        self.freeSlots = freeSlots
        self.freeGPUs = freeGPUs
        self.labels = labels
        self.kernels = kernels
    }
}

/// A job handed to a worker under a lease.
public struct ClaimedJob: Sendable, Hashable {
    /// Job id.
    public var id: Int64
    /// Its sweep.
    public var sweepID: Int64
    /// The attempt number: the fencing token every report must quote.
    public var attempt: Int
    /// Parameters (a JSON object).
    public var params: ParamValue
    /// Replicate seed.
    public var seed: Int64
    /// Ladder rung, if any.
    public var rung: Int?
    /// Configuration hash.
    public var configHash: String
    /// Slots it occupies.
    public var slots: Int
    /// GPUs it needs.
    public var gpus: Int
}

extension SweepStore {
    /// Claims up to `limit` jobs for a worker, by priority then age, that fit its free slots,
    /// GPUs, labels and kernels, skipping rows other claimers hold: one statement. (Eligible
    /// sweeps as in `ClaimForSlotsStatement`.) Each claimed job
    /// gets a lease of `leaseDuration`, its attempt number incremented, and an attempt row.
    public func claimJobs(limit: Int, for capacity: WorkerCapacity, leaseDuration: Duration) async throws -> [ClaimedJob] {
        guard limit > 0, capacity.freeSlots > 0 else { return [] }
        let labels = ParamValue.object(capacity.labels.mapValues { .string($0) }).canonicalJSON
        let rows = try await client.query("""
            WITH locked AS (
                SELECT j.id, j.slots, j.gpus, j.priority
                FROM sweep.jobs j
                WHERE j.state = 'queued' AND j.scheduled_at <= now()
                  AND EXISTS (SELECT 1 FROM sweep.sweeps s WHERE s.state = 'active'
                              AND (s.kernel IS NULL OR \(capacity.kernels)::text[] IS NULL OR s.kernel = ANY(\(capacity.kernels)::text[])))
                  AND j.sweep_id = ANY((SELECT array_agg(s.id) FROM sweep.sweeps s WHERE s.state = 'active'
                                        AND (s.kernel IS NULL OR \(capacity.kernels)::text[] IS NULL OR s.kernel = ANY(\(capacity.kernels)::text[])))::bigint[])
                  AND j.slots <= \(capacity.freeSlots) AND j.gpus <= \(capacity.freeGPUs)
                  AND j.labels <@ \(labels)::jsonb
                ORDER BY j.priority DESC, j.id
                LIMIT \(limit)
                FOR UPDATE OF j SKIP LOCKED
            ), fitting AS (
                SELECT id FROM (
                    SELECT id,
                           sum(slots) OVER (ORDER BY priority DESC, id) AS slots_used,
                           sum(gpus) OVER (ORDER BY priority DESC, id) AS gpus_used
                    FROM locked
                ) running_totals
                WHERE slots_used <= \(capacity.freeSlots) AND gpus_used <= \(capacity.freeGPUs)
            ), claimed AS (
                UPDATE sweep.jobs j
                SET state = 'leased', attempt = j.attempt + 1, lease_owner = \(capacity.worker),
                    lease_expires_at = now() + make_interval(secs => \(leaseDuration.seconds))
                FROM fitting
                WHERE j.id = fitting.id
                RETURNING j.id, j.sweep_id, j.attempt, j.params::text AS params, j.seed, j.rung, j.config_hash, j.slots, j.gpus, j.priority
            ), recorded AS (
                INSERT INTO sweep.attempts (job_id, attempt, worker, host)
                SELECT id, attempt, \(capacity.worker), \(capacity.host) FROM claimed
            )
            SELECT id, sweep_id, attempt, params, seed, rung, config_hash, slots, gpus FROM claimed ORDER BY priority DESC, id
            """, logger: logger)
        var jobs: [ClaimedJob] = []
        for try await (id, sweepID, attempt, params, seed, rung, hash, slots, gpus) in rows.decode((Int64, Int64, Int32, String, Int64, Int32?, String, Int32, Int32).self) {
            jobs.append(ClaimedJob(
                id: id, sweepID: sweepID, attempt: Int(attempt),
                params: (try? ParamValue(json: params)) ?? .object([:]),
                seed: seed, rung: rung.map(Int.init), configHash: hash, slots: Int(slots), gpus: Int(gpus)))
        }
        return jobs
    }

    /// Extends every lease a worker holds, in one statement; returns how many.
    @discardableResult
    public func renewLeases(worker: String, leaseDuration: Duration) async throws -> Int {
        let rows = try await client.query("""
            WITH renewed AS (
                UPDATE sweep.jobs SET lease_expires_at = now() + make_interval(secs => \(leaseDuration.seconds))
                WHERE lease_owner = \(worker) AND state IN ('leased', 'running')
                RETURNING 1
            ), seen AS (
                UPDATE sweep.workers SET last_seen_at = now() WHERE id = \(worker)
            )
            SELECT count(*)::bigint FROM renewed
            """, logger: logger)
        return Int(try await rows.first(as: Int64.self) ?? 0)
    }
}
