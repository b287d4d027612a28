import Foundation
import SweepCore
import Testing

/// ParamValue(json:) replaces JSONDecoder on the hot paths: it must give the same values and
/// refuse the same texts.
@Suite("JSON parser")
struct JSONParserTests {
    private func foundation(_ text: String) -> ParamValue? {
        try? JSONDecoder().decode(ParamValue.self, from: Data(text.utf8))
    }

    private func ours(_ text: String) -> ParamValue? {
        try? ParamValue(json: text)
    }

    @Test("the same values as JSONDecoder on numbers, strings, escapes and nesting")
    func agreesWithFoundation() {
        let texts = [
            "0", "-0", "1", "-1", "1.0", "1.5", "-2.25", "1e2", "1E-2", "2.5e+3", "-0.0", "0.1", "1e-05",
            "9007199254740993", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "12345678901234567890", "1e18", "1e19", "3.141592653589793", "5e-324", "1.7976931348623157e308",
            "true", "false", "null", "\"\"", "\"abc\"", "\"a\\\"b\\\\c\\/d\"", "\"\\b\\f\\n\\r\\t\"",
            "\"\\u0041\\u00e9\\u4e2d\"", "\"\\ud83d\\ude00\"", "\"h\u{e9}llo w\u{f6}rld \u{1F600}\"",
            "[]", "{}", "[1, 2.5, \"x\", null, true, [false, {}]]", " { \"a\" : 1 , \"b\" : [ ] } ",
            "{\"lr\": 0.001, \"width\": 128, \"act\": \"relu\", \"nested\": {\"k\": [1, {\"z\": null}]}}",
            "{\"a\": 1, \"a\": 2}",
        ]
        for text in texts {
            let expected = foundation(text)
            #expect(expected != nil, "JSONDecoder refused \(text)")
            #expect(ours(text) == expected, "\(text)")
        }
    }

    @Test("refuses what is not JSON, with the byte where it went wrong")
    func refusesInvalidText() throws {
        let invalid = [
            "", " ", "{", "}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a: 1}", "{\"a\": 1,}", "01", "1.", ".5", "-", "+1",
            "1e", "1e+", "tru", "nul", "\"abc", "\"a\nb\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"", "\"\\ude00\"",
            "[1] x", "NaN", "Infinity", "1e400", "'a'", "\u{FEFF}{}",
        ]
        for text in invalid {
            #expect(ours(text) == nil, "accepted \(text.debugDescription)")
        }
        #expect(throws: JSONParseError(offset: 6, message: "expected ',' or ']'")) { try ParamValue(json: "[1, 2 3]") }
        // Invalid UTF-8 inside a string.
        #expect(throws: JSONParseError.self) { try ParamValue(json: [0x22, 0xC3, 0x28, 0x22]) }
        // Deep nesting is refused, not a stack overflow.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try ParamValue(json: deep) }
        let fine = String(repeating: "[", count: ParamValue.maxJSONDepth) + String(repeating: "]", count: ParamValue.maxJSONDepth)
        #expect(ours(fine) != nil)
    }

    @Test("NaN, Infinity and -Infinity only when asked for")
    func nonFiniteTokens() throws {
        #expect(ours("[NaN]") == nil)
        #expect(ours("-Infinity") == nil)
        let value = try ParamValue(json: #"{"a": NaN, "b": Infinity, "c": -Infinity, "d": -1}"#, allowingNonFinite: true)
        #expect(value[path: ["a"]]?.numberValue?.isNaN == true)
        #expect(value[path: ["b"]] == .double(.infinity))
        #expect(value[path: ["c"]] == .double(-.infinity))
        #expect(value[path: ["d"]] == .int(-1))
        #expect(throws: JSONParseError.self) { try ParamValue(json: "-Inf", allowingNonFinite: true) }
    }

    @Test("parses back every canonical JSON text, for 5,000 random values")
    func roundTripsCanonicalJSON() {
        var random = RandomSource(seed: 42)
        func value(_ depth: Int) -> ParamValue {
            switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &random))
            case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &random))
            case 3:
                let double = Double.random(in: -1e6...1e6, using: &random) * pow(10, Double(Int.random(in: -12...12, using: &random)))
                return double == double.rounded() ? .int(Int64(double)) : .double(double)
            case 4:
                let scalars = (0..<Int.random(in: 0..<12, using: &random)).compactMap { _ in
                    Unicode.Scalar(UInt32.random(in: 0..<0x11_0000, using: &random))
                }
                return .string(String(String.UnicodeScalarView(scalars)))
            case 5: return .array((0..<Int.random(in: 0..<4, using: &random)).map { _ in value(depth + 1) })
            default:
                var members: [String: ParamValue] = [:]
                for index in 0..<Int.random(in: 0..<4, using: &random) { members["k\(index)\u{e9}"] = value(depth + 1) }
                return .object(members)
            }
        }
        for _ in 0..<5_000 {
            let original = value(0)
            let text = original.canonicalJSON
            #expect(ours(text) == original, "\(text)")
        }
    }
}
