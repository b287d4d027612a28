import ArgumentParser
import Foundation
import SweepWire
#if canImport(Glibc)
import Glibc
#endif

/// `sweep keys`: CURVE key pairs for the coordinator and workers.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "CURVE key pairs that encrypt and authenticate coordinator–worker traffic.",
        subcommands: [Generate.self]
    )

    /// `sweep keys generate`: a new key pair in two files.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a new CURVE key pair (NAME.key public, NAME.key_secret secret with mode 0600) and print the public key.",
            discussion: """
                Never overwrites: an existing NAME.key or NAME.key_secret is an error. The public key is \
                printed alone on stdout, so KEY=$(sweep keys generate --name w1) works; put a worker's \
                public key on the coordinator's --curve-allow list, and give the coordinator's public key \
                file to workers (--curve-server-key).
                """
        )

        @Option(name: .long, help: "Folder to write the key files in (created with mode 0700 if missing).")
        var out = "."

        @Option(name: .long, help: "Base name of the key files (letters, digits, '.', '_' and '-'); default: the host name.")
        var name: String?

        func validate() throws {
            if let name { try Self.check(name: name) }
        }

        /// Names that make plain file names.
        static func check(name: String) throws {
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
            guard !name.isEmpty, name.count <= 100, name.first != ".", name.allSatisfy(allowed.contains) else {
                throw ValidationError("--name takes letters, digits, '.', '_' and '-' (not starting with '.'), up to 100 characters; found '\(name)'")
            }
        }

        func run() throws {
            let baseName = name ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "sweep"
            try Self.check(name: baseName)
            let folder = URL(fileURLWithPath: out).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw CommandFailure("cannot create \(folder): \(error.localizedDescription)")
                }
            } else if !isDirectory.boolValue {
                throw CommandFailure("--out \(folder) is not a folder")
            }
            let publicPath = "\(folder)/\(baseName).key"
            let secretPath = "\(folder)/\(baseName).key_secret"
            for path in [publicPath, secretPath] where FileManager.default.fileExists(atPath: path) {
                throw CommandFailure("\(path) exists; keys are never overwritten (choose another --name or --out, or remove the old pair first)")
            }
            let pair: CurveKeyPair
            do {
                pair = try CurveKeyPair.generate()
            } catch {
                throw CommandFailure("cannot generate a CURVE key pair: \(error)")
            }
            // The secret first: if it cannot be written, no orphan public key is left behind.
            try Self.create(secretPath, text: CurveKeyFile.secretKeyText(pair.secretKey, name: baseName), mode: 0o600)
            do {
                try Self.create(publicPath, text: CurveKeyFile.publicKeyText(pair.publicKey, name: baseName), mode: 0o644)
            } catch {
                unlink(secretPath)
                throw error
            }
            print(pair.publicKey.z85)
            FileHandle.standardError.write(Data("wrote \(publicPath) (public) and \(secretPath) (secret, mode 0600)\n".utf8))
        }

        /// Creates `path` (failing if it exists, also when it appeared meanwhile) with `mode`.
        static func create(_ path: String, text: String, mode: mode_t) throws {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard descriptor >= 0 else {
                throw CommandFailure("cannot create \(path): \(String(cString: strerror(errno)))")
            }
            defer { close(descriptor) }
            // The umask may only have removed bits; make the mode exact for the secret.
            fchmod(descriptor, mode)
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else {
                    let reason = String(cString: strerror(errno))
                    unlink(path)
                    throw CommandFailure("cannot write \(path): \(reason)")
                }
                written += count
            }
        }
    }
}
