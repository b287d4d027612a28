import Foundation
import SweepWire
import Testing

@Suite("CURVE allow-list and ZAP decisions")
struct CurveAllowListTests {
    static let keys: [CurveKey] = (0..<3).compactMap { _ in try? CurveKeyPair.generate().publicKey }

    @Test func parsesKeysNamesAndComments() throws {
        let keys = Self.keys
        try #require(keys.count == 3)
        let text = """
            # Workers admitted by the coordinator
               # indented comment

            \(keys[0].z85) gpu01
            \(keys[1].z85)\tcpu node 7   # added 2026-12-04
            \(keys[2].z85) # no name, a comment
            """
        let list = try CurveAllowList(parsing: text, path: "allow")
        #expect(list.count == 3)
        #expect(list.entry(for: keys[0])?.name == "gpu01")
        #expect(list.entry(for: keys[0])?.line == 4)
        #expect(list.entry(for: keys[1])?.name == "cpu node 7")
        #expect(list.entry(for: keys[2])?.name == nil)
        #expect(list.contains(keys[2]))
        let stranger = try CurveKeyPair.generate().publicKey
        #expect(!list.contains(stranger))
    }

    @Test func noKeyStartsWithHashSoHashLinesAreComments() throws {
        // '#' is the last Z85 character: a group starting with it exceeds 32 bits.
        #expect(Z85.decode("#0000") == nil)
        #expect(Z85.decode("$0000") == nil)
        let key = try #require(Self.keys.first)
        let list = try CurveAllowList(parsing: "#\(key.z85) commented out\n", path: "allow")
        #expect(list.count == 0)
    }

    @Test func badLinesAndDuplicatesAreErrorsWithTheLine() throws {
        let key = try #require(Self.keys.first)
        let bad = #expect(throws: ProtectedFileError.self) {
            try CurveAllowList(parsing: "\(key.z85)\nnot-a-key worker\n", path: "/etc/sweep/allow")
        }
        #expect(bad?.line == 2)
        #expect(bad?.description.hasPrefix("/etc/sweep/allow:2") == true)
        #expect(bad?.description.contains("not-a-key") == true)
        let duplicate = #expect(throws: ProtectedFileError.self) {
            try CurveAllowList(parsing: "\(key.z85) a\n\n\(key.z85) b\n", path: "allow")
        }
        #expect(duplicate?.line == 3)
        #expect(duplicate?.description.contains("line 1") == true)
        #expect(try CurveAllowList(parsing: "# nobody yet\n", path: "allow").count == 0)
    }

    @Test func allowListFilesOthersCanChangeAreRefused() throws {
        let folder = try TemporaryFolder()
        let key = try #require(Self.keys.first)
        let path = try folder.write("allow", "\(key.z85) w\n", mode: 0o664)
        #expect(throws: ProtectedFileError.self) { try CurveAllowList(contentsOf: path) }
        chmod(path, 0o644)
        #expect(try CurveAllowList(contentsOf: path).contains(key))
    }

    /// A request as libzmq sends it.
    static func request(mechanism: String = "CURVE", domain: String = "sweep", key: [UInt8]?) -> [[UInt8]] {
        var frames = [Array("1.0".utf8), Array("7".utf8), Array(domain.utf8), Array("10.0.0.9".utf8), [], Array(mechanism.utf8)]
        if let key { frames.append(key) }
        return frames
    }

    @Test func zapAdmitsListedKeysOnly() throws {
        let keys = Self.keys
        try #require(keys.count == 3)
        let list = CurveAllowList(entries: [.init(key: keys[0], name: "a", line: 1)])

        let (admitted, yes) = ZAPAuthority.handle(Self.request(key: keys[0].bytes), allowList: list, domain: "sweep")
        #expect(yes.admitted && yes.name == "a" && yes.clientKey == keys[0] && yes.address == "10.0.0.9")
        #expect(admitted == [Array("1.0".utf8), Array("7".utf8), Array("200".utf8), Array("OK".utf8), Array("a".utf8), []])

        let (refused, no) = ZAPAuthority.handle(Self.request(key: keys[1].bytes), allowList: list, domain: "sweep")
        #expect(no.statusCode == 400 && no.clientKey == keys[1])
        #expect(refused?[2] == Array("400".utf8))
        #expect(refused?[1] == Array("7".utf8), "the reply quotes the request id")

        #expect(ZAPAuthority.handle(Self.request(mechanism: "NULL", key: nil), allowList: list, domain: "sweep").decision.statusCode == 400)
        #expect(ZAPAuthority.handle(Self.request(domain: "other", key: keys[0].bytes), allowList: list, domain: "sweep").decision.statusCode == 400)
        #expect(ZAPAuthority.handle(Self.request(key: [1, 2, 3]), allowList: list, domain: "sweep").decision.statusCode == 500)
        let (garbage, malformed) = ZAPAuthority.handle([Array("2.0".utf8), Array("9".utf8)], allowList: list, domain: "sweep")
        #expect(malformed.statusCode == 500)
        #expect(garbage?[1] == Array("9".utf8), "a REP socket must still answer")
    }
}
