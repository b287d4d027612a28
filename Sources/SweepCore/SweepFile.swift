import Foundation

/// The front door: read, validate and decode a sweep file.
public enum SweepFile {
    /// Decodes sweep YAML held in memory. Throws `SweepFileError` with every diagnostic when
    /// any error is found; warnings come back with the spec.
    public static func parse(bytes: [UInt8], file: String, limits: LoadLimits = LoadLimits()) throws(SweepFileError) -> (spec: SweepSpec, warnings: [Diagnostic]) {
        let (tree, loadDiagnostics) = SweepDocument.load(bytes: bytes, file: file, limits: limits)
        var diagnostics = loadDiagnostics
        guard let tree, !diagnostics.hasErrors else { throw SweepFileError(diagnostics) }
        var decoder = SpecDecoder(file: file)
        let spec = decoder.decode(tree)
        diagnostics.append(contentsOf: decoder.diagnostics)
        guard let spec, !diagnostics.hasErrors else { throw SweepFileError(diagnostics) }
        return (spec, diagnostics.warnings)
    }

    /// Decodes sweep YAML text.
    public static func parse(text: String, file: String = "<input>", limits: LoadLimits = LoadLimits()) throws(SweepFileError) -> (spec: SweepSpec, warnings: [Diagnostic]) {
        try parse(bytes: Array(text.utf8), file: file, limits: limits)
    }

    /// Reads and decodes the file at `path`; `path` is also the name used in messages.
    public static func load(path: String, limits: LoadLimits = LoadLimits()) throws(SweepFileError) -> (spec: SweepSpec, warnings: [Diagnostic]) {
        let start = SourceLocation(file: path, line: 1, column: 1)
        var diagnostics = Diagnostics()
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            diagnostics.error(exists ? "cannot read the file (check its permissions)" : "no such file", at: start)
            throw SweepFileError(diagnostics)
        }
        defer { try? handle.close() }
        // Read one byte past the limit so that an oversized file is refused without loading it all.
        let data: Data
        do {
            data = try handle.read(upToCount: limits.maxBytes + 1) ?? Data()
        } catch {
            diagnostics.error("cannot read the file: \(error.localizedDescription)", at: start)
            throw SweepFileError(diagnostics)
        }
        if data.count > limits.maxBytes {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? data.count
            diagnostics.error("the file is \(size) bytes; a sweep file may be at most \(limits.maxBytes) bytes (\(limits.maxBytes >> 20) MiB): keep data out of sweep files and point to it from a parameter", at: start)
            throw SweepFileError(diagnostics)
        }
        return try parse(bytes: [UInt8](data), file: path, limits: limits)
    }
}
