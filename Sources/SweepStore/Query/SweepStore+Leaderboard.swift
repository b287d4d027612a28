import Foundation
import Logging
import PostgresNIO

extension SweepStore {
    /// The leaderboard of one sweep as text rows: rank, job, objective values, parameters.
    public func leaderboard(sweep name: String, limit: Int) async throws -> QueryResult {
        _ = try await sweepID(named: name)
        let rows = try await client.query("""
            SELECT rank::text, job_id::text, seed::text, state, objective, goal,
                   best_value::text, final_value::text, final_step::text,
                   coalesce(duration::text, ''), coalesce(stop_reason, ''), params::text
            FROM public.leaderboard l WHERE sweep = \(name) ORDER BY l.rank, l.job_id LIMIT \(limit)
            """, logger: logger)
        var result = QueryResult(columns: ["rank", "job", "seed", "state", "objective", "goal", "best", "final", "step", "duration", "stop_reason", "params"], rows: [])
        for try await row in rows.decode((String, String, String, String, String?, String?, String?, String?, String?, String, String, String).self) {
            result.rows.append([row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11])
        }
        return result
    }
}
