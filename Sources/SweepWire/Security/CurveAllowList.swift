/// The worker public keys a CURVE coordinator admits: one Z85 key per line, optionally
/// followed by whitespace and a name for logs; blank lines and lines starting with `#` are
/// ignored (no key starts with `#`, although Z85 uses it); text after ` #` on a key's line
/// is a comment.
public struct CurveAllowList: Sendable, Equatable {
    /// One admitted key.
    public struct Entry: Sendable, Equatable {
        /// The worker's public key.
        public var key: CurveKey
        /// Its name, for logs (nil when the line gives none).
        public var name: String?
        /// The 1-based line it is on.
        public var line: Int

        /// An entry for `key`, named `name`, from `line`.
        public init(key: CurveKey, name: String?, line: Int) {
            self.key = key
            self.name = name
            self.line = line
        }
    }

    /// The keys in file order.
    public let entries: [Entry]
    private let byKey: [CurveKey: Int]

    /// A list of `entries` (their `line`s need not be meaningful).
    public init(entries: [Entry]) {
        self.entries = entries
        var byKey: [CurveKey: Int] = [:]
        for (index, entry) in entries.enumerated() where byKey[entry.key] == nil { byKey[entry.key] = index }
        self.byKey = byKey
    }

    /// Parses a file's content; `path` names it in errors.
    public init(parsing text: String, path: String) throws(ProtectedFileError) {
        let what = "the CURVE allow-list"
        var entries: [Entry] = []
        var seen: [CurveKey: Int] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingWhitespace()
            let lineNumber = index + 1
            if line.isEmpty { continue }
            if line.first == "#" { continue }
            let word = line.prefix { $0 != " " && $0 != "\t" }
            guard let key = CurveKey(z85: word) else {
                throw ProtectedFileError(
                    path: path, what: what,
                    reason: "expected a worker's public key (40 Z85 characters, as `sweep keys generate` prints), optionally followed by a name; found '\(word.prefix(60))'",
                    line: lineNumber)
            }
            if let earlier = seen[key] {
                throw ProtectedFileError(path: path, what: what, reason: "key \(key.z85) is already listed on line \(earlier)", line: lineNumber)
            }
            seen[key] = lineNumber
            var rest = line[word.endIndex...].trimmingWhitespace()
            if rest.first == "#" {
                rest = rest[rest.endIndex...]
            } else if let comment = rest.indices.first(where: { rest[$0] == "#" && (rest[rest.index(before: $0)] == " " || rest[rest.index(before: $0)] == "\t") }) {
                rest = rest[..<comment].trimmingWhitespace()
            }
            entries.append(Entry(key: key, name: rest.isEmpty ? nil : String(rest), line: lineNumber))
        }
        self.init(entries: entries)
    }

    /// Reads and parses an allow-list file, refusing one that others may change.
    public init(contentsOf path: String) throws(ProtectedFileError) {
        let text = try ProtectedFile.read(path, requirement: .notWritableByOthers, what: "the CURVE allow-list")
        try self.init(parsing: text, path: path)
    }

    /// The entry for `key`, or nil when the key is not admitted.
    public func entry(for key: CurveKey) -> Entry? {
        byKey[key].map { entries[$0] }
    }

    /// Whether `key` is admitted.
    public func contains(_ key: CurveKey) -> Bool { byKey[key] != nil }

    /// How many keys are admitted.
    public var count: Int { entries.count }

    /// Equal when they admit the same keys under the same names.
    public static func == (left: CurveAllowList, right: CurveAllowList) -> Bool {
        left.entries.map { [$0.key.z85, $0.name ?? ""] } == right.entries.map { [$0.key.z85, $0.name ?? ""] }
    }
}
