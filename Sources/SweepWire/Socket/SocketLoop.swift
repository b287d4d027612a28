import Foundation
import Synchronization

/// One ZeroMQ socket bridged to async code: incoming messages arrive on an `AsyncStream`;
/// `send` may be called from any task and sends at once, on the caller's thread.
///
/// libzmq sockets are not thread-safe, but a socket may move between threads across a full
/// memory barrier: every use of this one happens under one lock. A reader thread waits on
/// the socket's `ZMQ_FD` (without touching the socket) and receives what arrived. That
/// descriptor is edge-like: a send takes the signal of messages that arrived meanwhile, so
/// whoever holds the lock receives until nothing is waiting before letting go of it, and no
/// message is left behind unsignalled. A send thus costs no hand-off to another thread.
public final class SocketLoop: Sendable {
    /// Messages received, each a list of frames (a ROUTER's start with the sender's identity).
    public let incoming: AsyncStream<[[UInt8]]>
    /// The endpoints actually bound (ports resolved).
    public let boundEndpoints: [String]

    private let core: Core
    private let onSendError: @Sendable (ZMQError, [[UInt8]]) -> Void

    /// Counters of what the loop did.
    public struct Statistics: Sendable, Equatable {
        /// Messages received.
        public var received = 0
        /// Messages sent.
        public var sent = 0
        /// Sends that failed (unroutable identity, full queue): the message was dropped.
        public var sendFailures = 0
    }

    /// Starts a loop for a socket of `kind` that binds and connects to the given endpoints.
    /// Throws when a bind or connect fails. `onSendError` hears about every dropped send;
    /// `onHandshakeFailure`, when given, about every connection whose handshake failed (a
    /// socket monitor, on the reader's thread).
    public init(
        context: ZMQContext, kind: SocketKind, options: SocketOptions = SocketOptions(),
        bind: [String] = [], connect: [String] = [],
        onSendError: @escaping @Sendable (ZMQError, [[UInt8]]) -> Void = { _, _ in },
        onHandshakeFailure: (@Sendable (HandshakeFailure) -> Void)? = nil
    ) throws {
        let wakeEndpoint = "inproc://sweep-wake-\(UInt64.random(in: 0...UInt64.max))"
        let monitorEndpoint = "inproc://sweep-monitor-\(UInt64.random(in: 0...UInt64.max))"
        let socket = try ZMQSocket(context: context, kind: kind, options: options)
        let monitor = try onHandshakeFailure.map { _ throws(ZMQError) in
            try socket.monitor(monitorEndpoint, events: HandshakeFailure.monitoredEvents, context: context)
        }
        boundEndpoints = try bind.map { endpoint throws(ZMQError) in try socket.bind(endpoint) }
        for endpoint in connect { try socket.connect(endpoint) }
        let signalled = try socket.fileDescriptor()
        let wake = try ZMQSocket(context: context, kind: .pair)
        try wake.bind(wakeEndpoint)
        let signal = try ZMQSocket(context: context, kind: .pair)
        try signal.connect(wakeEndpoint)

        let (stream, continuation) = AsyncStream<[[UInt8]]>.makeStream()
        incoming = stream
        self.onSendError = onSendError
        let core = Core(socket: OwnedSocket(socket), signal: OwnedSocket(signal), continuation: continuation)
        self.core = core
        // Creating the thread is the memory barrier that hands these sockets over to it.
        let reader = Reader(context: context, core: core, wake: OwnedSocket(wake), signalled: signalled,
                            monitor: monitor.map { OwnedSocket($0) }, onHandshakeFailure: onHandshakeFailure ?? { _ in })
        let thread = Thread { reader.run() }
        thread.name = "sweep.zmq"
        thread.start()
    }

    /// Sends a message now (libzmq queues it for its I/O thread); returns false once the
    /// loop is closing. A send that libzmq refuses (unroutable identity, full queue) is
    /// counted and reported to `onSendError`.
    @discardableResult
    public func send(_ frames: [[UInt8]]) -> Bool {
        deliver(frames).accepted
    }

    /// Sends a message now; true only when libzmq took it (with `immediate`, that means a
    /// connection is complete). A refusal is counted and reported as by `send`.
    public func sendIfTaken(_ frames: [[UInt8]]) -> Bool {
        deliver(frames).taken
    }

