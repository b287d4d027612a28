import Foundation
import SweepCore
import Synchronization
import Testing
@testable import SweepWorker

/// What a kernel reported, collected from its reporter callback.
final class Reports: Sendable {
    private let storage = Mutex<[(step: Int64, values: [String: Double])]>([])
    func add(_ step: Int64, _ values: [String: Double]) { storage.withLock { $0.append((step, values)) } }
    var all: [(step: Int64, values: [String: Double])] { storage.withLock { $0 } }
    var steps: [Int64] { all.map(\.step) }
}

/// The built-in kernels: noop, sleep and synthetic-curve.
@Suite("Built-in kernels", .timeLimit(.minutes(1)))
struct KernelTests {
    static func context(
        params: [String: ParamValue] = [:], settings: [String: ParamValue] = [:], seed: Int64 = 0, maxSteps: Int? = nil,
        stop: StopFlag = StopFlag(), reports: Reports = Reports()
    ) -> KernelContext {
        KernelContext(params: .object(params), settings: settings, seed: seed, maxSteps: maxSteps, stopFlag: stop) { step, values in
            reports.add(step, values)
        }
    }

    static func kernel(_ name: String) throws -> any Kernel {
        try #require(KernelRegistry.builtIn.kernel(named: name))
    }

    @Test func theRegistryListsTheBuiltInKernels() {
        #expect(KernelRegistry.builtIn.names == ["noop", "sleep", "synthetic-curve"])
        #expect(KernelRegistry.builtIn.kernel(named: "mlp-train") == nil)
    }

    @Test func noopSucceedsWithNothing() async throws {
        let reports = Reports()
        #expect(try await Self.kernel("noop").run(Self.context(reports: reports)) == [:])
        #expect(reports.all.isEmpty)
    }

    // MARK: synthetic-curve

    @Test func syntheticCurveIsDeterministicForASeed() async throws {
        let kernel = try Self.kernel("synthetic-curve")
        let params: [String: ParamValue] = ["lr": .double(0.01), "width": .int(64)]
        let first = Reports(), second = Reports(), otherSeed = Reports(), otherParams = Reports()
        let finalFirst = try await kernel.run(Self.context(params: params, seed: 7, maxSteps: 50, reports: first))
        let finalSecond = try await kernel.run(Self.context(params: params, seed: 7, maxSteps: 50, reports: second))
        _ = try await kernel.run(Self.context(params: params, seed: 8, maxSteps: 50, reports: otherSeed))
        _ = try await kernel.run(Self.context(params: ["lr": .double(0.02), "width": .int(64)], seed: 7, maxSteps: 50, reports: otherParams))

        #expect(first.steps == Array(0..<50))
        #expect(first.all.map(\.values) == second.all.map(\.values))
        #expect(finalFirst == finalSecond)
        #expect(finalFirst == first.all.last?.values)
        #expect(first.all.map(\.values) != otherSeed.all.map(\.values), "another seed, another noise")
        #expect(first.all.map(\.values) != otherParams.all.map(\.values), "other parameters, another noise")
    }

    @Test func syntheticCurveFollowsItsSettings() async throws {
        let reports = Reports()
        let settings: [String: ParamValue] = [
            "floor": .double(0.2), "scale": .double(2), "rate": .double(1), "noise": .double(0),
            "metric": .string("loss"), "values_per_step": .int(3),
        ]
        // Parameters win over settings: steps comes from the job.
        _ = try await Self.kernel("synthetic-curve").run(Self.context(params: ["steps": .int(4)], settings: settings, maxSteps: 99, reports: reports))
        #expect(reports.steps == [0, 1, 2, 3])
        for (step, values) in reports.all {
            let clean = 0.2 + 2 / Double(step + 1)
            #expect(Set(values.keys) == ["loss", "m1", "m2"])
            #expect(abs(values["loss"]! - clean) < 1e-12)
            #expect(abs(values["m1"]! - 2 * clean) < 1e-12)
            #expect(abs(values["m2"]! - 3 * clean) < 1e-12)
        }
    }

    @Test func syntheticCurveRunsMaxStepsElseTwenty() async throws {
        let withMax = Reports(), without = Reports()
        _ = try await Self.kernel("synthetic-curve").run(Self.context(maxSteps: 5, reports: withMax))
        _ = try await Self.kernel("synthetic-curve").run(Self.context(reports: without))
        #expect(withMax.steps.count == 5)
        #expect(without.steps.count == 20)
    }

    @Test func syntheticCurveHonoursAStop() async throws {
        let stop = StopFlag()
        let reports = Reports()
        let context = KernelContext(params: .object([:]), settings: ["step_ms": .int(1)], seed: 1, maxSteps: 100_000, stopFlag: stop) { step, values in
            reports.add(step, values)
            if step == 9 { stop.set() }
        }
        _ = try await Self.kernel("synthetic-curve").run(context)
        // It stops after the step that set the flag (not after its 100,000). No bound on the
        // time: on a loaded machine ten 1 ms steps once took 5.5 s (a full `swift test`).
        #expect(reports.steps == Array(0...9))

        let stoppedBefore = StopFlag()
        stoppedBefore.set()
        let none = Reports()
        _ = try await Self.kernel("synthetic-curve").run(Self.context(maxSteps: 10, stop: stoppedBefore, reports: none))
        #expect(none.all.isEmpty)
    }

    @Test("synthetic-curve refuses bad settings", arguments: [
        ["steps": ParamValue.int(0)], ["rate": .double(0)], ["noise": .double(-1)], ["values_per_step": .int(0)],
    ])
    func syntheticCurveRefusesBadSettings(settings: [String: ParamValue]) async throws {
        await #expect(throws: KernelError.self) { _ = try await Self.kernel("synthetic-curve").run(Self.context(settings: settings)) }
    }

    // MARK: sleep

    @Test func sleepSleeps() async throws {
        let start = ContinuousClock.now
        let final = try await Self.kernel("sleep").run(Self.context(settings: ["seconds": .double(0.2)]))
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        #expect(final == ["slept_seconds": 0.2])
    }

    @Test func sleepEndsSoonAfterAStop() async throws {
        let stop = StopFlag()
        let start = ContinuousClock.now
        async let final = Self.kernel("sleep").run(Self.context(params: ["seconds": .int(30)], stop: stop))
        try await Task.sleep(for: .milliseconds(100))
        stop.set()
        _ = try await final
        // Well before the 30 s it was asked to sleep (a loose bound: loaded machines are slow).
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test func sleepRefusesANegativeTime() async throws {
        await #expect(throws: KernelError.self) { _ = try await Self.kernel("sleep").run(Self.context(settings: ["seconds": .double(-1)])) }
    }
}
