import SweepCore
import SweepWire
import Testing

/// RESULT's `run_ms` (docs/protocol.md §5.8): the worker's own measure of how long an
/// attempt ran, which gives a job its start when its STARTED was not recorded in time.
@Suite("RESULT run time")
struct ResultRunTimeTests {
    private let attempt = AttemptID(job: 7, attempt: 2)

    @Test("run_ms survives encoding and is absent when not measured")
    func roundTrip() throws {
        let measured = AttemptResult(seq: 3, attempt: attempt, outcome: .succeeded, exitStatus: 0, error: nil, logTail: nil,
                                     finalMetrics: ["loss": 0.5], runMilliseconds: 1_234)
        #expect(try AttemptResult(measured.message) == measured)
        #expect(measured.message.body["run_ms"] == .int(1_234))
        let unmeasured = AttemptResult(seq: 4, attempt: attempt, outcome: .failed, exitStatus: 1, error: "x", logTail: nil, finalMetrics: [:])
        #expect(unmeasured.message.body["run_ms"] == nil)
        #expect(try AttemptResult(unmeasured.message).runMilliseconds == nil)
    }

    @Test("a negative or non-integer run_ms is malformed")
    func malformed() {
        for value: ParamValue in [.int(-1), .string("5"), .double(1.5)] {
            var message = AttemptResult(seq: 3, attempt: attempt, outcome: .succeeded, exitStatus: 0, error: nil, logTail: nil, finalMetrics: [:]).message
            message.body["run_ms"] = value
            #expect(throws: WireError.self, "\(value)") { try AttemptResult(message) }
        }
    }
}
