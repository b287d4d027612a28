import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A CURVE key: 32 bytes, written as 40 characters of Z85 (ZeroMQ RFC 32) in files, logs
/// and allow-lists. Used for public keys; a secret key is a `CurveSecretKey`.
public struct CurveKey: Sendable, Hashable {
    /// The key's length in bytes.
    public static let byteCount = 32
    /// The key's length in Z85 characters.
    public static let z85Count = 40

    /// The 32 bytes.
    public let bytes: [UInt8]

    /// The key of 32 raw bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// The key written as 40 Z85 characters; nil when `z85` is not that.
    public init?(z85: some StringProtocol) {
        guard let bytes = Z85.decode(z85), bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// The key as 40 Z85 characters.
    public var z85: String { Z85.encode(bytes) }
}

extension CurveKey: CustomStringConvertible {
    /// The Z85 text (public keys are not secret).
    public var description: String { z85 }
}

/// A CURVE secret key. Never printed: its description is redacted, so it cannot leak into
/// logs or error messages by accident.
public struct CurveSecretKey: Sendable, Hashable, CustomStringConvertible {
    /// The secret key itself.
    public let key: CurveKey

    /// Wraps a secret key.
    public init(_ key: CurveKey) { self.key = key }

    /// The public key that belongs to this secret key (`zmq_curve_public`).
    public func publicKey() throws(ZMQError) -> CurveKey {
        var publicText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        var secretText = Array(key.z85.utf8CString)
        defer { for index in secretText.indices { secretText[index] = 0 } }
        guard zmq_curve_public(&publicText, &secretText) == 0 else { throw ZMQError.current("zmq_curve_public") }
        let text = publicText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let key = CurveKey(z85: text) else { throw ZMQError(code: EINVAL, operation: "zmq_curve_public returned a malformed key") }
        return key
    }

    /// Redacted.
    public var description: String { "CURVE secret key (redacted)" }
}

/// A new CURVE key pair, as `zmq_curve_keypair` makes it.
public struct CurveKeyPair: Sendable {
    /// The public key, to hand out.
    public let publicKey: CurveKey
    /// The secret key, to keep.
    public let secretKey: CurveSecretKey

    /// Generates a key pair from libzmq's (libsodium's) random source.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        guard ZMQContext.hasCurve else { throw ZMQError(code: ENOTSUP, operation: "libzmq was built without CURVE security") }
        var publicText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        var secretText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        defer { for index in secretText.indices { secretText[index] = 0 } }
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw ZMQError.current("zmq_curve_keypair") }
        let publicString = publicText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let secretString = secretText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let publicKey = CurveKey(z85: publicString), let secretKey = CurveKey(z85: secretString) else {
            throw ZMQError(code: EINVAL, operation: "zmq_curve_keypair returned a malformed key")
        }
        return CurveKeyPair(publicKey: publicKey, secretKey: CurveSecretKey(secretKey))
    }
}

/// Z85 (ZeroMQ RFC 32): 4 bytes as 5 printable characters, big-endian base 85.
public enum Z85 {
    /// The 85 characters, in order of value.
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// Value of each ASCII character, or −1.
    static let values: [Int16] = {
        var values = [Int16](repeating: -1, count: 128)
        for (index, character) in alphabet.enumerated() { values[Int(character)] = Int16(index) }
        return values
    }()

    /// Encodes bytes whose count is a multiple of 4 (keys are 32 bytes).
    public static func encode(_ bytes: [UInt8]) -> String {
        precondition(bytes.count % 4 == 0, "Z85 encodes multiples of 4 bytes")
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count / 4 * 5)
        var index = 0
        while index < bytes.count {
            var value = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
            var chunk = [UInt8](repeating: 0, count: 5)
            for position in stride(from: 4, through: 0, by: -1) {
                chunk[position] = alphabet[Int(value % 85)]
                value /= 85
            }
            text += chunk
            index += 4
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Decodes text whose length is a multiple of 5; nil for another length, a character
    /// outside the alphabet, or a group worth more than 32 bits.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 5 * 4)
        var index = 0
        while index < characters.count {
            var value: UInt64 = 0
            for character in characters[index..<index + 5] {
                guard character < 128, values[Int(character)] >= 0 else { return nil }
                value = value * 85 + UInt64(values[Int(character)])
            }
            guard value <= UInt64(UInt32.max) else { return nil }
            bytes += [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
            index += 5
        }
        return bytes
    }
}
