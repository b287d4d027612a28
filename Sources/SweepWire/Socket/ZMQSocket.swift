import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq error with its errno and message.
public struct ZMQError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The errno value libzmq reported.
    public var code: Int32
    /// What was being done.
    public var operation: String

    /// The error for the current `zmq_errno()`.
    static func current(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// `operation: message`.
    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code)))"
    }

    /// The call would have blocked.
    public var wouldBlock: Bool { code == EAGAIN }
    /// A ROUTER with ROUTER_MANDATORY could not route to that identity.
    public var hostUnreachable: Bool { code == EHOSTUNREACH }
}

/// A libzmq context. Thread-safe, as libzmq documents, so it may be shared.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A new context.
    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.current("zmq_ctx_new") }
        self.handle = handle
    }

    /// A new context that allows up to `maxSockets` sockets (libzmq's default is 1,023).
    public convenience init(maxSockets: Int32) throws(ZMQError) {
        try self.init()
        guard zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, maxSockets) == 0 else { throw ZMQError.current("ZMQ_MAX_SOCKETS") }
    }

    deinit {
        zmq_ctx_term(handle)
    }

    /// The libzmq version, `4.3.4`.
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Whether libzmq was built with CURVE security.
    public static var hasCurve: Bool { zmq_has("curve") != 0 }
}

/// Socket options that matter to Sweep, with the values its sockets use by default.
public struct SocketOptions: Sendable {
    /// Milliseconds to keep unsent messages after close (0: drop them; acks make that safe).
    public var linger: Int32 = 0
    /// Outgoing messages queued per peer before sends block or fail.
    public var sendHighWaterMark: Int32 = 100_000
    /// Incoming messages queued per peer.
    public var receiveHighWaterMark: Int32 = 100_000
    /// ROUTER only: fail a send to an unknown identity instead of dropping it silently.
    public var routerMandatory = false
    /// ROUTER only: a new connection with a known routing id takes the address over, so a
    /// worker that reconnects is not shut out by its half-dead old connection.
    public var routerHandover = false
    /// DEALER (the worker): queue messages only to a completed connection. Without it, what
    /// is sent while the coordinator is away waits in libzmq and arrives all at once when it
    /// returns: a worker's HELLOs of an hour-long outage, about 120 of them, each a
    /// registration (docs/protocol.md 2.3).
    public var immediate = false
    /// TCP keepalive, so dead links are noticed by the kernel too.
    public var tcpKeepalive = true
    /// First reconnect delay, milliseconds.
    public var reconnectInterval: Int32 = 100
    /// Longest reconnect delay (exponential backoff up to this), milliseconds.
    public var reconnectIntervalMax: Int32 = 5_000
    /// Messages larger than this are refused by libzmq, which disconnects the sender.
    public var maxMessageBytes: Int64 = 16 << 20
    /// The socket's identity (DEALER), so that a reconnecting worker keeps its address.
    public var identity: [UInt8]?
    /// CURVE encryption and authentication; nil for none (ZeroMQ's NULL mechanism).
    public var curve: CurveSecurity?

    /// The defaults above.
    public init() {}
}

/// A socket's side of CURVE (ZeroMQ RFC 26).
public enum CurveSecurity: Sendable {
    /// A CURVE server with its secret key; clients are authenticated by the ZAP handler of
    /// the socket's context (`ZAPHandler`), asked with `zapDomain`.
    case server(secretKey: CurveSecretKey, zapDomain: String)
    /// A CURVE client that trusts `serverKey` and proves `secretKey` (its public key is
    /// derived from it).
    case client(serverKey: CurveKey, secretKey: CurveSecretKey)
}

/// The kinds of socket Sweep uses.
public enum SocketKind: Sendable {
    case router, dealer, pair, reply

    var zmqType: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .reply: ZMQ_REP
        }
    }
}

