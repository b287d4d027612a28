#if canImport(Glibc)
import Glibc
#endif

/// Reads files that hold secrets (CURVE secret keys, database URLs) or decide who may
/// connect (allow-lists), refusing those whose permissions let other users read or change
/// them. The check is made on the open file, so the file read is the file checked.
public enum ProtectedFile {
    /// What a file's permission bits must not allow.
    public enum Requirement: Sendable {
        /// Readable and writable by its owner alone: no group or other bits (mode 0600 or 0400).
        /// A file owned by root may also be readable by its group (0640, 0440), as PostgreSQL
        /// allows for its key files: root granted that group the file, and that is how
        /// Kubernetes mounts a Secret for a pod with an `fsGroup` (root:fsGroup, 0440).
        case ownerOnly
        /// Not writable by group or others (mode 0644 is fine).
        case notWritableByOthers
    }

    /// Files larger than this are not keys, URLs or allow-lists.
    public static let maximumBytes = 1 << 20

    /// Why `mode` breaks `requirement`, or nil when it does not. `ownedByRoot`: whether the
    /// file belongs to root (user id 0).
    public static func problem(mode: UInt32, requirement: Requirement, ownedByRoot: Bool = false) -> String? {
        let permissions = mode & 0o777
        let octal = "0" + String(permissions, radix: 8)
        switch requirement {
        case .ownerOnly where ownedByRoot && permissions & 0o037 != 0:
            return "its permissions (\(octal)) let other users \(permissions & 0o004 != 0 ? "read" : "use") it; it must be readable by its owner alone (or, owned by root, by its group too)"
        case .ownerOnly where !ownedByRoot && permissions & 0o077 != 0:
            return "its permissions (\(octal)) let other users \(permissions & 0o044 != 0 ? "read" : "use") it; it must be readable by its owner alone"
        case .notWritableByOthers where permissions & 0o022 != 0:
            return "its permissions (\(octal)) let other users change it"
        default:
            return nil
        }
    }

    /// The text of the file at `path`, after checking its permissions meet `requirement`.
    /// `what` names the file in errors ("the CURVE secret key").
    public static func read(_ path: String, requirement: Requirement, what: String) throws(ProtectedFileError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ProtectedFileError(path: path, what: what, reason: "cannot open it: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ProtectedFileError(path: path, what: what, reason: "cannot inspect it: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ProtectedFileError(path: path, what: what, reason: "it is not a regular file")
        }
        if let problem = problem(mode: UInt32(status.st_mode), requirement: requirement, ownedByRoot: status.st_uid == 0) {
            let fix = requirement == .ownerOnly ? "chmod 600 \(path)" : "chmod go-w \(path)"
            throw ProtectedFileError(path: path, what: what, reason: "\(problem) (run: \(fix))")
        }
        guard status.st_size <= maximumBytes else {
            throw ProtectedFileError(path: path, what: what, reason: "it is larger than \(maximumBytes) bytes")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ProtectedFileError(path: path, what: what, reason: "cannot read it: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= maximumBytes else {
                throw ProtectedFileError(path: path, what: what, reason: "it is larger than \(maximumBytes) bytes")
            }
        }
        // Scrub the copy that held a secret.
        for index in buffer.indices { buffer[index] = 0 }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ProtectedFileError(path: path, what: what, reason: "it is not UTF-8 text")
        }
        return text
    }
}

/// A file that could not be used, and why; says what to do about it. Never quotes the
/// file's content.
public struct ProtectedFileError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file.
    public var path: String
    /// What it should hold ("the CURVE secret key").
    public var what: String
    /// What is wrong.
    public var reason: String
    /// The 1-based line at fault, when one is.
    public var line: Int?

    /// An error about a file.
    public init(path: String, what: String, reason: String, line: Int? = nil) {
        self.path = path
        self.what = what
        self.reason = reason
        self.line = line
    }

    /// `PATH:LINE (what): reason`.
    public var description: String {
        "\(path)\(line.map { ":\($0)" } ?? "") (\(what)): \(reason)"
    }
}
