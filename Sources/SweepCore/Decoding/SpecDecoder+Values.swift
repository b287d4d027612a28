import Foundation

/// Typed readers for single values; each reports what it expected and what it found.
extension SpecDecoder {
    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.error(message, at: location)
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        diagnostics.warning(message, at: location)
    }

    /// The node as a mapping, or an error naming what was expected.
    mutating func mapping(_ node: YAMLNode, what: String, example: String) -> Fields? {
        guard case .mapping(let entries, let location) = node else {
            error("\(what) must be a mapping such as \(example), found \(node.kindDescription)", at: node.location)
            return nil
        }
        return Fields(entries, at: location)
    }

    /// Reports keys outside `allowed`, with a suggestion for near misses.
    mutating func reportUnknownKeys(in fields: Fields, allowed: [String], context: String) {
        for key in fields.unknownKeys(allowed: allowed) {
            let hint = KeySuggestion.hint(for: key.text, among: allowed)
            error("unknown key '\(YAMLScalar.truncated(key.text))' \(context)\(hint) (expected one of: \(allowed.joined(separator: ", ")))", at: key.location)
        }
    }

    /// A scalar as text; numbers and booleans are accepted as their written text.
    mutating func string(_ node: YAMLNode, what: String, nonEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, scalar.value != .null || !scalar.isPlain else {
            error("\(what) must be a string, found \(node.kindDescription)", at: node.location)
            return nil
        }
        if nonEmpty, scalar.text.trimmingCharacters(in: .whitespaces).isEmpty {
            error("\(what) must not be empty", at: node.location)
            return nil
        }
        return scalar.text
    }

    /// An integer within `range`.
    mutating func integer(_ node: YAMLNode, what: String, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node else {
            error("\(what) must be an integer, found \(node.kindDescription)", at: node.location)
            return nil
        }
        let value: Int64
        switch scalar.value {
        case .int(let integer): value = integer
        case .double(let number) where number == number.rounded() && abs(number) < 9e15: value = Int64(number)
        default:
            error("\(what) must be an integer, found \(scalar.describedValue)", at: node.location)
            return nil
        }
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            let bounds = range.upperBound >= Int(Int32.max) ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            error("\(what) must be \(bounds), found \(value)", at: node.location)
            return nil
        }
        return Int(value)
    }

    /// A finite number.
    mutating func number(_ node: YAMLNode, what: String) -> Double? {
        guard case .scalar(let scalar) = node, let value = scalar.value.numberValue else {
            error("\(what) must be a number, found \(node.kindDescription)", at: node.location)
            return nil
        }
        guard value.isFinite else {
            error("\(what) must be a finite number, found \(scalar.text)", at: node.location)
            return nil
        }
        return value
    }

    /// A boolean.
    mutating func boolean(_ node: YAMLNode, what: String) -> Bool? {
        guard case .scalar(let scalar) = node, case .bool(let value) = scalar.value else {
            error("\(what) must be true or false, found \(node.kindDescription)", at: node.location)
            return nil
        }
        return value
    }

    /// A duration: a number of seconds, or text such as `500ms`, `10s`, `5m`, `2h`.
    mutating func duration(_ node: YAMLNode, what: String) -> Duration? {
        if case .scalar(let scalar) = node {
            if let seconds = scalar.value.numberValue, seconds.isFinite, seconds >= 0 {
                return .milliseconds(Int64((seconds * 1000).rounded()))
            }
            if let parsed = Self.parseDuration(scalar.text) { return parsed }
        }
        error("\(what) must be a duration such as 500ms, 10s, 5m or 2h (or a number of seconds), found \(node.kindDescription)", at: node.location)
        return nil
    }

    /// Parses `500ms`, `10s`, `1.5m`, `2h`.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(suffix: String, milliseconds: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            guard let value = Double(number), value.isFinite, value >= 0,
                  number.allSatisfy({ $0.isNumber || $0 == "." }) else { continue }
            return .milliseconds(Int64((value * unit.milliseconds).rounded()))
        }
        return nil
    }

    /// Any YAML value as a parameter value (lists and mappings allowed); refuses non-finite numbers.
    mutating func paramValue(_ node: YAMLNode) -> ParamValue? {
        switch node {
        case .scalar(let scalar):
            let value = scalar.value
            if case .double(let number) = value, !number.isFinite {
                error("parameter values must be finite numbers, found \(scalar.text)", at: node.location)
                return nil
            }
            return value
        case .sequence(let items, _):
            var values: [ParamValue] = []
            for item in items {
                guard let value = paramValue(item) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let entries, _):
            var members: [String: ParamValue] = [:]
            for (key, item) in entries {
                guard let value = paramValue(item) else { return nil }
                members[key.text] = value
            }
            return .object(members)
        }
    }
}
