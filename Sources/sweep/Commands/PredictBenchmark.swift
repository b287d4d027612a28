import ArgumentParser
import Foundation
import SweepCore
import SweepPrediction

/// `sweep bench predict`: time fitting the learning-curve ensemble to one curve and
/// predicting from it, on seeded synthetic curves (power-law, exponential and MMF shapes,
/// exact and noisy), and report how close the forecasts came.
struct PredictBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Time learning-curve fits and predictions on synthetic curves (use a release build)."
    )

    @Option(name: .long, help: "Curves to fit (each is timed on its own).")
    var fits = 2_000

    @Option(name: .long, help: "Points per curve (steps 1…N).")
    var points = 50

    @Option(name: .long, help: "Untimed fits first.")
    var warmup = 50

    @Option(name: .long, help: "Seed of the synthetic curves.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Completed runs of the sweep the population forecaster reads (0: skip that timing).")
    var populationRuns = 50

    func validate() throws {
        guard fits >= 1, warmup >= 0 else { throw ValidationError("--fits must be ≥ 1 and --warmup ≥ 0") }
        guard points >= 5 else { throw ValidationError("--points must be ≥ 5 (fewer is not enough evidence to fit)") }
    }

    func run() async throws {
        let predictor = CurvePredictor()
        var random = BenchmarkRandom(seed: seed)
        let target = Double(2 * points)
        let curves = (0..<(fits + warmup)).map { index in SyntheticCurve(index: index, random: &random) }

        var timings: [Double] = []
        timings.reserveCapacity(fits)
        var ensembleErrors: [Double] = [], singleErrors: [Double] = []
        var covered = 0, scored = 0, insufficient = 0
        let clock = ContinuousClock()
        for (index, curve) in curves.enumerated() {
            let observed = (1...points).map { CurvePoint(step: Double($0), value: curve.value(Double($0)) + curve.noise * random.gaussian()) }
            let start = clock.now
            let outcome = predictor.fit(observed, direction: .maximize)
            let prediction = outcome.fit?.predict(at: target)
            let interval = prediction?.interval(coverage: 0.8)
            _ = prediction?.probability(betterThan: curve.value(Double(points)), direction: .maximize)
            let elapsed = clock.now - start
            guard index >= warmup else { continue }
            timings.append(elapsed.seconds * 1e3)
            guard let fit = outcome.fit, let prediction, let interval else {
                insufficient += 1
                continue
            }
            let truth = curve.value(target)
            ensembleErrors.append(abs(prediction.mean - truth))
            singleErrors.append(abs(fit.bestMember.value(at: target) - truth))
            if curve.noise > 0 {
                scored += 1
                if interval.contains(truth + curve.noise * random.gaussian()) { covered += 1 }
            }
        }

        timings.sort()
        let median = timings[timings.count / 2]
        let p90 = timings[min(timings.count - 1, timings.count * 9 / 10)]
        let total = timings.reduce(0, +)
        print(String(format: "fit + predict, %d curves of %d points: median %.3f ms, p90 %.3f ms, max %.3f ms, %.0f fits/s",
                     timings.count, points, median, p90, timings.last ?? 0, Double(timings.count) / (total / 1e3)))
        ensembleErrors.sort()
        singleErrors.sort()
        if !ensembleErrors.isEmpty {
            print(String(format: "forecast at step %.0f: median |error| ensemble %.4f, best single family %.4f (values in [0, 0.9])",
                         target, ensembleErrors[ensembleErrors.count / 2], singleErrors[singleErrors.count / 2]))
        }
        if scored > 0 {
            print(String(format: "80%% interval held the noisy value at step %.0f in %.1f%% of %d noisy curves", target, 100 * Double(covered) / Double(scored), scored))
        }
        if insufficient > 0 { print("insufficient evidence: \(insufficient) curves") }
        if populationRuns > 0 { timePopulation(curves, random: &random, target: target) }
    }

    /// Times one decision of the population forecaster (predict's `forecaster: population`):
    /// a run of `points` points against a sweep of `populationRuns` completed runs of twice
    /// that length.
    private func timePopulation(_ curves: [SyntheticCurve], random: inout BenchmarkRandom, target: Double) {
        var sweep = SweepCurves(direction: .maximize)
        for run in 0..<populationRuns {
            let curve = curves[run % curves.count]
            for step in 1...(2 * points) { sweep.record(run: Int64(run), step: Double(step), value: curve.value(Double(step)) + curve.noise * random.gaussian()) }
            sweep.finish(run: Int64(run), as: .completed)
        }
        let forecaster = PopulationForecaster()
        let clock = ContinuousClock()
        var timings: [Double] = []
        for (index, curve) in curves.enumerated() {
            var trial = sweep
            let id = Int64(populationRuns + index)
            for step in 1...points { trial.record(run: id, step: Double(step), value: curve.value(Double(step)) + curve.noise * random.gaussian()) }
            guard let run = trial[id] else { continue }
            let start = clock.now
            _ = forecaster.forecast(run: run, in: trial, at: target, against: 0.9)
            let elapsed = clock.now - start
            if index >= warmup { timings.append(elapsed.seconds * 1e3) }
        }
        timings.sort()
        guard !timings.isEmpty else { return }
        print(String(format: "population forecast, %d curves of %d points against %d completed runs: median %.3f ms, p90 %.3f ms",
                     timings.count, points, populationRuns, timings[timings.count / 2], timings[min(timings.count - 1, timings.count * 9 / 10)]))
    }
}

/// A seeded accuracy-like curve rising to 0.9: a power law, an exponential or an MMF
/// sigmoid, exact for one curve in four and otherwise with Gaussian noise.
private struct SyntheticCurve {
    var shape: Int
    var amplitude: Double
    var rate: Double
    var noise: Double

    init(index: Int, random: inout BenchmarkRandom) {
        shape = index % 3
        amplitude = 0.3 + 0.4 * random.uniform()
        rate = 0.3 + 0.7 * random.uniform()
        noise = index % 4 == 0 ? 0 : 0.003 + 0.02 * random.uniform()
    }

    func value(_ step: Double) -> Double {
        switch shape {
        case 0: 0.9 - amplitude * pow(step, -rate)
        case 1: 0.9 - amplitude * exp(-0.1 * rate * step)
        default: 0.9 - amplitude / (1 + pow(step / 10, 2 * rate + 0.5))
        }
    }
}

/// SplitMix64, so that every run fits the same curves.
private struct BenchmarkRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func gaussian() -> Double {
        (-2 * log(max(uniform(), 0x1.0p-60))).squareRoot() * cos(2 * Double.pi * uniform())
    }
}
