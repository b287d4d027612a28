/// One problem found in a sweep file, with where it is and what would be accepted instead.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How bad a diagnostic is.
    public enum Severity: String, Sendable, Hashable {
        /// The file cannot be used.
        case error
        /// The file can be used, but probably not as the author meant.
        case warning
    }

    /// Error or warning.
    public var severity: Severity
    /// Where the problem is.
    public var location: SourceLocation
    /// What is wrong, the offending value, and the accepted forms.
    public var message: String

    /// Creates a diagnostic.
    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// Compiler style: `sweeps/a.yaml:12:7: error: ...`.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// Diagnostics gathered while reading one file, so that several problems are reported at once.
public struct Diagnostics: Sendable, CustomStringConvertible {
    /// Everything found so far, in the order it was found.
    public private(set) var all: [Diagnostic] = []

    /// Creates an empty collection.
    public init() {}

    /// The errors only.
    public var errors: [Diagnostic] { all.filter { $0.severity == .error } }
    /// The warnings only.
    public var warnings: [Diagnostic] { all.filter { $0.severity == .warning } }
    /// Whether any error was found.
    public var hasErrors: Bool { all.contains { $0.severity == .error } }

    /// Records an error.
    public mutating func error(_ message: String, at location: SourceLocation) {
        all.append(Diagnostic(.error, at: location, message))
    }

    /// Records a warning.
    public mutating func warning(_ message: String, at location: SourceLocation) {
        all.append(Diagnostic(.warning, at: location, message))
    }

    /// Records a diagnostic made elsewhere.
    public mutating func append(_ diagnostic: Diagnostic) {
        all.append(diagnostic)
    }

    /// Adds diagnostics found elsewhere.
    public mutating func append(contentsOf other: Diagnostics) {
        all.append(contentsOf: other.all)
    }

    /// Diagnostics sorted by position, one per line.
    public var description: String {
        all.sorted { $0.location < $1.location }.map(\.description).joined(separator: "\n")
    }
}

/// Thrown when a sweep file has errors; carries every diagnostic found, warnings included.
public struct SweepFileError: Error, Sendable, CustomStringConvertible {
    /// All diagnostics for the file.
    public var diagnostics: Diagnostics

    /// Wraps diagnostics that contain at least one error.
    public init(_ diagnostics: Diagnostics) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic per line, compiler style.
    public var description: String { diagnostics.description }
}
