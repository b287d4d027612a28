import Foundation
import SweepCore

/// Does nothing and succeeds: measures the queue, not the work.
struct NoopKernel: Kernel {
    let name = "noop"

    func run(_ context: KernelContext) async throws -> [String: Double] { [:] }
}

/// Sleeps `seconds` (default 1), checking for a stop every 10 ms.
struct SleepKernel: Kernel {
    let name = "sleep"

    func run(_ context: KernelContext) async throws -> [String: Double] {
        let seconds = context.number("seconds", default: 1)
        guard seconds.isFinite, seconds >= 0 else { throw KernelError("sleep: 'seconds' must be a number ≥ 0, found \(seconds)") }
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline, !context.shouldStop {
            try await Task.sleep(for: min(.milliseconds(10), deadline - ContinuousClock.now))
        }
        return ["slept_seconds": seconds]
    }
}

/// A learning curve that decays as a power law toward a floor, with seeded noise:
/// `metric(step) = floor + scale · (step + 1)^(−rate) + noise`. Settings (parameters first,
/// then kernel settings): `steps` (default max_steps, else 20), `floor` (0.1), `scale` (1),
/// `rate` (0.5), `noise` (0.01), `step_ms` (0: as fast as possible), `metric` (val_loss),
/// `values_per_step` (1: extra metrics m1, m2, ... follow the same curve). Deterministic for
/// a seed: it feeds early-stopping tests and queue benchmarks.
struct SyntheticCurveKernel: Kernel {
    let name = "synthetic-curve"

    func run(_ context: KernelContext) async throws -> [String: Double] {
        let steps = Int(context.number("steps", default: Double(context.maxSteps ?? 20)))
        let floor = context.number("floor", default: 0.1)
        let scale = context.number("scale", default: 1)
        let rate = context.number("rate", default: 0.5)
        let noise = context.number("noise", default: 0.01)
        let stepMilliseconds = context.number("step_ms", default: 0)
        let extra = Int(context.number("values_per_step", default: 1)) - 1
        let metric = context.value("metric")?.stringValue ?? "val_loss"
        guard steps >= 1, steps <= 10_000_000 else { throw KernelError("synthetic-curve: 'steps' must be between 1 and 10000000, found \(steps)") }
        guard rate > 0, scale.isFinite, floor.isFinite, noise >= 0 else { throw KernelError("synthetic-curve: 'rate' must be > 0 and 'noise' ≥ 0") }
        guard extra >= 0, extra <= 1000 else { throw KernelError("synthetic-curve: 'values_per_step' must be between 1 and 1001") }
        var random = RandomSource(seed: UInt64(bitPattern: context.seed) ^ stableSeed(context.params))
        var last: [String: Double] = [:]
        for step in 0..<steps {
            if context.shouldStop { break }
            let clean = floor + scale * pow(Double(step + 1), -rate)
            let gaussian = (random.nextOpenUnit() + random.nextOpenUnit() + random.nextOpenUnit() - 1.5) * 2
            var values = [metric: clean + noise * gaussian]
            for index in 0..<extra { values["m\(index + 1)"] = clean * Double(index + 2) }
            context.report(step: Int64(step), values)
            last = values
            if stepMilliseconds > 0 { try await Task.sleep(for: .milliseconds(Int64(stepMilliseconds))) }
        }
        return last
    }

    private func stableSeed(_ params: ParamValue) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in params.canonicalJSON.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
