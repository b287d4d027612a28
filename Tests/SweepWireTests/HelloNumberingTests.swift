import Testing
import SweepCore
import SweepWire

/// HELLO numbering (protocol.md §2.3): how a coordinator tells a repeated HELLO from a new
/// session, and what a malformed numbering looks like.
@Suite("HELLO numbering")
struct HelloNumberingTests {
    private func hello(session: String? = "a1", number: Int64 = 1, welcomed: Int64 = 0, running: [AttemptID] = []) -> Hello {
        Hello(worker: "w", host: "h", pid: 1, slots: 2, gpus: [], labels: [:], kernels: ["noop"], running: running,
              numbering: session.map { Hello.Numbering(session: $0, number: number, welcomed: welcomed) })
    }

    @Test("Numbering survives encoding, and WELCOME echoes the number")
    func roundTrip() throws {
        let sent = hello(number: 7, welcomed: 3)
        #expect(try Hello(sent.message) == sent)
        #expect(try Hello(hello(session: nil).message).numbering == nil)
        let welcome = Welcome(coordinator: "c", heartbeatMilliseconds: 1000, liveness: 3, ackTimeoutMilliseconds: 5000, hello: 7)
        #expect(try Welcome(welcome.message).hello == 7)
        #expect(try Welcome(Welcome(coordinator: "c", heartbeatMilliseconds: 1000, liveness: 3, ackTimeoutMilliseconds: 5000).message).hello == nil)
    }

    @Test("A HELLO sent before the worker saw the WELCOME to the session's HELLO repeats it; one sent after does not")
    func repeats() {
        let first = hello(number: 1, welcomed: 0)
        // Sent 1 s later, still waiting for the first WELCOME.
        #expect(hello(number: 2, welcomed: 0).repeats(first))
        // Sent after the WELCOME to HELLO 1 was taken (the coordinator fell silent, say): a new session.
        #expect(!hello(number: 2, welcomed: 1).repeats(first))
        // The session began with HELLO 3 (the worker's third); HELLO 4 sent before its WELCOME,
        // after a WELCOME to HELLO 1, still repeats it.
        #expect(hello(number: 4, welcomed: 1).repeats(hello(number: 3, welcomed: 1)))
        // Another process (a restart, even with the same pid) never repeats.
        #expect(!hello(session: "b2", number: 2, welcomed: 0).repeats(first))
        // Unnumbered HELLOs on either side: never a repeat (the behaviour before numbering).
        #expect(!hello(session: nil).repeats(first))
        #expect(!hello(number: 2, welcomed: 0).repeats(hello(session: nil)))
    }

    @Test("A numbering with a field missing, or with welcomed not below hello, is malformed")
    func malformed() {
        var partial = hello(number: 2, welcomed: 1).message
        partial.body["welcomed"] = nil
        #expect(throws: WireError.self) { try Hello(partial) }
        #expect(throws: WireError.self) { try Hello(hello(number: 2, welcomed: 2).message) }
        #expect(throws: WireError.self) { try Hello(hello(number: 0, welcomed: 0).message) }
        #expect(throws: WireError.self) { try Hello(hello(session: "").message) }
        var zero = Welcome(coordinator: "c", heartbeatMilliseconds: 1000, liveness: 3, ackTimeoutMilliseconds: 5000).message
        zero.body["hello"] = .int(0)
        #expect(throws: WireError.self) { try Welcome(zero) }
    }
}
