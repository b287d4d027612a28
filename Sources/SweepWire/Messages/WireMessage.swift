public import SweepCore

/// Version 1 of the wire protocol (docs/protocol.md). Every message is three frames after
/// the ROUTER's identity frame: the signature `SWP1`, the command name, and a JSON object.
public enum WireProtocol {
    /// The first frame of every message: protocol name and version.
    public static let signature: [UInt8] = Array("SWP1".utf8)
    /// The version number the signature carries.
    public static let version = 1
    /// Largest JSON body accepted, in bytes; larger messages are refused unread.
    public static let maxBodyBytes = 1 << 20
    /// Stands in an ASSIGN's argv for the path of the attempt's params.json, which only the
    /// worker knows (W&B's `${args_json_file}`). Control characters never come from YAML.
    public static let paramsFilePlaceholder = "\u{1F}SWEEP_PARAMS_FILE\u{1F}"
}

/// The commands of the protocol. Worker → coordinator: HELLO, READY, HEARTBEAT, STARTED,
/// METRICS, RESULT, DRAIN, BYE. Coordinator → worker: WELCOME, ASSIGN, STOP, ACK, HEARTBEAT,
/// ERROR. Either side: ERROR, and BATCH (several messages in one, to a peer that announced
/// the `batch` feature).
public enum WireCommand: String, Sendable, CaseIterable, Codable {
    case hello = "HELLO"
    case welcome = "WELCOME"
    case ready = "READY"
    case heartbeat = "HEARTBEAT"
    case assign = "ASSIGN"
    case started = "STARTED"
    case metrics = "METRICS"
    case result = "RESULT"
    case ack = "ACK"
    case stop = "STOP"
    case drain = "DRAIN"
    case bye = "BYE"
    case error = "ERROR"
    case batch = "BATCH"
}

/// Protocol extensions a peer announces in HELLO or WELCOME (`features`). Each names what
/// the announcing side can *receive*; the other side uses it only when announced.
public enum WireFeature {
    /// BATCH envelopes (docs/protocol.md §5.13).
    public static let batch = "batch"
}

/// A decoded message: its command and its JSON body.
public struct WireMessage: Sendable, Equatable {
    /// What the message says.
    public var command: WireCommand
    /// The body, a JSON object.
    public var body: [String: ParamValue]

    /// Creates a message.
    public init(_ command: WireCommand, _ body: [String: ParamValue] = [:]) {
        self.command = command
        self.body = body
    }
}

/// Why a message was refused. Each is counted, logged, answered with ERROR where a peer can
/// be named, and dropped; none stops the process.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not three frames.
    case wrongFrameCount(Int)
    /// The first frame is not `SWP<n>`.
    case notSweepProtocol
    /// `SWP<n>` with another version.
    case unsupportedVersion(String)
    /// A command name this version does not define.
    case unknownCommand(String)
    /// The body is larger than the limit.
    case oversized(Int)
    /// The body is not a JSON object, or lacks a field or has one of the wrong type.
    case malformedBody(String)

    /// A stable code for ERROR messages and metrics.
    public var code: String {
        switch self {
        case .wrongFrameCount: "frame_count"
        case .notSweepProtocol: "not_sweep_protocol"
        case .unsupportedVersion: "unsupported_version"
        case .unknownCommand: "unknown_command"
        case .oversized: "oversized"
        case .malformedBody: "malformed_body"
        }
    }

    /// What was wrong, for logs and ERROR messages.
    public var description: String {
        switch self {
        case .wrongFrameCount(let count): "expected 3 frames (signature, command, body), got \(count)"
        case .notSweepProtocol: "the first frame is not a Sweep protocol signature (SWP1)"
        case .unsupportedVersion(let found): "protocol \(found) is not supported; this side speaks SWP1"
        case .unknownCommand(let name): "unknown command '\(name.prefix(32))'"
        case .oversized(let size): "a body of \(size) bytes is larger than the limit of \(WireProtocol.maxBodyBytes)"
        case .malformedBody(let why): "malformed body: \(why)"
        }
    }
}
