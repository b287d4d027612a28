import Foundation
import Synchronization

/// One ZeroMQ socket owned by a dedicated thread and bridged to async code: incoming
/// messages arrive on an `AsyncStream`; `send` may be called from any task. The thread
/// polls the socket and an in-process wake-up pair, so sends are delivered at once without
/// ever touching the socket from another thread.
public final class SocketLoop: Sendable {
    /// Messages received, each a list of frames (a ROUTER's start with the sender's identity).
    public let incoming: AsyncStream<[[UInt8]]>
    /// The endpoints actually bound (ports resolved).
    public let boundEndpoints: [String]

    private let core: Core

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
    /// socket monitor, on the loop's thread).
    public init(
        context: ZMQContext, kind: SocketKind, options: SocketOptions = SocketOptions(),
        bind: [String] = [], connect: [String] = [],
        onSendError: @escaping @Sendable (ZMQError, [[UInt8]]) -> Void = { _, _ in },
        onHandshakeFailure: (@Sendable (HandshakeFailure) -> Void)? = nil
    ) throws {
        let (stream, continuation) = AsyncStream<[[UInt8]]>.makeStream()
        incoming = stream
        let core = Core()
        self.core = core
        let wakeEndpoint = "inproc://sweep-wake-\(UInt64.random(in: 0...UInt64.max))"
        let monitorEndpoint = "inproc://sweep-monitor-\(UInt64.random(in: 0...UInt64.max))"

        // The thread creates and owns the socket; it reports how binding went before looping.
        let started = DispatchSemaphore(value: 0)
        let setup = Mutex<Result<[String], any Error>?>(nil)
        let thread = Thread {
            var socket: ZMQSocket?
            var wake: ZMQSocket?
            var monitor: ZMQSocket?
            do {
                let created = try ZMQSocket(context: context, kind: kind, options: options)
                if onHandshakeFailure != nil {
                    monitor = try created.monitor(monitorEndpoint, events: HandshakeFailure.monitoredEvents, context: context)
                }
                let bound = try bind.map { endpoint throws(ZMQError) in try created.bind(endpoint) }
                for endpoint in connect { try created.connect(endpoint) }
                let receiver = try ZMQSocket(context: context, kind: .pair)
                try receiver.bind(wakeEndpoint)
                let signal = try ZMQSocket(context: context, kind: .pair)
                try signal.connect(wakeEndpoint)
                core.shared.withLock { $0.signal = SignalSocket(signal) }
                socket = created
                wake = receiver
                setup.withLock { $0 = .success(bound) }
            } catch {
                setup.withLock { $0 = .failure(error) }
            }
            started.signal()
            guard let socket, let wake else {
                monitor?.close()
                continuation.finish()
                return
            }
            core.run(socket: socket, wake: wake, monitor: monitor.map { ($0, onHandshakeFailure ?? { _ in }) },
                     continuation: continuation, onSendError: onSendError)
        }
        thread.name = "sweep.zmq"
        thread.start()
        started.wait()
        switch setup.withLock({ $0 }) {
        case .success(let endpoints)?: boundEndpoints = endpoints
        case .failure(let error)?: throw error
        case nil: throw ZMQError(code: EINVAL, operation: "socket thread did not start")
        }
    }

    /// Queues a message for sending; returns false once the loop is closing.
    @discardableResult
    public func send(_ frames: [[UInt8]]) -> Bool {
        core.shared.withLock { state in
            guard !state.closing else { return false }
            state.outbound.append(frames)
            if state.outbound.count == 1 { state.signal?.wake() }
            return true
        }
    }

    /// Stops the loop after sending what is queued; the incoming stream finishes.
    public func close() {
        core.shared.withLock { state in
            guard !state.closing else { return }
            state.closing = true
            state.signal?.wake()
        }
    }

    /// What the loop has done so far.
    public var stats: Statistics { core.statistics.withLock { $0 } }

    /// Whether the thread has ended.
    public var isFinished: Bool { core.finished.withLock { $0 } }
}

/// The in-process socket that wakes the loop. Used only under the loop's lock, which makes
/// the hand-over between threads that libzmq requires.
private final class SignalSocket: @unchecked Sendable {
    let socket: ZMQSocket
    init(_ socket: ZMQSocket) { self.socket = socket }
    func wake() { try? socket.send([[]], dontWait: true) }
}

/// The state the loop thread and the senders share.
private final class Core: Sendable {
    struct Shared: ~Copyable {
        var outbound: [[[UInt8]]] = []
        var closing = false
        var signal: SignalSocket?
    }

    let shared = Mutex(Shared())
    let finished = Mutex(false)
    let statistics = Mutex(SocketLoop.Statistics())

    func run(socket: ZMQSocket, wake: ZMQSocket, monitor: (socket: ZMQSocket, handler: @Sendable (HandshakeFailure) -> Void)?,
             continuation: AsyncStream<[[UInt8]]>.Continuation, onSendError: @Sendable (ZMQError, [[UInt8]]) -> Void) {
        defer {
            let signal = shared.withLock { state -> SignalSocket? in
                let signal = state.signal
                state.signal = nil
                return signal
            }
            signal?.socket.close()
            wake.close()
            socket.close()
            monitor?.socket.close()
            continuation.finish()
            finished.withLock { $0 = true }
        }
        while true {
            // Send everything queued, then wait for input or a wake-up.
            let (batch, closing) = shared.withLock { state in
                let batch = state.outbound
                state.outbound.removeAll(keepingCapacity: true)
                return (batch, state.closing)
            }
            for frames in batch {
                do {
                    try socket.send(frames, dontWait: true)
                    statistics.withLock { $0.sent += 1 }
                } catch {
                    statistics.withLock { $0.sendFailures += 1 }
                    onSendError(error, frames)
                }
            }
            if closing { return }
            let ready: [Int]
            do {
                ready = try ZMQSocket.poll([socket, wake] + (monitor.map { [$0.socket] } ?? []), timeout: 1_000)
            } catch {
                return
            }
            if ready.contains(1) {
                while (try? wake.receive(dontWait: true)) ?? nil != nil {}
            }
            if ready.contains(2), let monitor {
                while let frames = (try? monitor.socket.receive(dontWait: true)) ?? nil {
                    if let failure = HandshakeFailure.decode(frames) { monitor.handler(failure) }
                }
            }
            if ready.contains(0) {
                // Drain what is waiting, but keep sending responsive under heavy input.
                for _ in 0..<1_000 {
                    guard let frames = try? socket.receive(dontWait: true) else { break }
                    statistics.withLock { $0.received += 1 }
                    continuation.yield(frames)
                }
            }
        }
    }
}
