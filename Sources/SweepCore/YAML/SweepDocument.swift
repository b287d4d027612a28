import Foundation
import Yams

/// Limits that keep hostile or accidental input from exhausting memory or the stack.
public struct LoadLimits: Sendable {
    /// Largest sweep file accepted, in bytes (a sweep is configuration, not data).
    public var maxBytes: Int
    /// Deepest nesting of mappings and lists accepted.
    public var maxNestingDepth: Int

    /// 4 MiB and 64 levels.
    public init(maxBytes: Int = 4 << 20, maxNestingDepth: Int = 64) {
        self.maxBytes = maxBytes
        self.maxNestingDepth = maxNestingDepth
    }
}

/// Reads sweep YAML into a `YAMLNode` tree: checks size, encoding, tabs and nesting before
/// the YAML parser sees the text, then converts Yams' nodes keeping every position.
public enum SweepDocument {
    /// Parses `bytes` read from `file`; the tree is nil when an error was found.
    public static func load(bytes: [UInt8], file: String, limits: LoadLimits = LoadLimits()) -> (YAMLNode?, Diagnostics) {
        var diagnostics = Diagnostics()
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard bytes.count <= limits.maxBytes else {
            diagnostics.error(Self.sizeMessage(bytes.count, limits: limits), at: start)
            return (nil, diagnostics)
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let offset = firstInvalidUTF8(body) {
            let location = Self.location(ofByte: offset, in: body, file: file)
            diagnostics.error(
                String(format: "invalid UTF-8 (byte 0x%02X at byte offset %d of the file); save the file as UTF-8", body[offset], offset),
                at: location)
            return (nil, diagnostics)
        }
        let text = String(decoding: body, as: UTF8.self)
        return load(text: text, file: file, limits: limits)
    }

    /// Parses text already decoded.
    public static func load(text: String, file: String, limits: LoadLimits = LoadLimits()) -> (YAMLNode?, Diagnostics) {
        var diagnostics = Diagnostics()
        let start = SourceLocation(file: file, line: 1, column: 1)
        if text.utf8.count > limits.maxBytes {
            diagnostics.error(Self.sizeMessage(text.utf8.count, limits: limits), at: start)
            return (nil, diagnostics)
        }
        Prescan.check(text, file: file, limits: limits, into: &diagnostics)
        if diagnostics.hasErrors { return (nil, diagnostics) }

        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            diagnostics.append(Self.diagnostic(for: error, file: file, text: text, limits: limits))
            return (nil, diagnostics)
        } catch {
            diagnostics.error("could not read YAML: \(error)", at: start)
            return (nil, diagnostics)
        }
        let isEmptyDocument: Bool
        if case .scalar(let scalar)? = root, scalar.string.isEmpty, scalar.style == .plain || scalar.style == .any {
            isEmptyDocument = true
        } else {
            isEmptyDocument = root == nil
        }
        guard let root, !isEmptyDocument else {
            diagnostics.error("the file holds no sweep (it is empty or only comments); a sweep needs at least 'method' and 'parameters'", at: start)
            return (nil, diagnostics)
        }
        var converter = Converter(file: file, limits: limits)
        let tree = converter.convert(root, depth: 1)
        diagnostics.append(contentsOf: converter.diagnostics)
        return (diagnostics.hasErrors ? nil : tree, diagnostics)
    }

    /// "the file is 10485760 bytes (10.0 MiB); a sweep file may be at most 4194304 bytes (4.0 MiB)..."
    static func sizeMessage(_ size: Int, limits: LoadLimits) -> String {
        func mebibytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        return "the file is \(size) bytes (\(mebibytes(size))); a sweep file may be at most \(limits.maxBytes) bytes (\(mebibytes(limits.maxBytes))): keep data out of sweep files and point to it from a parameter"
    }

