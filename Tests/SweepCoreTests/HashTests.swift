@testable import SweepCore
import Testing

@Suite("Configuration hash")
struct HashTests {
    @Test func sha256MatchesFIPSVectors() {
        #expect(SHA256.hexDigest("".utf8) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest([UInt8](repeating: 0x61, count: 1_000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func canonicalJSONSortsKeysAndSpellsNumbersOneWay() {
        let a = ParamValue.object(["lr": .double(0.1), "batch": .int(64), "opt": .object(["b": .bool(true), "a": .null])])
        let b = ParamValue.object(["opt": .object(["a": .null, "b": .bool(true)]), "batch": .double(64.0), "lr": .double(1e-1)])
        #expect(a.canonicalJSON == #"{"batch":64,"lr":0.1,"opt":{"a":null,"b":true}}"#)
        #expect(ConfigurationHash.of(a) == ConfigurationHash.of(b))
        #expect(ConfigurationHash.of(a) != ConfigurationHash.of(.object(["lr": .double(0.1), "batch": .int(65)])))
        #expect(ParamValue.canonicalNumber(-0.0) == "0")
        #expect(ParamValue.canonicalNumber(1e-5) == "1e-05")
        #expect(ParamValue.canonicalNumber(1e20) == "1e+20")
    }

    @Test func stringsAreEscaped() {
        let value = ParamValue.string("a\"b\\c\nd\u{01}é")
        #expect(value.canonicalJSON == #""a\"b\\c\nd\u0001é""#)
        #expect(ParamValue.string("\r\t\u{1F}\u{7F}/😀").canonicalJSON == #""\r\t\u001f"# + "\u{7F}/😀\"")
    }

    /// The byte writer (the wire codec's) spells every value as `String(_:)` and
    /// `canonicalNumber` do, and the `String` forms are the byte forms.
    @Test func bytesSpellNumbersAsStringsDo() {
        let integers: [Int64] = [0, 7, 9, 10, -1, -9, -10, 99, 100, 1_234_567_890, .max, .min, .max - 1, .min + 1]
        for integer in integers {
            #expect(ParamValue.int(integer).canonicalJSONBytes == Array(String(integer).utf8))
        }
        let doubles: [Double] = [0, -0.0, 1, -1, 0.5, 1e-5, 1e20, -1e300, 9_007_199_254_740_991, 9_007_199_254_740_992, 123.456]
        for double in doubles {
            #expect(ParamValue.double(double).canonicalJSONBytes == Array(ParamValue.canonicalNumber(double).utf8))
        }
        let value = ParamValue.object(["b": .array([.int(-3), .double(2.5), .string("x\ny")]), "a": .object(["z": .null, "é": .bool(false)])])
        #expect(value.canonicalJSON == #"{"a":{"z":null,"é":false},"b":[-3,2.5,"x\ny"]}"#)
        #expect(value.canonicalJSONBytes == Array(value.canonicalJSON.utf8))
        var line = "prefix "
        value.writeJSON(into: &line)
        #expect(line == "prefix " + value.canonicalJSON)
    }

    @Test func hashIsStableAcrossKeyOrderAndNumberFormattingInYAML() throws {
        let first = try Support.spec("""
            method: grid
            program: train.py
            parameters:
              lr: {value: 0.1}
              epochs: {value: 10}
              opt: {parameters: {momentum: {value: 0.9}, name: {value: sgd}}}
            """)
        let second = try Support.spec("""
            program: train.py
            parameters:
              opt: {parameters: {name: {value: "sgd"}, momentum: {value: 9e-1}}}
              epochs: {value: 10.0}
              lr: {value: 1.0e-1}
            method: grid
            """)
        let a = try Expander.expand(first).jobs, b = try Expander.expand(second).jobs
        #expect(a.count == 1 && b.count == 1)
        #expect(a[0].configHash == b[0].configHash)
    }
}
