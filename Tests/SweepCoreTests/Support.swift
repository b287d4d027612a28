import Foundation
@testable import SweepCore
import Testing

/// Helpers shared by the SweepCore tests.
enum Support {
    /// Parses YAML text that must be valid.
    static func spec(_ yaml: String, file: String = "test.yaml") throws -> SweepSpec {
        try SweepFile.parse(text: yaml, file: file).spec
    }

    /// The diagnostics of YAML text that must be invalid.
    static func errors(_ yaml: String, file: String = "test.yaml") -> [Diagnostic] {
        do {
            _ = try SweepFile.parse(text: yaml, file: file)
            return []
        } catch {
            return error.diagnostics.errors.sorted { $0.location < $1.location }
        }
    }

    /// The repository root, found from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The fixtures folder copied into the test bundle.
    static var fixtures: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }
}
