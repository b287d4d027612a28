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
            result.append((owner, Self.claimedJob(id, sweepID, attempt, params, seed, rung, hash, slots, gpus)))
        }
        return result
    }

    /// `record(_:)` and then `claimJobs(forSlots:…)`, with the successes and the claim in one
    /// statement: one round trip and one commit instead of two of each, for a coordinator whose
    /// results free the slots it claims for. Other outcomes are recorded afterwards, one
    /// statement each, as `record(_:)` does. Returns one outcome per report, in order, and the
    /// claimed jobs with their owners, as the two calls would.
    public func record(
        _ reports: [AttemptReport], andClaimForSlots owners: [String], labels: [String: String], kernels: [String]? = nil,
        host: String, leaseDuration: Duration
    ) async throws -> (outcomes: [ReportOutcome], claimed: [(owner: String, job: ClaimedJob)]) {
        guard let (successes, record) = Self.successesStatement(reports), !owners.isEmpty else {
            let outcomes = try await self.record(reports)
            let claimed = try await claimJobs(forSlots: owners, labels: labels, kernels: kernels, host: host, leaseDuration: leaseDuration)
            return (outcomes, claimed)
        }
        let labelsJSON = ParamValue.object(labels.mapValues { .string($0) }).canonicalJSON
        let claim = ClaimForSlotsStatement(labelsJSON: labelsJSON, kernels: kernels, owners: owners, host: host, leaseSeconds: leaseDuration.seconds)
        let rows = try await client.execute(RecordAndClaimStatement(record: record, claim: claim), logger: logger)
        var applied = Set<Int64>()
        var claimed: [(owner: String, job: ClaimedJob)] = []
        for try await (owner, id, sweepID, attempt, params, seed, rung, hash, slots, gpus) in rows {
            guard let owner else {
                applied.insert(id)
                continue
            }
            guard let sweepID, let attempt, let params, let seed, let hash, let slots, let gpus else {
                throw StoreError(.unexpectedResult, "a claimed row of job \(id) lacks a column")
            }
            claimed.append((owner, Self.claimedJob(id, sweepID, attempt, params, seed, rung, hash, slots, gpus)))
        }
        var outcomes = [ReportOutcome](repeating: .applied, count: reports.count)
        Self.markStale(successes, of: reports, notIn: applied, in: &outcomes)
        try await recordOthers(reports, into: &outcomes)
        return (outcomes, claimed)
    }

    /// A claimed row as the coordinator's type.
    static func claimedJob(
        _ id: Int64, _ sweepID: Int64, _ attempt: Int32, _ params: String, _ seed: Int64, _ rung: Int32?, _ hash: String, _ slots: Int32, _ gpus: Int32
    ) -> ClaimedJob {
        ClaimedJob(
            id: id, sweepID: sweepID, attempt: Int(attempt),
            params: (try? ParamValue(json: params)) ?? .object([:]),
            seed: seed, rung: rung.map(Int.init), configHash: hash, slots: Int(slots), gpus: Int(gpus))
    }
}
