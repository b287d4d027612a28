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
    /// `kernels` are the built-in kernels those workers all have (nil: any). Each attempt
    /// records its worker's host as the worker registered it; `host` is the fallback for a
    /// worker not (yet) in sweep.workers.
    public func claimJobs(forSlots owners: [String], labels: [String: String], kernels: [String]? = nil, host: String, leaseDuration: Duration) async throws -> [(owner: String, job: ClaimedJob)] {
        guard !owners.isEmpty else { return [] }
        let labelsJSON = ParamValue.object(labels.mapValues { .string($0) }).canonicalJSON
        let statement = ClaimForSlotsStatement(labelsJSON: labelsJSON, kernels: kernels, owners: owners, host: host, leaseSeconds: leaseDuration.seconds)
        let rows = try await client.execute(statement, logger: logger)
        var result: [(owner: String, job: ClaimedJob)] = []
        for try await (owner, id, sweepID, attempt, params, seed, rung, hash, slots, gpus) in rows {
            let job = ClaimedJob(
                id: id, sweepID: sweepID, attempt: Int(attempt),
                params: (try? ParamValue(json: params)) ?? .object([:]),
                seed: seed, rung: rung.map(Int.init), configHash: hash, slots: Int(slots), gpus: Int(gpus))
            result.append((owner, job))
        }
        return result
    }
}
