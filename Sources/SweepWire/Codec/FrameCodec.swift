import Foundation
public import SweepCore

/// Turns messages into frames and back. Decoding never traps: every defect of untrusted
/// input becomes a `WireError`.
public enum FrameCodec {
    /// The three frames of a message: signature, command, JSON body.
    public static func encode(_ message: WireMessage) -> [[UInt8]] {
        [WireProtocol.signature, Array(message.command.rawValue.utf8), ParamValue.object(message.body).canonicalJSONBytes]
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

/// BATCH: several messages in one (docs/protocol.md §5.13).
extension FrameCodec {
    /// Commands that never travel inside a BATCH: the handshake, and BATCH itself.
    public static let unbatchable: Set<WireCommand> = [.hello, .welcome, .batch]

    /// Packs encoded messages (three frames each, no identity) into as few messages as the
    /// body limit allows, in order: a group of one is sent as itself, larger groups as BATCH.
    /// The bodies are copied byte for byte, so a resent message inside a BATCH is the same
    /// message. Messages of `unbatchable` commands, and any too large to share a BATCH, go
    /// alone.
    public static func batched(_ messages: [[[UInt8]]], maxBodyBytes: Int = WireProtocol.maxBodyBytes) -> [[[UInt8]]] {
        guard messages.count > 1 else { return messages }
        let head = Array(#"{"messages":["#.utf8), tail = Array("]}".utf8)
        var result: [[[UInt8]]] = []
        var group: [[[UInt8]]] = []
        var size = head.count + tail.count
        func close() {
            if group.count == 1 {
                result.append(group[0])
            } else if group.count > 1 {
                var body = head
                body.reserveCapacity(size)
                for (index, message) in group.enumerated() {
                    if index > 0 { body.append(UInt8(ascii: ",")) }
                    body.append(contentsOf: #"[""#.utf8)
                    body.append(contentsOf: message[1])
                    body.append(contentsOf: #"","#.utf8)
                    body.append(contentsOf: message[2])
                    body.append(UInt8(ascii: "]"))
                }
                body.append(contentsOf: tail)
                result.append([WireProtocol.signature, Array(WireCommand.batch.rawValue.utf8), body])
            }
            group = []
            size = head.count + tail.count
        }
        for message in messages {
            let command = message.count == 3 ? WireCommand(rawValue: String(decoding: message[1], as: UTF8.self)) : nil
            guard let command, !unbatchable.contains(command) else {
                close()
                result.append(message)
                continue
            }
            let entry = message[1].count + message[2].count + 6  // ["CMD",BODY] and a comma
            if size + entry > maxBodyBytes { close() }
            group.append(message)
            size += entry
        }
        close()
        return result
    }

    /// The messages inside a BATCH, in order: each decoded, or why it cannot be. Throws when
    /// the envelope itself is malformed (then none of it is processed).
    public static func unpack(_ batch: WireMessage) throws(WireError) -> [Result<WireMessage, WireError>] {
        let entries = try batch.list("messages")
        guard !entries.isEmpty else { throw .malformedBody("'messages' of BATCH must not be empty") }
        return entries.map { entry in
            guard case .array(let pair) = entry, pair.count == 2, case .string(let name) = pair[0] else {
                return .failure(.malformedBody("each entry of BATCH 'messages' must be [command, body]"))
            }
            guard name.utf8.count <= 32, let command = WireCommand(rawValue: name) else {
                return .failure(.unknownCommand(String(name.prefix(32))))
            }
            guard !unbatchable.contains(command) else {
                return .failure(.malformedBody("\(command.rawValue) cannot travel inside a BATCH"))
            }
            guard case .object(let body) = pair[1] else {
                return .failure(.malformedBody("the body of \(command.rawValue) inside a BATCH must be a JSON object"))
            }
            return .success(WireMessage(command, body))
        }
    }
}

extension WireMessage {
    /// The optional `features` list of HELLO and WELCOME (absent or null = none).
    public func features() throws(WireError) -> [String] {
        switch body["features"] {
        case nil, .null?: return []
        case .array(let values)?:
            return try values.map { value throws(WireError) in
                guard case .string(let name) = value else { throw .malformedBody("'features' of \(command.rawValue) must list strings") }
                return name
            }
        default: throw .malformedBody("'features' of \(command.rawValue) must be a list")
        }
    }

    /// A required integer field.
    public func integer(_ key: String) throws(WireError) -> Int64 {
        switch body[key] {
        case .int(let value)?: return value
        case .double(let value)? where value == value.rounded() && abs(value) < 9e15: return Int64(value)
        case nil: throw .malformedBody("\(command.rawValue) needs '\(key)'")
        default: throw .malformedBody("'\(key)' of \(command.rawValue) must be an integer")
        }
    }

    /// An optional integer field of at least `minimum`: nil when absent.
    public func optionalInteger(_ key: String, atLeast minimum: Int64) throws(WireError) -> Int64? {
        guard body[key] != nil else { return nil }
        let value = try integer(key)
        guard value >= minimum else {
            throw .malformedBody("'\(key)' of \(command.rawValue) must \(minimum == 0 ? "not be negative" : "be at least \(minimum)")")
        }
        return value
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
