import Foundation
import SweepCore
import SweepWire
import Testing

/// A seeded generator of malformed frames: valid messages of every command, mutated (bits
/// flipped, bytes inserted and deleted, frames truncated, split, duplicated, dropped or
/// replaced by noise), and pure noise. Every result must decode to a message or to a
/// WireError with a code and a description, and a decoded message must parse into its typed
/// form or throw: no crash, no hang. SWEEP_FUZZ_FRAMES sets the count (default 1,000,000).
@Suite("Frame decoder fuzzing")
struct FrameFuzzTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static var count: Int {
        ProcessInfo.processInfo.environment["SWEEP_FUZZ_FRAMES"].flatMap(Int.init) ?? 1_000_000
    }

    /// One valid message of every kind a peer sends.
    static let seeds: [[[UInt8]]] = {
        let attempt = AttemptID(job: 42, attempt: 3)
        let messages: [WireMessage] = [
            Hello(worker: "w-1", host: "host", pid: 7, slots: 4, gpus: [0, 1], labels: ["zone": "a"], kernels: ["noop"], running: [attempt]).message,
            Welcome(coordinator: "c", heartbeatMilliseconds: 1000, liveness: 3, ackTimeoutMilliseconds: 500).message,
            WorkerHeartbeat(freeSlots: 2, running: [attempt]).message,
            Assign(attempt: attempt, sweep: 1, seed: 5, params: .object(["lr": .double(0.1), "name": .string("x y")]),
                   work: .command(argv: ["python3", "train.py", "--lr", "0.1"]), slots: 1, gpus: 0, maxSteps: 100).message,
            Started(seq: 9, attempt: attempt).message,
            MetricBatch(seq: 10, attempt: attempt, points: [.init(step: 1, name: "loss", value: 0.5), .init(step: 2, name: "acc", value: 0.75)]).message,
            AttemptResult(seq: 11, attempt: attempt, outcome: .succeeded, exitStatus: 0, error: nil, logTail: "done", finalMetrics: ["loss": 0.25]).message,
            Ack(seq: 11, status: .ok).message,
            StopRequest(attempt: attempt, reason: "early stop", graceMilliseconds: 5000).message,
            ErrorReport(code: "malformed_body", detail: "x").message,
            WireMessage(.drain), WireMessage(.bye), WireMessage(.ready),
        ]
        let single = messages.map { FrameCodec.encode($0) }
        // And BATCHes of them (HELLO and WELCOME travel alone, so the batch holds the rest).
        return single + FrameCodec.batched(Array(single.dropFirst(2)))
    }()

    static func mutate(_ frames: [[UInt8]], _ random: inout SplitMix64) -> [[UInt8]] {
        var frames = frames
        func noise(_ n: Int, _ random: inout SplitMix64) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) } }
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            if frames.isEmpty { frames = [noise(Int.random(in: 0...16, using: &random), &random)] }
            let f = Int.random(in: 0..<frames.count, using: &random)
            switch Int.random(in: 0..<10, using: &random) {
            case 0 where !frames[f].isEmpty:  // flip a bit
                let i = Int.random(in: 0..<frames[f].count, using: &random)
                frames[f][i] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1:  // insert bytes, often JSON-significant ones
                let alphabet = Array("{}[]\":,\\0123456789.-eEtruefalsn ".utf8)
                let bytes: [UInt8] = (0..<Int.random(in: 1...8, using: &random)).map { _ in
                    Bool.random(using: &random) ? alphabet[Int.random(in: 0..<alphabet.count, using: &random)] : UInt8.random(in: 0...255, using: &random)
                }
                frames[f].insert(contentsOf: bytes, at: Int.random(in: 0...frames[f].count, using: &random))
            case 2 where !frames[f].isEmpty:  // delete a span
                let start = Int.random(in: 0..<frames[f].count, using: &random)
                let end = min(frames[f].count, start + Int.random(in: 1...16, using: &random))
                frames[f].removeSubrange(start..<end)
            case 3:  // truncate
                frames[f] = Array(frames[f].prefix(Int.random(in: 0...frames[f].count, using: &random)))
            case 4:  // drop a frame
                frames.remove(at: f)
            case 5:  // duplicate a frame
                frames.insert(frames[f], at: f)
            case 6:  // split a frame in two
                let cut = Int.random(in: 0...frames[f].count, using: &random)
                let tail = Array(frames[f][cut...])
                frames[f] = Array(frames[f][..<cut])
                frames.insert(tail, at: f + 1)
            case 7:  // replace by noise
                frames[f] = noise(Int.random(in: 0...64, using: &random), &random)
            case 8:  // swap with another message's frame
                let other = seeds[Int.random(in: 0..<seeds.count, using: &random)]
                frames[f] = other[Int.random(in: 0..<other.count, using: &random)]
            default:  // extra frames
                frames.append(noise(Int.random(in: 0...32, using: &random), &random))
            }
        }
        return frames
    }

    /// Parses a decoded message into its typed form; throwing is fine, crashing is not.
    static func parse(_ message: WireMessage) {
        switch message.command {
        case .hello: _ = try? Hello(message)
        case .welcome: _ = try? Welcome(message)
        case .heartbeat: _ = try? WorkerHeartbeat(message)
        case .assign: _ = try? Assign(message)
        case .started: _ = try? Started(message)
        case .metrics: _ = try? MetricBatch(message)
        case .result: _ = try? AttemptResult(message)
        case .ack: _ = try? Ack(message)
        case .stop: _ = try? StopRequest(message)
        case .error: _ = try? ErrorReport(message)
        case .ready, .drain, .bye: break
        case .batch:
            for case .success(let inner) in (try? FrameCodec.unpack(message)) ?? [] { parse(inner) }
        }
    }

    @Test("a seeded stream of mutated and random frames never crashes or hangs the decoder", .timeLimit(.minutes(10)))
    func mutatedFrames() async {
        var random = SplitMix64(state: 0x5EED_F00D)
        var decoded = 0, refused = 0
        var codes: Set<String> = []
        for index in 0..<Self.count {
            // A long CPU-bound loop on the cooperative pool (two threads here) starves the
            // tests that run beside it; yielding now and then lets them go on.
            if index % 1_000 == 0 { await Task.yield() }
            let frames: [[UInt8]]
            if index % 10 == 9 {
                frames = (0..<Int.random(in: 0...4, using: &random)).map { _ in (0..<Int.random(in: 0...48, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) } }
            } else {
                frames = Self.mutate(Self.seeds[index % Self.seeds.count], &random)
            }
            switch FrameCodec.decode(frames) {
            case .success(let message):
                decoded += 1
                Self.parse(message)
            case .failure(let error):
                refused += 1
                codes.insert(error.code)
                if error.description.isEmpty { Issue.record("an error without a description for frames \(frames)") }
            }
        }
        #expect(decoded + refused == Self.count)
        #expect(refused > Self.count / 2, "most mutations must be refused")
        #expect(codes.count >= 3, "refusals carry several distinct codes: \(codes.sorted())")
        print("frame fuzzing: \(Self.count) frames, \(decoded) decoded, \(refused) refused with codes \(codes.sorted())")
    }
}
