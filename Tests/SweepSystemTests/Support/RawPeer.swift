import Foundation
import SweepCore
import SweepWire
import Synchronization

/// A hand-driven ZeroMQ peer speaking SWP1 frame by frame: a DEALER that plays a worker,
/// or a ROUTER that plays a coordinator. Messages received are buffered, so a test can wait
/// for one with a timeout without ending the stream.
final class RawPeer: Sendable {
    let loop: SocketLoop
    private let inbox = Inbox()
    private let consumer: Task<Void, Never>

    /// Messages received and not yet taken.
    private final class Inbox: Sendable {
        let messages = Mutex<[[[UInt8]]]>([])
    }

    private init(loop: SocketLoop) {
        self.loop = loop
        let inbox = inbox
        consumer = Task {
            for await frames in loop.incoming { inbox.messages.withLock { $0.append(frames) } }
        }
    }

    /// A DEALER with routing id `identity`, connected to `endpoint`.
    static func worker(_ identity: String, connectingTo endpoint: String, context: ZMQContext) throws -> RawPeer {
        var options = SocketOptions()
        options.identity = Array(identity.utf8)
        options.maxMessageBytes = 64 << 20
        return RawPeer(loop: try SocketLoop(context: context, kind: .dealer, options: options, connect: [endpoint]))
    }

    /// A ROUTER bound to a free port on loopback.
    static func coordinator(context: ZMQContext) throws -> RawPeer {
        var options = SocketOptions()
        options.routerMandatory = true
        return RawPeer(loop: try SocketLoop(context: context, kind: .router, options: options, bind: ["tcp://127.0.0.1:*"]))
    }

    /// The endpoint a ROUTER peer is bound to.
    var endpoint: String { loop.boundEndpoints.first ?? "" }

    /// Sends raw frames (a ROUTER peer starts them with the recipient's identity).
    func send(frames: [[UInt8]]) {
        loop.send(frames)
    }

    /// Sends a message (DEALER peer).
    func send(_ message: WireMessage) {
        loop.send(FrameCodec.encode(message))
    }

    /// Sends a message to a worker by identity (ROUTER peer).
    func send(_ message: WireMessage, to identity: [UInt8]) {
        loop.send([identity] + FrameCodec.encode(message))
    }

    /// The next raw message received within `timeout`, or nil.
    func nextFrames(within timeout: Duration = .seconds(10)) async -> [[UInt8]]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let frames = inbox.messages.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let frames { return frames }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// The next decoded message (for a ROUTER peer: with its sender) that is not a
    /// HEARTBEAT and satisfies `wanted`, within `timeout`; earlier ones are dropped. Nil
    /// when none came. Undecodable messages are returned as a failure.
    func next(
        within timeout: Duration = .seconds(10), skipping skipped: Set<WireCommand> = [.heartbeat],
        where wanted: (WireMessage) -> Bool = { _ in true }
    ) async -> (sender: [UInt8]?, message: Result<WireMessage, WireError>)? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, var frames = await nextFrames(within: remaining) else { return nil }
            var sender: [UInt8]?
            if loop.boundEndpoints.isEmpty == false, !frames.isEmpty { sender = frames.removeFirst() }
            let decoded = FrameCodec.decode(frames)
            if case .success(let message) = decoded, skipped.contains(message.command) || !wanted(message) { continue }
            return (sender, decoded)
        }
    }

    /// The next message with `command` within `timeout` (others dropped), or nil.
    func next(_ command: WireCommand, within timeout: Duration = .seconds(10)) async -> WireMessage? {
        guard let (_, result) = await next(within: timeout, skipping: [], where: { $0.command == command }) else { return nil }
        return try? result.get()
    }

    /// Closes the socket.
    func close() {
        loop.close()
        consumer.cancel()
    }
}