    /// Turns a Yams error into a positioned diagnostic.
    static func diagnostic(for error: YamlError, file: String, text: String, limits: LoadLimits) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: file, line: max(1, mark.line), column: max(1, mark.column))
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            if problem.contains("expected a single document") || problem.contains("another document") {
                message = "a sweep file holds one YAML document; found another one here (remove the '---' separator or split the file)"
            } else if problem.contains("nesting level") {
                message = "nesting is deeper than \(limits.maxNestingDepth) levels; a sweep file is configuration and never needs this"
            }
            return Diagnostic(.error, at: at(mark), message)
        case let .reader(problem, offset, value, yaml):
            // Yams reports the offset in Characters of the text.
            let location = offset.map { Self.location(ofCharacter: $0, in: yaml, file: file) }
                ?? SourceLocation(file: file, line: 1, column: 1)
            let shown = value >= 0 ? String(format: " (U+%04X)", value) : ""
            return Diagnostic(.error, at: location, "invalid YAML: \(problem)\(shown); remove the control character")
        case let .duplicatedKeysInMapping(duplicates, context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let repeated = duplicates.first.flatMap {
                Self.repeatedFlowKey($0, firstAt: context.mark, in: text) ?? Self.repeatedKey($0, firstAt: context.mark, in: text)
            } ?? (context.mark.line, context.mark.column)
            let location = SourceLocation(file: file, line: max(1, repeated.line), column: max(1, repeated.column))
            return Diagnostic(.error, at: location, "duplicate key \(names) in the same mapping; each key may appear once")
        default:
            return Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "could not read YAML: \(error)")
        }
    }

    /// The byte offset of the first byte that is not part of valid UTF-8, if any.
    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int? {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let lead = bytes[index]
            let length: Int
            switch lead {
            case 0x00...0x7F: index += 1; continue
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return index
            }
            guard index + length <= bytes.endIndex else { return index }
            for next in 1..<length where bytes[index + next] & 0xC0 != 0x80 { return index }
            let second = bytes[index + 1]
            // Overlong forms, surrogates and code points beyond U+10FFFF.
            if (lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F)
                || (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F) { return index }
            index += length
        }
        return nil
    }

    /// Where a key appears again after its first occurrence: the next line that has the key
    /// at the same column (block mappings), else later on the same line (flow mappings).
    static func repeatedKey(_ key: String, firstAt first: Mark, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let column = first.column - 1
        let forms = [key, "\"\(key)\"", "'\(key)'"].map { Array(($0 + ":").unicodeScalars) }
        func matches(_ line: [Unicode.Scalar], at index: Int) -> Bool {
            forms.contains { form in index + form.count <= line.count && Array(line[index..<(index + form.count)]) == form }
        }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        for number in first.line..<lines.count where matches(lines[number], at: column) {
            let indent = lines[number].prefix { $0 == " " }.count
            if indent == column { return (number + 1, column + 1) }
        }
        let line = lines[first.line - 1]
        var index = column + 1
        while index < line.count {
            if (line[index - 1] == " " || line[index - 1] == "{" || line[index - 1] == ","), matches(line, at: index) {
                return (first.line, index + 1)
            }
            index += 1
        }
        return nil
    }

    /// In a flow mapping (`{a: 1, b: 2}`, over one line or several), the position of `key`
    /// repeated after its first occurrence at `first`: a key is what follows a comma at the
    /// mapping's own depth, so the keys of nested mappings, text in quotes and comments are
    /// passed over. Nil when the first key is not in a flow mapping or no repeat is found.
    static func repeatedFlowKey(_ key: String, firstAt first: Mark, in text: String) -> (line: Int, column: Int)? {
        let scalars = Array(text.unicodeScalars)
        // Index of the first occurrence (Yams' marks count lines and columns from 1).
        var start: Int?
        var line = 1, column = 1
        for (index, scalar) in scalars.enumerated() {
            if line == first.line, column == first.column {
                start = index
                break
            }
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        guard let start else { return nil }
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" }
        var before = start - 1
        while before >= 0, isSpace(scalars[before]) { before -= 1 }
        guard before >= 0, scalars[before] == "{" || scalars[before] == "," else { return nil }
        let forms = [key, "\"\(key)\"", "'\(key)'"].map { Array($0.unicodeScalars) }
        func isKey(at index: Int) -> Bool {
            forms.contains { form in
                guard index + form.count <= scalars.count, Array(scalars[index..<(index + form.count)]) == form else { return false }
                var after = index + form.count
                while after < scalars.count, scalars[after] == " " || scalars[after] == "\t" { after += 1 }
                return after < scalars.count && scalars[after] == ":"
            }
        }
        var depth = 0           // nesting below the mapping's own level
        var expectKey = false   // the next token at depth 0 is a key (after a comma)
        var index = start
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\"", "'":
                if depth == 0, expectKey {
                    if isKey(at: index) { return position(of: index, in: scalars) }
                    expectKey = false
                }
                // Pass over the quoted text: "..." with backslash escapes, '...' with '' for a quote.
                index += 1
                while index < scalars.count {
                    if scalar == "\"", scalars[index] == "\\" { index += 2; continue }
                    if scalars[index] == scalar {
                        if scalar == "'", index + 1 < scalars.count, scalars[index + 1] == "'" { index += 2; continue }
                        break
                    }
                    index += 1
                }
            case "#" where index > 0 && isSpace(scalars[index - 1]):
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
                continue
            case "{", "[":
                depth += 1
                expectKey = false
            case "}", "]":
                if depth == 0 { return nil }  // the mapping ended
                depth -= 1
            case ",":
                if depth == 0 { expectKey = true }
            default:
                if isSpace(scalar) { break }
                if depth == 0, expectKey {
                    if isKey(at: index) { return position(of: index, in: scalars) }
                    expectKey = false
                }
            }
            index += 1
        }
        return nil
    }

    /// Line and column (from 1, in Unicode scalars) of a scalar index.
    private static func position(of target: Int, in scalars: [Unicode.Scalar]) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for scalar in scalars[..<target] {
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// Line and column of a Character offset.
    static func location(ofCharacter offset: Int, in text: String, file: String) -> SourceLocation {
        var line = 1, column = 1
        for (index, character) in text.enumerated() {
            if index >= offset { break }
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Line and column (in Unicode scalars) of a byte offset.
    static func location(ofByte offset: Int, in bytes: ArraySlice<UInt8>, file: String) -> SourceLocation {
        var line = 1, column = 1
        var index = bytes.startIndex
        while index < min(offset, bytes.endIndex) {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return SourceLocation(file: file, line: line, column: column)
    }
}

/// Converts Yams nodes into `YAMLNode`, refusing anchors and aliases and excessive depth.
private struct Converter {
    let file: String
    let limits: LoadLimits
    var diagnostics = Diagnostics()
    var reportedAnchors: Set<SourceLocation> = []

    init(file: String, limits: LoadLimits) {
        self.file = file
        self.limits = limits
    }

    func location(_ node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: max(1, mark?.line ?? 1), column: max(1, mark?.column ?? 1))
    }

    mutating func convert(_ node: Node, depth: Int) -> YAMLNode? {
        let here = location(node)
        if let anchor = node.anchor {
            if reportedAnchors.insert(here).inserted {
                diagnostics.error(
                    "anchors and aliases (&\(anchor.rawValue) / *\(anchor.rawValue)) are not supported in sweep files; write each value out in full",
                    at: here)
            }
            return nil
        }
        if depth > limits.maxNestingDepth {
            diagnostics.error("nesting is deeper than \(limits.maxNestingDepth) levels; a sweep file is configuration and never needs this", at: here)
            return nil
        }
        switch node {
        case .scalar(let scalar):
            return .scalar(Self.scalar(scalar, at: here))
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            for item in sequence {
                guard let converted = convert(item, depth: depth + 1) else { return nil }
                items.append(converted)
            }
            return .sequence(items, here)
        case .mapping(let mapping):
            var entries: [(key: YAMLScalar, value: YAMLNode)] = []
            var seenKeys: [String: SourceLocation] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    diagnostics.error("a mapping key must be a plain name, not \(key.isMapping ? "a mapping" : "a list")", at: location(key))
                    return nil
                }
                guard key.anchor == nil else {
                    _ = convert(key, depth: depth + 1)
                    return nil
                }
                guard let converted = convert(value, depth: depth + 1) else { return nil }
                let keyLocation = location(key)
                // `1:` and `"1":` are different YAML nodes but the same name to us.
                if let first = seenKeys[keyScalar.string] {
                    diagnostics.error("duplicate key '\(keyScalar.string)' in the same mapping (first at line \(first.line)); each key may appear once", at: keyLocation)
                    return nil
                }
                seenKeys[keyScalar.string] = keyLocation
                entries.append((Self.scalar(keyScalar, at: keyLocation), converted))
            }
            return .mapping(entries, here)
        case .alias:
            diagnostics.error("aliases are not supported in sweep files; write each value out in full", at: here)
            return nil
        }
    }

    static func scalar(_ scalar: Node.Scalar, at location: SourceLocation) -> YAMLScalar {
        let tagName = scalar.tag.rawValue
        let explicitTag = tagName.isEmpty || tagName == "?" || tagName == "!" ? nil : tagName
        return YAMLScalar(
            text: scalar.string,
            isPlain: scalar.style == .plain || scalar.style == .any,
            tag: explicitTag,
            location: location)
    }
}

private extension Node {
    var isMapping: Bool {
        if case .mapping = self { true } else { false }
    }
}
