public import SweepCore
import Synchronization

/// Everything a kernel sees of its job.
public struct KernelContext: Sendable {
    /// The job's parameters.
    public let params: ParamValue
    /// The sweep's fixed kernel settings.
    public let settings: [String: ParamValue]
    /// Replicate seed.
    public let seed: Int64
    /// The sweep's max_steps, if any.
    public let maxSteps: Int?
    let reporter: @Sendable (Int64, [String: Double]) -> Void
    let stopFlag: StopFlag

    /// Creates a context.
    public init(params: ParamValue, settings: [String: ParamValue], seed: Int64, maxSteps: Int?,
                stopFlag: StopFlag, reporter: @escaping @Sendable (Int64, [String: Double]) -> Void) {
        self.params = params
        self.settings = settings
        self.seed = seed
        self.maxSteps = maxSteps
        self.stopFlag = stopFlag
        self.reporter = reporter
    }

    /// Reports metric values at a step.
    public func report(step: Int64, _ values: [String: Double]) {
        reporter(step, values)
    }

    /// Whether a stop was requested; kernels check it between steps.
    public var shouldStop: Bool { stopFlag.isSet }

    /// A setting by name: the job's parameters first, then the sweep's kernel settings.
    public func value(_ name: String) -> ParamValue? {
        params[path: [name]] ?? settings[name]
    }

    /// A numeric setting, or `fallback`.
    public func number(_ name: String, default fallback: Double) -> Double {
        value(name)?.numberValue ?? fallback
    }
}

/// A stop request shared between the worker and a running kernel.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    /// A flag not yet set.
    public init() {}

    /// Requests the stop.
    public func set() { flag.store(true, ordering: .relaxed) }

    /// Whether the stop was requested.
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// Why a kernel refused its settings.
public struct KernelError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what would be accepted.
    public var description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// A built-in training or inference kernel, run in the worker's process.
public protocol Kernel: Sendable {
    /// The name sweeps use (`kernel: NAME`).
    var name: String { get }
    /// Runs one attempt; returns the final metrics. Throws `KernelError` for bad settings.
    func run(_ context: KernelContext) async throws -> [String: Double]
}

/// The kernels a worker can run, by name.
public struct KernelRegistry: Sendable {
    private var kernels: [String: any Kernel]

    /// A registry of the given kernels.
    public init(_ kernels: [any Kernel]) {
        self.kernels = Dictionary(kernels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The built-in kernels: noop, sleep and synthetic-curve.
    public static let builtIn = KernelRegistry([NoopKernel(), SleepKernel(), SyntheticCurveKernel()])

    /// The kernel named `name`.
    public func kernel(named name: String) -> (any Kernel)? { kernels[name] }

    /// Every name, sorted (sent in HELLO).
    public var names: [String] { kernels.keys.sorted() }

    /// Adds or replaces a kernel.
    public mutating func register(_ kernel: any Kernel) { kernels[kernel.name] = kernel }
}
