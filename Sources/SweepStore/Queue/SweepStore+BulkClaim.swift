import Foundation
import Logging
import PostgresNIO
import SweepCore

extension SweepStore {
    /// Claims single-slot, GPU-free jobs for many workers that carry the same labels, in one
    /// statement: `owners` lists one worker id per free slot (a worker with 3 free slots
    /// appears 3 times), and the n-th job claimed goes to the n-th entry. Each job gets a
    /// lease and an attempt row, as with `claimJobs`. Jobs needing more slots or GPUs are
    /// left for `claimJobs`, which matches them one worker at a time.
    /// `kernels` are the built-in kernels those workers all have (nil: any).
    public func claimJobs(forSlots owners: [String], labels: [String: String], kernels: [String]? = nil, host: String, leaseDuration: Duration) async throws -> [(owner: String, job: ClaimedJob)] {
        guard !owners.isEmpty else { return [] }
        let labelsJSON = ParamValue.object(labels.mapValues { .string($0) }).canonicalJSON
        let rows = try await client.query("""
            WITH locked AS (
                SELECT j.id, j.priority
                FROM sweep.jobs j
                JOIN sweep.sweeps s ON s.id = j.sweep_id
                WHERE j.state = 'queued' AND j.scheduled_at <= now() AND s.state = 'active'
                  AND j.slots = 1 AND j.gpus = 0 AND j.labels <@ \(labelsJSON)::jsonb
                  AND (s.kernel IS NULL OR \(kernels)::text[] IS NULL OR s.kernel = ANY(\(kernels)::text[]))
                ORDER BY j.priority DESC, j.id
                LIMIT \(owners.count)
                FOR UPDATE OF j SKIP LOCKED
            ), numbered AS (
                SELECT id, row_number() OVER (ORDER BY priority DESC, id) AS n FROM locked
            ), slots AS (
                SELECT owner, n FROM unnest(\(owners)::text[]) WITH ORDINALITY AS t(owner, n)
            ), claimed AS (
                UPDATE sweep.jobs j
                SET state = 'leased', attempt = j.attempt + 1, lease_owner = slots.owner,
                    lease_expires_at = now() + make_interval(secs => \(leaseDuration.seconds))
                FROM numbered JOIN slots USING (n)
                WHERE j.id = numbered.id
                RETURNING j.id, j.sweep_id, j.attempt, j.params::text AS params, j.seed, j.rung, j.config_hash,
                          j.slots, j.gpus, j.lease_owner, j.priority
            ), recorded AS (
                INSERT INTO sweep.attempts (job_id, attempt, worker, host)
                SELECT id, attempt, lease_owner, \(host) FROM claimed
            )
            SELECT lease_owner, id, sweep_id, attempt, params, seed, rung, config_hash, slots, gpus FROM claimed ORDER BY priority DESC, id
            """, logger: logger)
        var result: [(owner: String, job: ClaimedJob)] = []
        for try await (owner, id, sweepID, attempt, params, seed, rung, hash, slots, gpus) in rows.decode((String, Int64, Int64, Int32, String, Int64, Int32?, String, Int32, Int32).self) {
            let job = ClaimedJob(
                id: id, sweepID: sweepID, attempt: Int(attempt),
                params: (try? ParamValue(json: params)) ?? .object([:]),
                seed: seed, rung: rung.map(Int.init), configHash: hash, slots: Int(slots), gpus: Int(gpus))
            result.append((owner, job))
        }
        return result
    }
}
