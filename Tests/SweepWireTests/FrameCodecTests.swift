import SweepCore
import SweepWire
import Testing

@Suite("Frame codec")
struct FrameCodecTests {
    @Test func roundTrip() throws {
        let message = WireMessage(.assign, ["job": .int(42), "attempt": .int(3), "argv": .array([.string("a b;$(x)")])])
        let frames = FrameCodec.encode(message)
        #expect(frames[0] == Array("SWP1".utf8))
        #expect(frames[1] == Array("ASSIGN".utf8))
        let decoded = try FrameCodec.decode(frames).get()
        #expect(decoded == message)
        #expect(try decoded.integer("job") == 42)
        #expect(try decoded.list("argv") == [.string("a b;$(x)")])
    }

    @Test func everyDefectIsAnErrorNotACrash() {
        let body = Array("{}".utf8)
        let cases: [([[UInt8]], WireError)] = [
            ([], .wrongFrameCount(0)),
            ([Array("SWP1".utf8), Array("HELLO".utf8)], .wrongFrameCount(2)),
            ([Array("HTTP".utf8), Array("HELLO".utf8), body], .notSweepProtocol),
            ([[0xFF, 0x00], Array("HELLO".utf8), body], .notSweepProtocol),
            ([Array("SWP2".utf8), Array("HELLO".utf8), body], .unsupportedVersion("SWP2")),
            ([Array("SWP1".utf8), Array("HELO".utf8), body], .unknownCommand("HELO")),
            ([Array("SWP1".utf8), Array("HELLO".utf8), []], .malformedBody("empty body; send {} for no fields")),
            ([Array("SWP1".utf8), Array("HELLO".utf8), Array("[1,2]".utf8)], .malformedBody("not a JSON object")),
            ([Array("SWP1".utf8), Array("HELLO".utf8), Array("{\"a\":".utf8)], .malformedBody("not a JSON object")),
            ([Array("SWP1".utf8), Array("HELLO".utf8), [0xC3, 0x28]], .malformedBody("not a JSON object")),
            ([Array("SWP1".utf8), Array("HELLO".utf8), [UInt8](repeating: 0x20, count: WireProtocol.maxBodyBytes + 1)], .oversized(WireProtocol.maxBodyBytes + 1)),
        ]
        for (frames, expected) in cases {
            #expect(throws: expected) { try FrameCodec.decode(frames).get() }
        }
    }

    @Test func missingAndMistypedFieldsAreMalformed() throws {
        let message = try FrameCodec.decode([Array("SWP1".utf8), Array("RESULT".utf8), Array(#"{"job":"x"}"#.utf8)]).get()
        #expect(throws: WireError.malformedBody("'job' of RESULT must be an integer")) { try message.integer("job") }
        #expect(throws: WireError.malformedBody("RESULT needs 'attempt'")) { try message.integer("attempt") }
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var random = RandomSource(seed: 11)
        var refused = 0
        for _ in 0..<20_000 {
            let frameCount = Int(random.next() % 5)
            var frames: [[UInt8]] = []
            for index in 0..<frameCount {
                let length = Int(random.next() % 40)
                var frame = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                // Sometimes start from a valid prefix, so deeper checks are reached too.
                if index == 0, random.next() % 2 == 0 { frame = Array("SWP1".utf8) }
                if index == 1, random.next() % 2 == 0 { frame = Array(WireCommand.allCases[Int(random.next() % 13)].rawValue.utf8) }
                frames.append(frame)
            }
            if case .failure = FrameCodec.decode(frames) { refused += 1 }
        }
        #expect(refused > 19_000)
    }
}
