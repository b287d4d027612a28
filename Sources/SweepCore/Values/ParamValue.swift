/// A parameter value as it reaches a job: the JSON data model, with integers kept apart
/// from floating-point numbers so that `--batch_size=64` never becomes `64.0`.
public enum ParamValue: Sendable, Hashable {
    /// YAML `null` / `~`, Python `None`.
    case null
    /// A boolean.
    case bool(Bool)
    /// An integer.
    case int(Int64)
    /// A finite floating-point number.
    case double(Double)
    /// Text.
    case string(String)
    /// A list of values.
    case array([ParamValue])
    /// A mapping from names to values (nested parameters); key order is irrelevant.
    case object([String: ParamValue])

    /// The value as a Double when it is a number.
    public var numberValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The value as a string, when it is one.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The mapping, when the value is one.
    public var objectValue: [String: ParamValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// The value at a dotted path inside nested objects.
    public subscript(path path: [String]) -> ParamValue? {
        var current = self
        for key in path {
            guard case .object(let members) = current, let next = members[key] else { return nil }
            current = next
        }
        return current
    }

    /// Sets the value at a path, creating intermediate objects as needed.
    public mutating func set(_ value: ParamValue, at path: ArraySlice<String>) {
        guard let key = path.first else {
            self = value
            return
        }
        // Take the members out before changing them, so the dictionary is not copied.
        var members: [String: ParamValue]
        if case .object(let existing) = self {
            members = existing
            self = .null
        } else {
            members = [:]
        }
        if path.count == 1 {
            members[key] = value
        } else {
            var child = members.removeValue(forKey: key) ?? .object([:])
            child.set(value, at: path.dropFirst())
            members[key] = child
        }
        self = .object(members)
    }

    /// A short name of the kind of value, for messages ("a string", "a list").
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "a mapping"
        }
    }
}

extension ParamValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ParamValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ParamValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
