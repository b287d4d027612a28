/// Text forms of parameter values: canonical JSON (for hashing and storage) and the
/// Python-style text that W&B puts into command-line arguments.
extension ParamValue {
    /// Compact JSON with object keys sorted and numbers in one canonical spelling, so that
    /// equal configurations give equal text whatever their key order or number formatting.
    public var canonicalJSON: String {
        var output = ""
        output.reserveCapacity(64)
        writeJSON(into: &output)
        return output
    }

    /// Appends canonical JSON to `output`.
    public func writeJSON(into output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value): output += Self.canonicalNumber(value)
        case .string(let value): Self.writeJSONString(value, into: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.writeJSON(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            let keys = members.count == 1 ? Array(members.keys) : members.keys.sorted()
            for (index, key) in keys.enumerated() {
                if index > 0 { output += "," }
                Self.writeJSONString(key, into: &output)
                output += ":"
                members[key]!.writeJSON(into: &output)
            }
            output += "}"
        }
    }

    /// A number spelt one way only: integral values below 2^53 as integers (`1.0` → `1`),
    /// everything else in Swift's shortest round-trip form (`0.1`, `1e-05`).
    public static func canonicalNumber(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return value.description
    }

    /// Writes a JSON string literal with the escapes RFC 8259 requires.
    public static func writeJSONString(_ text: String, into output: inout String) {
        // Most names and values need no escaping: append them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output += "\""
            output += text
            output += "\""
            return
        }
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// The text of a value in a command-line argument, as W&B's agent writes it (Python's
    /// `str()`): `True`, `None`, `0.001`, `1e-05`, `64`; lists and mappings as JSON.
    public var argumentText: String {
        switch self {
        case .null: "None"
        case .bool(let value): value ? "True" : "False"
        case .int(let value): String(value)
        case .double(let value): value.description
        case .string(let value): value
        case .array, .object: canonicalJSON
        }
    }

    /// The value as a human reads it in a table: strings bare, everything else as JSON.
    public var displayText: String {
        switch self {
        case .string(let value): value
        case .double(let value): value.description
        default: canonicalJSON
        }
    }
}
