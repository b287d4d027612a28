/// A YAML node with its source position: Sweep's own small tree, converted from Yams, so that
/// the spec decoder can name the line and column of every value it questions.
public indirect enum YAMLNode: Sendable {
    /// A scalar.
    case scalar(YAMLScalar)
    /// A mapping, keys in source order (duplicates are refused while loading).
    case mapping([(key: YAMLScalar, value: YAMLNode)], SourceLocation)
    /// A sequence.
    case sequence([YAMLNode], SourceLocation)

    /// Where the node starts.
    public var location: SourceLocation {
        switch self {
        case .scalar(let scalar): scalar.location
        case .mapping(_, let location), .sequence(_, let location): location
        }
    }

    /// "a mapping", "a list", "the string 'x'", for messages.
    public var kindDescription: String {
        switch self {
        case .scalar(let scalar): scalar.describedValue
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}

/// A scalar's text and how it was written (plain scalars may be numbers or booleans;
/// quoted ones are always strings).
public struct YAMLScalar: Sendable {
    /// The scalar's text after YAML unescaping.
    public var text: String
    /// Whether it was written without quotes or block style.
    public var isPlain: Bool
    /// An explicit tag such as `!!str`, if any.
    public var tag: String?
    /// Where it starts.
    public var location: SourceLocation

    /// The scalar as a parameter value, with YAML 1.1 core resolution as PyYAML (and so
    /// W&B) applies it, plus exponent floats without a dot (`1e-3`) which people write often.
    public var value: ParamValue {
        if let tag {
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:int": if let value = Self.integer(text) { return .int(value) }
            case "tag:yaml.org,2002:float": if let value = Self.float(text) { return .double(value) }
            case "tag:yaml.org,2002:bool": if let value = Self.boolean(text) { return .bool(value) }
            case "tag:yaml.org,2002:null": return .null
            default: break
            }
            return .string(text)
        }
        guard isPlain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let value = Self.boolean(text) { return .bool(value) }
        if let value = Self.integer(text) { return .int(value) }
        if let value = Self.float(text) { return .double(value) }
        return .string(text)
    }

    /// "the string 'abc'", "the number 3", for messages.
    public var describedValue: String {
        switch value {
        case .null: "null"
        case .bool(let value): "the boolean \(value)"
        case .int, .double: "the number \(text)"
        default: "the string '\(Self.truncated(text))'"
        }
    }

    /// At most 60 characters of a value, for messages.
    static func truncated(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(57)) + "..."
    }

    static func boolean(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": false
        default: nil
        }
    }

    static func integer(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard let first = body.first, first.isASCII, first.isNumber else { return nil }
        let radix: Int
        if body.hasPrefix("0x") {
            radix = 16
            body = body.dropFirst(2)
        } else if body.hasPrefix("0o") {
            radix = 8
            body = body.dropFirst(2)
        } else {
            radix = 10
        }
        let digits = body.filter { $0 != "_" }
        guard !digits.isEmpty, let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    static func float(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // Only digits, signs, dots, exponents and underscores: keeps words like "nan" or
        // "infinity" as strings, as YAML does.
        guard text.contains(where: { $0.isASCII && $0.isNumber }),
              text.allSatisfy({ "0123456789+-._eE".contains($0) }) else { return nil }
        return Double(text.filter { $0 != "_" })
    }
}
