import ArgumentParser
import Foundation
import SweepCore
import SweepWire

/// `sweep bench wire`: time the frame codec on the messages the queue sends most (a BATCH of
/// ASSIGNs as the coordinator sends it, a BATCH of STARTED and RESULT as a worker sends it, a
/// METRICS message of 100 points), each encoded and decoded as the two sides do, next to
/// Foundation's JSONSerialization encoding and parsing the same bodies in the same run.
struct WireBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Time encoding and decoding of protocol messages against Foundation's JSONSerialization (use a release build)."
    )

    @Option(name: .long, help: "Repetitions of each workload per timing (Foundation's: a tenth, as it is much slower).")
    var repetitions = 20_000

    @Option(name: .long, help: "Timings of each workload (the median is reported).")
    var rounds = 5

    @Option(name: .long, help: "Messages in each BATCH.")
    var batch = 8

    func validate() throws {
        guard repetitions >= 1, rounds >= 1, batch >= 2 else { throw ValidationError("--repetitions and --rounds must be ≥ 1, --batch ≥ 2") }
    }

    private var foundationRepetitions: Int { max(1, repetitions / 10) }

    func run() throws {
        print("| message | direction | Sweep µs/message | JSONSerialization µs/message | ratio (Foundation time ÷ Sweep time) |")
        print("|---|---|---:|---:|---:|")
        for workload in workloads() {
            let frames = workload.messages.map(FrameCodec.encode)
            let packed = FrameCodec.batched(frames)
            guard packed.count == 1 else { throw CommandFailure("\(workload.name) did not fit one message") }
            let foundationBodies = workload.messages.map { Self.foundationObject(.object($0.body)) }
            let foundationText = packed[0][2]
            let count = Double(workload.messages.count)

            let encode = median(rounds) {
                var bytes = 0
                for _ in 0..<repetitions { bytes &+= FrameCodec.batched(workload.messages.map(FrameCodec.encode))[0][2].count }
                return bytes
            }
            let foundationEncode = median(rounds) {
                var bytes = 0
                for _ in 0..<foundationRepetitions {
                    for body in foundationBodies {
                        bytes &+= (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]).count) ?? 0
                    }
                }
                return bytes
            }
            let decode = median(rounds) {
                var seen = 0
                for _ in 0..<repetitions { seen &+= workload.decode(packed[0]) }
                return seen
            }
            let foundationData = Data(foundationText)
            let foundationDecode = median(rounds) {
                var seen = 0
                for _ in 0..<foundationRepetitions {
                    if let object = try? JSONSerialization.jsonObject(with: foundationData) as? [String: Any], let list = object["messages"] as? [Any] { seen &+= list.count }
                }
                return seen
            }
            let perMessage = { (seconds: Double, times: Int) in seconds / Double(times) / count * 1e6 }
            let (sweepEncode, baseEncode) = (perMessage(encode, repetitions), perMessage(foundationEncode, foundationRepetitions))
            let (sweepDecode, baseDecode) = (perMessage(decode, repetitions), perMessage(foundationDecode, foundationRepetitions))
            print(String(format: "| %@ | encode (%@) | %.2f | %.2f | %.2f |", workload.name, workload.encoder, sweepEncode, baseEncode, baseEncode / sweepEncode))
            print(String(format: "| %@ | decode (%@) | %.2f | %.2f | %.2f |", workload.name, workload.decoder, sweepDecode, baseDecode, baseDecode / sweepDecode))
        }
    }

    private struct Workload {
        var name: String
        var encoder: String
        var decoder: String
        var messages: [WireMessage]
        /// Decodes the packed message as the receiving side does; returns something it saw.
        var decode: ([[UInt8]]) -> Int
    }

    private func workloads() -> [Workload] {
        let assigns = (0..<batch).map { index in
            Assign(attempt: AttemptID(job: 1_000_000 + Int64(index), attempt: 1), sweep: 42, seed: 7_000 + Int64(index),
                   params: .object(["i": .int(Int64(index + 1))]), work: .kernel(name: "noop", settings: [:]), slots: 1, gpus: 0, maxSteps: nil).message
        }
        let reports = (0..<batch).flatMap { index in
            let attempt = AttemptID(job: 1_000_000 + Int64(index), attempt: 1)
            return [Started(seq: Int64(2 * index), attempt: attempt).message,
                    AttemptResult(seq: Int64(2 * index + 1), attempt: attempt, outcome: .succeeded, exitStatus: nil, error: nil, logTail: nil, finalMetrics: [:]).message]
        }
        let names = (0..<10).map { "metric_\($0)" }
        let metrics = MetricBatch(seq: 1, attempt: AttemptID(job: 1_000_000, attempt: 1), points: (0..<10).flatMap { step in
            names.enumerated().map { MetricBatch.Point(step: Int64(step), name: $0.element, value: 1.0 / Double(step + $0.offset + 3)) }
        }).message
        return [
            Workload(name: "\(batch) ASSIGNs of no-op jobs in a BATCH", encoder: "coordinator", decoder: "worker", messages: assigns) { frames in
                Self.unpacked(frames).reduce(0) { seen, message in seen + ((try? Assign(message))?.slots ?? 0) }
            },
            Workload(name: "\(batch) STARTED + \(batch) RESULT in a BATCH", encoder: "worker", decoder: "coordinator", messages: reports) { frames in
                Self.unpacked(frames).reduce(0) { seen, message in
                    seen + (message.command == .result ? Int((try? AttemptResult(message))?.seq ?? 0) : Int((try? Started(message))?.seq ?? 0))
                }
            },
            Workload(name: "METRICS of 10 steps x 10 values, with one STARTED", encoder: "worker", decoder: "coordinator", messages: [reports[0], metrics]) { frames in
                Self.unpacked(frames).reduce(0) { seen, message in
                    seen + (message.command == .metrics ? ((try? MetricBatch(message))?.points.count ?? 0) : 1)
                }
            },
        ]
    }

    private static func unpacked(_ frames: [[UInt8]]) -> [WireMessage] {
        guard case .success(let batch) = FrameCodec.decode(frames), let entries = try? FrameCodec.unpack(batch) else { return [] }
        return entries.compactMap { try? $0.get() }
    }

    /// The same value as Foundation objects (what JSONSerialization takes).
    private static func foundationObject(_ value: ParamValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let values): values.map(foundationObject)
        case .object(let members): members.mapValues(foundationObject)
        }
    }

    /// The median of `rounds` timings of `body`, in seconds; its result is kept so that the
    /// work cannot be optimized away.
    private func median(_ rounds: Int, _ body: () -> Int) -> Double {
        let clock = ContinuousClock()
        var timings: [Double] = []
        var sink = 0
        for _ in 0..<rounds {
            let start = clock.now
            sink &+= body()
            let elapsed = clock.now - start
            timings.append(elapsed.seconds)
        }
        if sink == Int.min { print("") }
        return timings.sorted()[timings.count / 2]
    }
}