/// One libzmq socket. Not thread-safe, like the socket itself: create, use and close it on
/// one thread (`SocketLoop` does this for async code).
public final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    private var closed = false

    /// Creates a socket in `context` and applies `options`.
    public init(context: ZMQContext, kind: SocketKind, options: SocketOptions = SocketOptions()) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, kind.zmqType) else { throw ZMQError.current("zmq_socket") }
        self.handle = handle
        try setOption(ZMQ_LINGER, options.linger)
        try setOption(ZMQ_SNDHWM, options.sendHighWaterMark)
        try setOption(ZMQ_RCVHWM, options.receiveHighWaterMark)
        try setOption(ZMQ_TCP_KEEPALIVE, options.tcpKeepalive ? 1 : 0)
        try setOption(ZMQ_RECONNECT_IVL, options.reconnectInterval)
        try setOption(ZMQ_RECONNECT_IVL_MAX, options.reconnectIntervalMax)
        var maxSize = options.maxMessageBytes
        guard zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &maxSize, MemoryLayout<Int64>.size) == 0 else { throw ZMQError.current("ZMQ_MAXMSGSIZE") }
        if kind == .router, options.routerMandatory { try setOption(ZMQ_ROUTER_MANDATORY, 1) }
        if kind == .router, options.routerHandover { try setOption(ZMQ_ROUTER_HANDOVER, 1) }
        if options.immediate { try setOption(ZMQ_IMMEDIATE, 1) }
        if let identity = options.identity { try setOption(ZMQ_ROUTING_ID, bytes: identity) }
        if let curve = options.curve { try apply(curve) }
    }

    /// Makes the socket a CURVE server or client; must happen before it binds or connects.
    private func apply(_ curve: CurveSecurity) throws(ZMQError) {
        guard ZMQContext.hasCurve else { throw ZMQError(code: ENOTSUP, operation: "CURVE: libzmq was built without it") }
        switch curve {
        case .server(let secretKey, let zapDomain):
            try setOption(ZMQ_CURVE_SERVER, 1)
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey.key.bytes)
            try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(zapDomain.utf8))
        case .client(let serverKey, let secretKey):
            try setOption(ZMQ_CURVE_SERVERKEY, bytes: serverKey.bytes)
            try setOption(ZMQ_CURVE_PUBLICKEY, bytes: try secretKey.publicKey().bytes)
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey.key.bytes)
        }
    }

    deinit {
        close()
    }

    /// Sets an integer option.
    public func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else { throw ZMQError.current("zmq_setsockopt \(option)") }
    }

    /// Sets a binary option (identities, CURVE keys).
    public func setOption(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let status = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard status == 0 else { throw ZMQError.current("zmq_setsockopt \(option)") }
    }

    /// Binds to an endpoint such as `tcp://*:5555`; returns the endpoint actually bound
    /// (with the port chosen when `*` or `0` was given).
    @discardableResult
    public func bind(_ endpoint: String) throws(ZMQError) -> String {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.current("bind \(endpoint)") }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return endpoint }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Connects to an endpoint such as `tcp://head:5555` (libzmq reconnects by itself).
    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.current("connect \(endpoint)") }
    }

    /// Sends a multipart message. With `dontWait`, throws an error with `wouldBlock` when the
    /// peer's queue is full.
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            guard sent >= 0 else { throw ZMQError.current("send") }
        }
    }

    /// Receives one multipart message; nil when `dontWait` and nothing is waiting.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        repeat {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            let received = zmq_msg_recv(&message, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if received < 0 {
                let error = ZMQError.current("receive")
                if error.wouldBlock, frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&message)
            if let data = zmq_msg_data(&message), size > 0 {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&message) == 0 { break }
        } while true
        return frames
    }

    /// Starts libzmq's monitor of this socket for `events` and returns the PAIR socket that
    /// receives them (own it on this socket's thread). Call before binding or connecting.
    func monitor(_ endpoint: String, events: Int32, context: ZMQContext) throws(ZMQError) -> ZMQSocket {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else { throw ZMQError.current("zmq_socket_monitor") }
        let receiver = try ZMQSocket(context: context, kind: .pair)
        try receiver.connect(endpoint)
        return receiver
    }

    /// The file descriptor libzmq signals when the socket's events may have changed
    /// (`ZMQ_FD`), for waiting on many sockets with epoll. It is edge-like: after it
    /// signals, and after every send, receive until nothing is waiting.
    public func fileDescriptor() throws(ZMQError) -> Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, ZMQ_FD, &fd, &size) == 0 else { throw ZMQError.current("zmq_getsockopt ZMQ_FD") }
        return fd
    }

    /// Closes the socket (idempotent).
    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    /// Waits until one of `sockets` or of the plain `descriptors` is readable or `timeout`
    /// milliseconds pass (−1: forever); returns the indices of the readable ones, the
    /// descriptors numbered after the sockets.
    public static func poll(_ sockets: [ZMQSocket], descriptors: [Int32] = [], timeout: Int) throws(ZMQError) -> [Int] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        items += descriptors.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let ready = zmq_poll(&items, Int32(items.count), timeout)
        if ready < 0 {
            let error = ZMQError.current("poll")
            if error.code == EINTR { return [] }
            throw error
        }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
