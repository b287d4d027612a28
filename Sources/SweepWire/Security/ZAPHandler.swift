import Foundation
import Synchronization

/// The ZAP handler (ZeroMQ RFC 27) of a CURVE server: a REP socket bound at
/// `inproc://zeromq.zap.01` in the server socket's context, on a thread of its own (a socket
/// belongs to one thread), admitting the CURVE keys of an allow-list and refusing everyone
/// else. Start it before the server socket binds: libzmq admits every CURVE client when no
/// handler is bound. The allow-list can be replaced while it runs.
public final class ZAPHandler: Sendable {
    /// Where libzmq sends ZAP requests.
    public static let endpoint = "inproc://zeromq.zap.01"
    /// How often the thread looks whether it should stop, in milliseconds.
    static let stopCheckMilliseconds = 200

    private let state: State

    /// Binds the handler in `context` and starts answering. `domain`, when given, must be
    /// the server socket's ZMQ_ZAP_DOMAIN. `onDecision` hears about every request, on the
    /// handler's thread: keep it quick.
    public init(
        context: ZMQContext, allowList: CurveAllowList, domain: String?,
        onDecision: @escaping @Sendable (ZAPAuthority.Decision) -> Void
    ) throws {
        let state = State(allowList: allowList)
        self.state = state
        let started = DispatchSemaphore(value: 0)
        let setup = Mutex<(any Error)?>(nil)
        let thread = Thread {
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, kind: .reply)
                try socket.bind(Self.endpoint)
            } catch {
                setup.withLock { $0 = error }
                started.signal()
                state.finished.withLock { $0 = true }
                return
            }
            started.signal()
            defer {
                socket.close()
                state.finished.withLock { $0 = true }
            }
            while !state.stopping.withLock({ $0 }) {
                guard let ready = try? ZMQSocket.poll([socket], timeout: Self.stopCheckMilliseconds) else { return }
                guard !ready.isEmpty else { continue }
                guard let frames = try? socket.receive(dontWait: true) else { continue }
                let allowList = state.allowList.withLock { $0 }
                let (reply, decision) = ZAPAuthority.handle(frames, allowList: allowList, domain: domain)
                if let reply { try? socket.send(reply) }
                onDecision(decision)
            }
        }
        thread.name = "sweep.zap"
        thread.start()
        started.wait()
        if let error = setup.withLock({ $0 }) { throw error }
    }

    deinit {
        stop()
    }

    /// Admits the keys of `allowList` from now on (connections already admitted stay).
    public func replaceAllowList(_ allowList: CurveAllowList) {
        state.allowList.withLock { $0 = allowList }
    }

    /// The allow-list in force.
    public var allowList: CurveAllowList { state.allowList.withLock { $0 } }

    /// Stops answering; the thread ends within `stopCheckMilliseconds`.
    public func stop() {
        state.stopping.withLock { $0 = true }
    }

    /// Whether the thread has ended.
    public var isFinished: Bool { state.finished.withLock { $0 } }

    /// What the handler's thread and its owner share.
    private final class State: Sendable {
        let allowList: Mutex<CurveAllowList>
        let stopping = Mutex(false)
        let finished = Mutex(false)
        init(allowList: CurveAllowList) { self.allowList = Mutex(allowList) }
    }
}
