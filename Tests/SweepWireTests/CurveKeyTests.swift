import CZeroMQ
import Foundation
import SweepWire
import Testing

@Suite("CURVE keys and key files")
struct CurveKeyTests {
    /// RFC 32's test vector.
    @Test func z85MatchesTheSpecificationsExample() {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(Z85.encode(bytes) == "HelloWorld")
        #expect(Z85.decode("HelloWorld") == bytes)
    }

    @Test func z85RefusesBadText() {
        #expect(Z85.decode("Hell") == nil, "not a multiple of 5")
        #expect(Z85.decode("Hello Worl") == nil, "a space is not a Z85 character")
        #expect(Z85.decode("#####") == nil, "worth more than 32 bits")
        #expect(Z85.decode("ünïcø") == nil)
    }

    @Test func generatedPairsRoundTripAndAgreeWithLibzmq() throws {
        for _ in 0..<20 {
            let pair = try CurveKeyPair.generate()
            #expect(pair.publicKey.z85.count == 40)
            #expect(CurveKey(z85: pair.publicKey.z85) == pair.publicKey)
            #expect(try pair.secretKey.publicKey() == pair.publicKey)
            // libzmq's own Z85 decoder reads our text as the same bytes.
            var decoded = [UInt8](repeating: 0, count: 32)
            #expect(zmq_z85_decode(&decoded, pair.publicKey.z85) != nil)
            #expect(decoded == pair.publicKey.bytes)
        }
    }

    @Test func secretKeysNeverPrintThemselves() throws {
        let pair = try CurveKeyPair.generate()
        #expect(!"\(pair.secretKey)".contains(pair.secretKey.key.z85))
    }

    @Test func keyFilesAsGeneratedParse() throws {
        let pair = try CurveKeyPair.generate()
        let text = CurveKeyFile.secretKeyText(pair.secretKey, name: "w1")
        #expect(try CurveKeyFile.parse(text, path: "w1.key_secret", what: "k") == pair.secretKey.key)
        let publicText = CurveKeyFile.publicKeyText(pair.publicKey, name: "w1")
        #expect(try CurveKeyFile.parse(publicText, path: "w1.key", what: "k") == pair.publicKey)
        // Windows line ends and surrounding blanks are fine.
        #expect(try CurveKeyFile.parse("\r\n  \(pair.publicKey.z85)  \r\n", path: "p", what: "k") == pair.publicKey)
    }

    @Test func keyFileErrorsNameTheFileAndLine() throws {
        let key = try CurveKeyPair.generate().publicKey.z85
        let empty = #expect(throws: ProtectedFileError.self) { try CurveKeyFile.parse("# only a comment\n", path: "a.key", what: "k") }
        #expect(empty?.description.contains("no key") == true)
        let short = #expect(throws: ProtectedFileError.self) { try CurveKeyFile.parse("# c\nabc\n", path: "a.key", what: "k") }
        #expect(short?.line == 2)
        #expect(short?.description.hasPrefix("a.key:2") == true)
        let two = #expect(throws: ProtectedFileError.self) { try CurveKeyFile.parse("\(key)\n\(key)\n", path: "a.key", what: "k") }
        #expect(two?.line == 2)
    }

    @Test func permissionRules() {
        #expect(ProtectedFile.problem(mode: 0o600, requirement: .ownerOnly) == nil)
        #expect(ProtectedFile.problem(mode: 0o400, requirement: .ownerOnly) == nil)
        #expect(ProtectedFile.problem(mode: 0o100600, requirement: .ownerOnly) == nil, "file type bits are ignored")
        for mode: UInt32 in [0o640, 0o604, 0o644, 0o660, 0o610, 0o601, 0o700 | 0o001] {
            #expect(ProtectedFile.problem(mode: mode, requirement: .ownerOnly) != nil, "mode \(String(mode, radix: 8))")
        }
        // Owned by root: its group may read it too (a Kubernetes Secret with an fsGroup), no more.
        for mode: UInt32 in [0o600, 0o400, 0o640, 0o440] {
            #expect(ProtectedFile.problem(mode: mode, requirement: .ownerOnly, ownedByRoot: true) == nil, "mode \(String(mode, radix: 8))")
        }
        for mode: UInt32 in [0o660, 0o650, 0o644, 0o604, 0o641, 0o444] {
            #expect(ProtectedFile.problem(mode: mode, requirement: .ownerOnly, ownedByRoot: true) != nil, "mode \(String(mode, radix: 8))")
        }
        #expect(ProtectedFile.problem(mode: 0o644, requirement: .notWritableByOthers) == nil)
        #expect(ProtectedFile.problem(mode: 0o664, requirement: .notWritableByOthers) != nil)
        #expect(ProtectedFile.problem(mode: 0o646, requirement: .notWritableByOthers) != nil)
    }

    @Test func secretKeyFilesOthersCanReadAreRefused() throws {
        let folder = try TemporaryFolder()
        let pair = try CurveKeyPair.generate()
        let path = try folder.write("w.key_secret", CurveKeyFile.secretKeyText(pair.secretKey, name: "w"), mode: 0o644)
        let error = #expect(throws: ProtectedFileError.self) { try CurveKeyFile.readSecretKey(path) }
        #expect(error?.description.contains("chmod 600 \(path)") == true, "\(String(describing: error))")
        #expect(error?.description.contains(pair.secretKey.key.z85) == false, "the secret never appears in errors")
        chmod(path, 0o600)
        #expect(try CurveKeyFile.readSecretKey(path) == pair.secretKey)
        // A public key file may be world-readable, but not world-writable.
        let publicPath = try folder.write("w.key", CurveKeyFile.publicKeyText(pair.publicKey, name: "w"), mode: 0o644)
        #expect(try CurveKeyFile.readPublicKey(publicPath) == pair.publicKey)
        chmod(publicPath, 0o666)
        #expect(throws: ProtectedFileError.self) { try CurveKeyFile.readPublicKey(publicPath) }
        // Missing files and folders are clear errors.
        let missing = #expect(throws: ProtectedFileError.self) { try CurveKeyFile.readSecretKey(folder.path + "/nope") }
        #expect(missing?.description.contains("cannot open") == true)
        #expect(throws: ProtectedFileError.self) { try CurveKeyFile.readSecretKey(folder.path) }
    }
}

/// A temporary folder removed when the value goes away.
final class TemporaryFolder {
    let path: String

    init() throws {
        var template = Array("/tmp/sweep-wire-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: created)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` with exactly `mode`; returns its path.
    func write(_ name: String, _ text: String, mode: mode_t) throws -> String {
        let file = "\(path)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, mode)
        return file
    }
}
