import Foundation
public import SweepCore

/// Turns messages into frames and back. Decoding never traps: every defect of untrusted
/// input becomes a `WireError`.
public enum FrameCodec {
    /// The three frames of a message: signature, command, JSON body.
    public static func encode(_ message: WireMessage) -> [[UInt8]] {
        [WireProtocol.signature, Array(message.command.rawValue.utf8), Array(ParamValue.object(message.body).canonicalJSON.utf8)]
    }

    /// Decodes the frames of one message (without the ROUTER identity frame).
    public static func decode(_ frames: [[UInt8]], maxBodyBytes: Int = WireProtocol.maxBodyBytes) -> Result<WireMessage, WireError> {
        guard frames.count == 3 else { return .failure(.wrongFrameCount(frames.count)) }
        let signature = frames[0]
        guard signature.count >= 4, signature.count <= 8, signature.starts(with: Array("SWP".utf8)) else {
            return .failure(.notSweepProtocol)
        }
        guard signature == WireProtocol.signature else {
            return .failure(.unsupportedVersion(String(decoding: signature, as: UTF8.self)))
        }
        guard frames[1].count <= 32, let command = WireCommand(rawValue: String(decoding: frames[1], as: UTF8.self)) else {
            return .failure(.unknownCommand(String(decoding: frames[1].prefix(32), as: UTF8.self)))
        }
        guard frames[2].count <= maxBodyBytes else { return .failure(.oversized(frames[2].count)) }
        guard !frames[2].isEmpty else { return .failure(.malformedBody("empty body; send {} for no fields")) }
        do {
            guard case .object(let body) = try ParamValue(json: frames[2]) else {
                return .failure(.malformedBody("not a JSON object"))
            }
            return .success(WireMessage(command, body))
        } catch {
            return .failure(.malformedBody("not a JSON object"))
        }
    }
}

extension WireMessage {
    /// A required integer field.
    public func integer(_ key: String) throws(WireError) -> Int64 {
        switch body[key] {
        case .int(let value)?: return value
        case .double(let value)? where value == value.rounded() && abs(value) < 9e15: return Int64(value)
        case nil: throw .malformedBody("\(command.rawValue) needs '\(key)'")
        default: throw .malformedBody("'\(key)' of \(command.rawValue) must be an integer")
        }
    }

    /// A required string field.
    public func string(_ key: String) throws(WireError) -> String {
        switch body[key] {
        case .string(let value)?: return value
        case nil: throw .malformedBody("\(command.rawValue) needs '\(key)'")
        default: throw .malformedBody("'\(key)' of \(command.rawValue) must be a string")
        }
    }

    /// A required number field.
    public func number(_ key: String) throws(WireError) -> Double {
        guard let value = body[key] else { throw .malformedBody("\(command.rawValue) needs '\(key)'") }
        guard let number = value.numberValue else { throw .malformedBody("'\(key)' of \(command.rawValue) must be a number") }
        return number
    }

    /// A required list field.
    public func list(_ key: String) throws(WireError) -> [ParamValue] {
        switch body[key] {
        case .array(let value)?: return value
        case nil: throw .malformedBody("\(command.rawValue) needs '\(key)'")
        default: throw .malformedBody("'\(key)' of \(command.rawValue) must be a list")
        }
    }
}