    /// `accepted`: the loop is open; `taken`: libzmq queued the message.
    private func deliver(_ frames: [[UInt8]]) -> (accepted: Bool, taken: Bool) {
        let (accepted, failure) = core.state.withLock { state -> (Bool, ZMQError?) in
            guard !state.closing, let socket = state.socket else { return (false, nil) }
            var failure: ZMQError?
            do throws(ZMQError) {
                try socket.socket.send(frames, dontWait: true)
                state.statistics.sent += 1
            } catch {
                state.statistics.sendFailures += 1
                failure = error
            }
            // The send may have taken the signal of messages that arrived meanwhile.
            core.receiveAll(&state, socket: socket.socket)
            return (true, failure)
        }
        if let failure { onSendError(failure, frames) }
        return (accepted, accepted && failure == nil)
    }

    /// Stops the loop: the socket is closed and the incoming stream finishes.
    public func close() {
        core.state.withLock { state in
            guard !state.closing else { return }
            state.closing = true
            state.signal?.socket.wake()
        }
    }

    /// What the loop has done so far.
    public var stats: Statistics { core.state.withLock { $0.statistics } }

    /// Whether the reader thread has ended.
    public var isFinished: Bool { core.state.withLock { $0.finished } }
}

/// A socket handed between threads; used only under `Core.state`'s lock or by the one thread
/// that owns it.
private final class OwnedSocket: @unchecked Sendable {
    let socket: ZMQSocket
    init(_ socket: ZMQSocket) { self.socket = socket }
}

private extension ZMQSocket {
    /// Wakes the reader through the in-process PAIR.
    func wake() { try? send([[]], dontWait: true) }
}

/// The socket and what the senders and the reader share, behind one lock.
private final class Core: Sendable {
    struct State: ~Copyable {
        var socket: OwnedSocket?
        var signal: OwnedSocket?
        var closing = false
        var finished = false
        var statistics = SocketLoop.Statistics()
    }

    let state: Mutex<State>
    let continuation: AsyncStream<[[UInt8]]>.Continuation

    init(socket: OwnedSocket, signal: OwnedSocket, continuation: AsyncStream<[[UInt8]]>.Continuation) {
        state = Mutex(State(socket: socket, signal: signal))
        self.continuation = continuation
    }

    /// Receives up to `limit` messages into the stream, in arrival order (callers hold the
    /// lock); returns whether the socket has nothing more waiting.
    @discardableResult
    func receiveAll(_ state: inout State, socket: ZMQSocket, limit: Int = .max) -> Bool {
        var count = 0
        while count < limit {
            guard let frames = try? socket.receive(dontWait: true) else { return true }
            state.statistics.received += 1
            continuation.yield(frames)
            count += 1
        }
        return false
    }
}

/// The thread that waits for input and closes everything at the end.
private final class Reader: Sendable {
    /// Kept alive until the sockets are closed (a context's end waits for its sockets).
    let context: ZMQContext
    let core: Core
    let wake: OwnedSocket
    let signalled: Int32
    let monitor: OwnedSocket?
    let onHandshakeFailure: @Sendable (HandshakeFailure) -> Void

    init(context: ZMQContext, core: Core, wake: OwnedSocket, signalled: Int32, monitor: OwnedSocket?,
         onHandshakeFailure: @escaping @Sendable (HandshakeFailure) -> Void) {
        self.context = context
        self.core = core
        self.wake = wake
        self.signalled = signalled
        self.monitor = monitor
        self.onHandshakeFailure = onHandshakeFailure
    }

    func run() {
        // The wake-up socket is 0, the monitor 1 (when there is one), the descriptor last.
        let sockets = [wake.socket] + (monitor.map { [$0.socket] } ?? [])
        while true {
            // Receive what is waiting, in bites, so that senders are not held up for long.
            var drained = false
            while !drained {
                let stop = core.state.withLock { state -> Bool in
                    guard !state.closing, let socket = state.socket else { return true }
                    drained = core.receiveAll(&state, socket: socket.socket, limit: 64)
                    return false
                }
                if stop { return finish() }
            }
            guard let ready = try? ZMQSocket.poll(sockets, descriptors: [signalled], timeout: 1_000) else { return finish() }
            if ready.contains(0) {
                while (try? wake.socket.receive(dontWait: true)) ?? nil != nil {}
            }
            if let monitor, ready.contains(1) {
                while let frames = (try? monitor.socket.receive(dontWait: true)) ?? nil {
                    if let failure = HandshakeFailure.decode(frames) { onHandshakeFailure(failure) }
                }
            }
        }
    }

    private func finish() {
        let (socket, signal) = core.state.withLock { state -> (OwnedSocket?, OwnedSocket?) in
            let taken = (state.socket, state.signal)
            state.socket = nil
            state.signal = nil
            state.closing = true
            return taken
        }
        signal?.socket.close()
        wake.socket.close()
        socket?.socket.close()
        monitor?.socket.close()
        core.continuation.finish()
        core.state.withLock { $0.finished = true }
    }
}
