/// The key files `sweep keys generate` writes and the CURVE options read: one Z85 key on a
/// line of its own; blank lines and lines starting with `#` are ignored. Secret key files
/// must be readable by their owner alone.
public enum CurveKeyFile {
    /// The key in `text` (a file's content); `path` and `what` name it in errors.
    public static func parse(_ text: String, path: String, what: String) throws(ProtectedFileError) -> CurveKey {
        var found: (key: CurveKey, line: Int)?
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty { continue }
            let lineNumber = index + 1
            // '#' is a Z85 character, but no key starts with it (a group starting with '#' is
            // worth more than 32 bits), so a line starting with '#' is always a comment.
            if line.first == "#" { continue }
            guard let key = CurveKey(z85: line) else {
                throw ProtectedFileError(
                    path: path, what: what,
                    reason: "expected a CURVE key: 40 Z85 characters (as `sweep keys generate` writes), found \(line.count) characters that are not one",
                    line: lineNumber)
            }
            if let found {
                throw ProtectedFileError(path: path, what: what, reason: "a second key (the first is on line \(found.line)); a key file holds one key", line: lineNumber)
            }
            found = (key, lineNumber)
        }
        guard let found else {
            throw ProtectedFileError(path: path, what: what, reason: "no key in it; expected 40 Z85 characters (as `sweep keys generate` writes)")
        }
        return found.key
    }

    /// Reads a public key file (the coordinator's, for a worker). It must not be writable by
    /// others: whoever can change it can point the worker at another server.
    public static func readPublicKey(_ path: String, what: String = "a CURVE public key") throws(ProtectedFileError) -> CurveKey {
        try parse(try ProtectedFile.read(path, requirement: .notWritableByOthers, what: what), path: path, what: what)
    }

    /// Reads a secret key file, refusing one that others may read.
    public static func readSecretKey(_ path: String, what: String = "a CURVE secret key") throws(ProtectedFileError) -> CurveSecretKey {
        CurveSecretKey(try parse(try ProtectedFile.read(path, requirement: .ownerOnly, what: what), path: path, what: what))
    }

    /// The content of a public key file.
    public static func publicKeyText(_ key: CurveKey, name: String) -> String {
        "# Sweep CURVE public key \"\(name)\" (Z85). Share it: workers' keys go on the coordinator's allow-list, the coordinator's key goes to every worker.\n\(key.z85)\n"
    }

    /// The content of a secret key file.
    public static func secretKeyText(_ key: CurveSecretKey, name: String) -> String {
        "# Sweep CURVE secret key \"\(name)\" (Z85). Keep it private: mode 0600, never copied off the host that uses it.\n\(key.key.z85)\n"
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let end = lastIndex(where: { !isSpace($0) }) ?? start
        return self[start...end]
    }
}
