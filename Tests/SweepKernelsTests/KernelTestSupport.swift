import SweepCore
import SweepWorker
import Synchronization

/// What a kernel reported, collected from its reporter callback.
final class Reports: Sendable {
    private let storage = Mutex<[(step: Int64, values: [String: Double])]>([])
    func add(_ step: Int64, _ values: [String: Double]) { storage.withLock { $0.append((step, values)) } }
    var all: [(step: Int64, values: [String: Double])] { storage.withLock { $0 } }
    var steps: [Int64] { all.map(\.step) }
    func series(_ name: String) -> [Double] { all.compactMap { $0.values[name] } }
}

/// A kernel job's context with the given parameters and settings.
func kernelContext(
    params: [String: ParamValue] = [:], settings: [String: ParamValue] = [:], seed: Int64 = 0, maxSteps: Int? = nil,
    stop: StopFlag = StopFlag(), reports: Reports = Reports()
) -> KernelContext {
    KernelContext(params: .object(params), settings: settings, seed: seed, maxSteps: maxSteps, stopFlag: stop) { step, values in
        reports.add(step, values)
    }
}

/// Small, fast teacher–student settings for tests.
let smallTeacherStudent: [String: ParamValue] = [
    "dataset": .string("teacher-student"), "input_dim": .int(8), "teacher_width": .int(16), "classes": .int(4),
    "train_samples": .int(1024), "val_samples": .int(256),
]
