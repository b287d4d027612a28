import SweepWire
import Testing

@Suite("Bearer tokens of the metrics endpoint")
struct BearerTokenTests {
    static let token = "s3cret-Token_0123456789"

    @Test("The first line of the file is the token; a final newline (CRLF too) is allowed")
    func reads() throws {
        let plain = try BearerToken(fileText: Self.token)
        #expect(try BearerToken(fileText: Self.token + "\n") == plain)
        #expect(try BearerToken(fileText: Self.token + "\r\n") == plain)
    }

    @Test("Bad files are refused with the line and column at fault")
    func refuses() {
        #expect(throws: BearerToken.Problem(line: 1, column: 1, reason: "expected the token on the first line, found an empty line")) {
            try BearerToken(fileText: "")
        }
        #expect(throws: BearerToken.Problem(line: 1, column: 1, reason: "expected the token on the first line, found an empty line")) {
            try BearerToken(fileText: "\n" + Self.token)
        }
        #expect(throws: BearerToken.Problem(line: 2, column: 1, reason: "expected only the token, on one line; found more lines")) {
            try BearerToken(fileText: Self.token + "\nmore\n")
        }
        #expect(throws: BearerToken.Problem(line: 1, column: 7, reason: "expected printable ASCII without spaces, found a space")) {
            try BearerToken(fileText: "abcdef ghijklmnopqrstu")
        }
        #expect(throws: BearerToken.Problem(line: 1, column: 1, reason: "expected printable ASCII without spaces, found a tab")) {
            try BearerToken(fileText: "\tabcdefghijklmnopqrstu")
        }
        #expect(throws: BearerToken.Problem(line: 1, column: 17, reason: "expected printable ASCII without spaces, found a character that is not printable ASCII")) {
            try BearerToken(fileText: "abcdefghijklmnopé")
        }
        #expect(throws: BearerToken.Problem(line: 1, column: 1, reason: "expected 16 to 4096 characters, found 15")) {
            try BearerToken(fileText: "abcdefghijklmno")
        }
        #expect(throws: BearerToken.Problem(line: 1, column: 1, reason: "expected 16 to 4096 characters, found 4097")) {
            try BearerToken(fileText: String(repeating: "a", count: 4097))
        }
    }

    @Test("Admits 'Bearer TOKEN' (any case of the scheme, spaces after it) and nothing else")
    func admits() throws {
        let token = try BearerToken(fileText: Self.token)
        #expect(token.admits(authorization: "Bearer \(Self.token)"))
        #expect(token.admits(authorization: "bearer \(Self.token)"))
        #expect(token.admits(authorization: "BEARER   \(Self.token)"))
        #expect(!token.admits(authorization: nil))
        #expect(!token.admits(authorization: ""))
        #expect(!token.admits(authorization: "Bearer"))
        #expect(!token.admits(authorization: "Bearer "))
        #expect(!token.admits(authorization: Self.token))
        #expect(!token.admits(authorization: "Basic \(Self.token)"))
        #expect(!token.admits(authorization: "Bearer\(Self.token)"))
        #expect(!token.admits(authorization: "Bearer \(Self.token.dropLast())"))
        #expect(!token.admits(authorization: "Bearer \(Self.token)x"))
        #expect(!token.admits(authorization: "Bearer \(Self.token) "))
        #expect(!token.admits(authorization: "Bearer " + Self.token + String(repeating: "a", count: 256)), "a longer value whose length differs by a multiple of 256")
        #expect(!token.admits(authorization: "Bearer S3cret-Token_0123456789"))
    }
}
