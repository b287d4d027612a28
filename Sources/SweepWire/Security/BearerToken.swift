/// A bearer token (`Authorization: Bearer TOKEN`), read from a token file and compared in
/// constant time: what `sweep coordinator|worker|up --metrics-token-file` requires of every
/// request to the metrics endpoint.
public struct BearerToken: Sendable, Equatable {
    let bytes: [UInt8]

    /// How long a token may be.
    public static let lengths = 16...4096

    /// What is wrong with a token file, and where (1-based line and column).
    public struct Problem: Error, Equatable {
        public var line: Int
        public var column: Int
        public var reason: String

        public init(line: Int, column: Int, reason: String) {
            self.line = line
            self.column = column
            self.reason = reason
        }
    }

    /// The token on the first line of a token file (a final newline, and CR before it, are
    /// allowed; nothing may follow on later lines).
    public init(fileText text: String) throws(Problem) {
        // Bytes, not Characters: "\r\n" is one Character, which a split at "\n" would not cut.
        var lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map { $0.last == 0x0D ? $0.dropLast() : $0 }
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first, !first.isEmpty else {
            throw Problem(line: 1, column: 1, reason: "expected the token on the first line, found an empty line")
        }
        if lines.count > 1 {
            throw Problem(line: 2, column: 1, reason: "expected only the token, on one line; found more lines")
        }
        for (index, byte) in first.enumerated() where !(0x21...0x7E).contains(byte) {
            let what = byte == 0x20 ? "a space" : byte == 0x09 ? "a tab" : "a character that is not printable ASCII"
            throw Problem(line: 1, column: index + 1, reason: "expected printable ASCII without spaces, found \(what)")
        }
        guard Self.lengths.contains(first.count) else {
            throw Problem(line: 1, column: 1, reason: "expected \(Self.lengths.lowerBound) to \(Self.lengths.upperBound) characters, found \(first.count)")
        }
        bytes = Array(first)
    }

    /// Whether an `Authorization` header value carries this token: `Bearer TOKEN` (the scheme
    /// in any case, one or more spaces after it). The comparison takes the same time whatever
    /// the first difference.
    public func admits(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let value = Array(authorization.utf8)
        let scheme = Array("bearer".utf8)
        guard value.count > scheme.count,
              zip(value, scheme).allSatisfy({ ($0 | 0x20) == $1 }),
              value[scheme.count] == 0x20 else { return false }
        let presented = value.dropFirst(scheme.count).drop { $0 == 0x20 }
        var difference: UInt8 = presented.count == bytes.count ? 0 : 1  // the length is no secret
        for (index, byte) in bytes.enumerated() {
            let other = index < presented.count ? presented[presented.startIndex + index] : 0
            difference |= byte ^ other
        }
        return difference == 0
    }
}
