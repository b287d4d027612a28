/// Text forms of parameter values: canonical JSON (for hashing and storage) and the
/// Python-style text that W&B puts into command-line arguments.
extension ParamValue {
    /// Compact JSON with object keys sorted and numbers in one canonical spelling, so that
    /// equal configurations give equal text whatever their key order or number formatting.
    public var canonicalJSON: String {
        String(decoding: canonicalJSONBytes, as: UTF8.self)
    }

    /// `canonicalJSON` as UTF-8 bytes, written without going through `String` (the wire
    /// codec encodes every message this way).
    public var canonicalJSONBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        writeJSON(into: &output)
        return output
    }

    /// Appends canonical JSON to `output`.
    public func writeJSON(into output: inout String) {
        output += canonicalJSON
    }

    /// Appends canonical JSON, as UTF-8, to `output`.
    public func writeJSON(into output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): Self.writeInteger(value, into: &output)
        case .double(let value):
            if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
                Self.writeInteger(Int64(value), into: &output)
            } else {
                output.append(contentsOf: value.description.utf8)
            }
        case .string(let value): Self.writeJSONString(value, into: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.writeJSON(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            // Sorted pairs, not sorted keys looked up again: one hash less per member.
            let pairs = members.count == 1 ? Array(members) : members.sorted { $0.key < $1.key }
            for (index, member) in pairs.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeJSONString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.writeJSON(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Decimal digits of an integer, as `String(value)` spells it.
    static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value >= 0 && value < 10 {
            output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let first = output.count
        repeat {  // least significant digit first, then turned around
            output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        output[first...].reverse()
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
        var bytes: [UInt8] = []
        writeJSONString(text, into: &bytes)
        output += String(decoding: bytes, as: UTF8.self)
    }

    /// Writes a JSON string literal, as UTF-8, with the escapes RFC 8259 requires. Every byte
    /// that needs one is ASCII, so the other bytes (multi-byte characters included) are copied.
    public static func writeJSONString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Most names and values need no escaping: append them whole.
            guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                output.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
                case 0x0A: output.append(contentsOf: #"\n"#.utf8)
                case 0x0D: output.append(contentsOf: #"\r"#.utf8)
                case 0x09: output.append(contentsOf: #"\t"#.utf8)
                case ..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    output.append(contentsOf: #"\u00"#.utf8)
                    output.append(hex[Int(byte >> 4)])
                    output.append(hex[Int(byte & 0x0F)])
                default: output.append(byte)
                }
            }
        }
        output.append(UInt8(ascii: "\""))
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
