import Foundation
import CZeroMQ

/// A connection whose ZeroMQ handshake failed, as the socket's monitor reports it: a peer
/// refused by the ZAP handler, or one with another security mechanism or the wrong keys.
public struct HandshakeFailure: Sendable, Equatable, CustomStringConvertible {
    /// What failed.
    public enum Kind: Sendable, Equatable {
        /// A system error (errno) during the handshake.
        case system(Int32)
        /// A ZMTP or ZAP protocol error (`ZMQ_PROTOCOL_ERROR_*`).
        case protocolError(UInt32)
        /// Authentication failed with this ZAP status code (400: key not admitted).
        case authentication(UInt32)
    }

    /// What failed.
    public var kind: Kind
    /// The endpoint libzmq names with the event.
    public var endpoint: String

    /// The events a socket monitor watches for handshake failures.
    static let monitoredEvents = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    /// Decodes a monitor event (frame 1: event number as 16 bits and value as 32 bits, in
    /// the host's byte order; frame 2: the endpoint); nil for any other event.
    static func decode(_ frames: [[UInt8]]) -> HandshakeFailure? {
        guard frames.count >= 2, frames[0].count >= 6 else { return nil }
        let event = frames[0].withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self)) }
        let value = frames[0].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self)) }
        let endpoint = String(decoding: frames[1], as: UTF8.self)
        switch Int32(event) {
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return HandshakeFailure(kind: .system(Int32(bitPattern: value)), endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return HandshakeFailure(kind: .protocolError(value), endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return HandshakeFailure(kind: .authentication(value), endpoint: endpoint)
        default: return nil
        }
    }

    /// Whether the failure is about security (keys, mechanism, authentication) rather than the network.
    public var isSecurityFailure: Bool {
        switch kind {
        case .system: false
        case .authentication: true
        case .protocolError(let code): code == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) || code == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
                || code & 0xF000_0000 == 0x2000_0000
        }
    }

    /// Whether the peer speaks another security mechanism (CURVE on one side, none on the other).
    public var isMechanismMismatch: Bool {
        kind == .protocolError(UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH))
    }

    /// Whether the peer closed the connection during the handshake (a broken pipe or a reset).
    /// A plain client of a CURVE server often hears this instead of the mismatch: the server
    /// reads the client's greeting, refuses it and closes before the client reads the reply.
    public var isConnectionDropped: Bool {
        kind == .system(EPIPE) || kind == .system(ECONNRESET)
    }

    /// What happened, in words.
    public var description: String {
        switch kind {
        case .system(let code):
            return "handshake failed with system error \(code) (\(endpoint))"
        case .authentication(let status):
            return "authentication refused with ZAP status \(status) (\(endpoint))"
        case .protocolError where isMechanismMismatch:
            return "security mechanism mismatch: one side uses CURVE and the other does not (\(endpoint))"
        case .protocolError(let code) where code == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC):
            return "CURVE cryptographic error: wrong server key, or a corrupted handshake (\(endpoint))"
        case .protocolError(let code):
            return "handshake protocol error 0x\(String(code, radix: 16)) (\(endpoint))"
        }
    }
}
