import Foundation
import SweepCore
import SweepWire
import Testing

/// BATCH (docs/protocol.md §5.13): packing keeps every message byte for byte and in order,
/// respects the body limit, and unpacking refuses bad entries one by one.
@Suite("BATCH envelopes")
struct BatchTests {
    static let attempt = AttemptID(job: 7, attempt: 2)
    static let messages: [WireMessage] = [
        Ack(seq: 1, status: .ok).message,
        Started(seq: 2, attempt: attempt).message,
        AttemptResult(seq: 3, attempt: attempt, outcome: .succeeded, exitStatus: 0, error: nil, logTail: "a \"quoted\" tail\n", finalMetrics: ["loss": 0.5]).message,
        Assign(attempt: attempt, sweep: 1, seed: 9, params: .object(["name": .string("x; $(y)")]), work: .kernel(name: "noop", settings: [:]), slots: 1, gpus: 0, maxSteps: nil).message,
    ]

    @Test("a batch decodes to the same messages, in order")
    func roundTrip() throws {
        let packed = FrameCodec.batched(Self.messages.map { FrameCodec.encode($0) })
        #expect(packed.count == 1)
        let envelope = try FrameCodec.decode(packed[0]).get()
        #expect(envelope.command == .batch)
        let inner = try FrameCodec.unpack(envelope).map { try $0.get() }
        #expect(inner == Self.messages)
    }

    @Test("one message goes alone; HELLO and WELCOME are never packed, and order is kept around them")
    func aloneAndUnbatchable() throws {
        let one = [FrameCodec.encode(Self.messages[0])]
        #expect(FrameCodec.batched(one) == one)
        let hello = FrameCodec.encode(Hello(worker: "w", host: "h", pid: 1, slots: 1, gpus: [], labels: [:], kernels: [], running: []).message)
        let mixed = [FrameCodec.encode(Self.messages[0]), FrameCodec.encode(Self.messages[1]), hello, FrameCodec.encode(Self.messages[2])]
        let packed = FrameCodec.batched(mixed)
        #expect(packed.count == 3)
        #expect(packed[0][1] == Array("BATCH".utf8))
        #expect(packed[1] == hello)
        #expect(packed[2] == mixed[3])
    }

    @Test("groups are split to keep each body within the limit")
    func split() throws {
        let frames = (1...50).map { FrameCodec.encode(Ack(seq: Int64($0), status: .ok).message) }
        let packed = FrameCodec.batched(frames, maxBodyBytes: 200)
        #expect(packed.count > 1)
        var seqs: [Int64] = []
        for message in packed {
            #expect(message[2].count <= 200)
            let decoded = try FrameCodec.decode(message).get()
            let inner = decoded.command == .batch ? try FrameCodec.unpack(decoded).map { try $0.get() } : [decoded]
            seqs += try inner.map { try Ack($0).seq }
        }
        #expect(seqs == Array(1...50))
    }

    @Test("bad entries are refused one by one; a bad envelope as a whole")
    func badEntries() throws {
        let body = #"{"messages":[["ACK",{"seq":1,"status":"ok"}],["NOPE",{}],["ACK",3],"x",["HELLO",{}],["BATCH",{"messages":[]}],["ACK",{"seq":2,"status":"ok"}]]}"#
        let envelope = try FrameCodec.decode([WireProtocol.signature, Array("BATCH".utf8), Array(body.utf8)]).get()
        let entries = try FrameCodec.unpack(envelope)
        #expect(entries.count == 7)
        #expect(try Ack(entries[0].get()).seq == 1)
        #expect(try Ack(entries[6].get()).seq == 2)
        var codes: [String] = []
        for entry in entries[1...5] {
            guard case .failure(let error) = entry else { Issue.record("entry accepted"); continue }
            codes.append(error.code)
        }
        #expect(codes == ["unknown_command", "malformed_body", "malformed_body", "malformed_body", "malformed_body"])
        for bad in [#"{}"#, #"{"messages":[]}"#, #"{"messages":{}}"#] {
            let message = try FrameCodec.decode([WireProtocol.signature, Array("BATCH".utf8), Array(bad.utf8)]).get()
            #expect(throws: WireError.self) { try FrameCodec.unpack(message) }
        }
    }

    @Test("features in HELLO and WELCOME: optional, and only lists of strings")
    func features() throws {
        let hello = Hello(worker: "w", host: "h", pid: 1, slots: 1, gpus: [], labels: [:], kernels: [], running: [], features: [WireFeature.batch])
        #expect(try Hello(hello.message).features == ["batch"])
        let plain = Welcome(coordinator: "c", heartbeatMilliseconds: 1000, liveness: 3, ackTimeoutMilliseconds: 500)
        #expect(plain.message.body["features"] == nil)
        #expect(try Welcome(plain.message).features == [])
        var bad = plain.message
        bad.body["features"] = .string("batch")
        #expect(throws: WireError.self) { try Welcome(bad) }
    }
}
