public import SweepCore
public import SweepWorker

/// Reads a kernel's settings by name (the job's parameters first, then the sweep's kernel
/// settings), checks each against what is accepted, and refuses names nobody read, so that
/// a typo (`widht: 64`) fails the job instead of being silently ignored.
public struct SettingsReader {
    /// The kernel's name, which starts every message.
    public let kernel: String
    private let values: [String: ParamValue]
    private var read: Set<String> = []

    /// Reads the settings `kernel` was given: `settings` overridden by `params`.
    public init(kernel: String, params: ParamValue, settings: [String: ParamValue]) {
        self.kernel = kernel
        var merged = settings
        for (name, value) in params.objectValue ?? [:] { merged[name] = value }
        values = merged
    }

    /// Reads the settings of a kernel job.
    public init(kernel: String, context: KernelContext) {
        self.init(kernel: kernel, params: context.params, settings: context.settings)
    }

    /// Whether `name` was given.
    public func has(_ name: String) -> Bool { values[name] != nil }

    /// An integer setting within `range`, or `fallback` when absent.
    public mutating func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(KernelError) -> Int {
        try optionalInteger(name, in: range) ?? fallback
    }

    /// An integer setting within `range`, or nil when absent.
    public mutating func optionalInteger(_ name: String, in range: ClosedRange<Int>) throws(KernelError) -> Int? {
        read.insert(name)
        guard let value = values[name] else { return nil }
        let integer: Int?
        switch value {
        case .int(let number): integer = Int(exactly: number)
        case .double(let number): integer = number.rounded() == number ? Int(exactly: number) : nil
        default: integer = nil
        }
        guard let integer else {
            throw KernelError("\(kernel): '\(name)' must be an integer between \(range.lowerBound) and \(range.upperBound), found \(value.displayText)")
        }
        guard range.contains(integer) else {
            throw KernelError("\(kernel): '\(name)' must be between \(range.lowerBound) and \(range.upperBound), found \(integer)")
        }
        return integer
    }

    /// A finite number satisfying `accepts` (described by `expected`, e.g. "> 0"), or
    /// `fallback` when absent.
    public mutating func number(
        _ name: String, default fallback: Double, expected: String, where accepts: (Double) -> Bool
    ) throws(KernelError) -> Double {
        read.insert(name)
        guard let value = values[name] else { return fallback }
        guard let number = value.numberValue else {
            throw KernelError("\(kernel): '\(name)' must be a number \(expected), found \(value.displayText)")
        }
        guard number.isFinite, accepts(number) else {
            throw KernelError("\(kernel): '\(name)' must be a finite number \(expected), found \(number)")
        }
        return number
    }

    /// One of the names of `Choice`, or `fallback` when absent.
    public mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String, default fallback: Choice
    ) throws(KernelError) -> Choice where Choice.RawValue == String {
        read.insert(name)
        guard let value = values[name] else { return fallback }
        let accepted = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        guard let text = value.stringValue, let choice = Choice(rawValue: text.lowercased()) else {
            let shown = value.stringValue.map { "\"\($0)\"" } ?? value.displayText
            throw KernelError("\(kernel): unknown \(name) \(shown); accepted: \(accepted)")
        }
        return choice
    }

    /// A list of integers within `range` (a single integer is a list of one), or
    /// `fallback` when absent.
    public mutating func integers(_ name: String, default fallback: [Int], in range: ClosedRange<Int>) throws(KernelError) -> [Int] {
        read.insert(name)
        guard let value = values[name] else { return fallback }
        let elements: [ParamValue]
        if case .array(let array) = value { elements = array } else { elements = [value] }
        let integers = elements.compactMap { element -> Int? in
            guard let number = element.numberValue, number.rounded() == number, let integer = Int(exactly: number), range.contains(integer) else { return nil }
            return integer
        }
        guard !integers.isEmpty, integers.count == elements.count else {
            throw KernelError("\(kernel): '\(name)' must be an integer or a list of integers between \(range.lowerBound) and \(range.upperBound), found \(value.displayText)")
        }
        return integers
    }

    /// Throws if a setting was given that no accessor asked for.
    public func refuseUnknown() throws(KernelError) {
        let unknown = Set(values.keys).subtracting(read).sorted()
        guard unknown.isEmpty else {
            throw KernelError("\(kernel): unknown setting\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); accepted: \(read.sorted().joined(separator: ", "))")
        }
    }
}
