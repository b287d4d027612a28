import CZeroMQ
import Foundation

/// Waits on many sockets at once through epoll over their `ZMQ_FD`s, visiting only those
/// that may have messages: `zmq_poll` asks every socket for its events on every call, which
/// with a thousand sockets costs more than the messages. One thread owns it and the sockets.
///
/// `ZMQ_FD` is edge-like: a socket reported ready must be received from until nothing is
/// waiting, and so must a socket just sent on (a send can take the signal of a message
/// that arrived meanwhile): `markDue` it, and the next `wait` returns it at once.
public final class SocketReadiness {
    private let poller: Int32
    private var events: [epoll_event]
    private var due: [Int]

    /// Watches `sockets`, identified by their index; every socket is due at first.
    public init(_ sockets: [ZMQSocket]) throws {
        poller = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard poller >= 0 else { throw ZMQError(code: errno, operation: "epoll_create1") }
        events = [epoll_event](repeating: epoll_event(), count: 256)
        due = Array(sockets.indices)
        for (index, socket) in sockets.enumerated() {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | EPOLLET.rawValue
            event.data.u64 = UInt64(index)
            let fd = try socket.fileDescriptor()
            guard epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event) == 0 else {
                let code = errno
                close(poller)
                throw ZMQError(code: code, operation: "epoll_ctl")
            }
        }
    }

    deinit {
        close(poller)
    }

    /// Marks a socket to be returned by the next `wait` (after a send on it).
    public func markDue(_ index: Int) {
        due.append(index)
    }

    /// The indices of sockets that may have messages: those marked due, at once, else those
    /// signalled within `timeout` milliseconds (possibly none).
    public func wait(timeout: Int32) throws -> [Int] {
        var ready = due
        due.removeAll(keepingCapacity: true)
        let count = events.withUnsafeMutableBufferPointer { epoll_wait(poller, $0.baseAddress, Int32($0.count), ready.isEmpty ? timeout : 0) }
        if count < 0 {
            guard errno == EINTR else { throw ZMQError(code: errno, operation: "epoll_wait") }
            return ready
        }
        for slot in 0..<Int(count) { ready.append(Int(events[slot].data.u64)) }
        return ready
    }
}
