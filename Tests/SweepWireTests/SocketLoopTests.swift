import Foundation
import SweepCore
import SweepWire
import Synchronization
import Testing

/// Real ZeroMQ sockets on loopback TCP.
@Suite("ZeroMQ sockets", .timeLimit(.minutes(1)))
struct SocketLoopTests {
    /// The next message of a stream, or nil after `seconds`.
    static func next(_ stream: AsyncStream<[[UInt8]]>, within seconds: Double = 5) async -> [[UInt8]]? {
        await withTaskGroup(of: [[UInt8]]?.self) { group in
            group.addTask {
                var iterator = stream.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test func libzmqHasCurve() {
        #expect(ZMQContext.hasCurve, "libzmq \(ZMQContext.libraryVersion) was built without CURVE")
    }

    @Test func dealerAndRouterExchangeMultipartMessages() async throws {
        let context = try ZMQContext()
        var routerOptions = SocketOptions()
        routerOptions.routerMandatory = true
        let router = try SocketLoop(context: context, kind: .router, options: routerOptions, bind: ["tcp://127.0.0.1:*"])
        let endpoint = try #require(router.boundEndpoints.first)
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        var dealerOptions = SocketOptions()
        dealerOptions.identity = Array("worker-1".utf8)
        let dealer = try SocketLoop(context: context, kind: .dealer, options: dealerOptions, connect: [endpoint])
        defer {
            dealer.close()
            router.close()
        }

        let hello = FrameCodec.encode(WireMessage(.hello, ["host": .string("h"), "slots": .int(4)]))
        dealer.send(hello)
        let received = try #require(await Self.next(router.incoming))
        #expect(received.first == Array("worker-1".utf8))
        #expect(Array(received.dropFirst()) == hello)

        // The ROUTER answers by identity; empty frames survive.
        router.send([Array("worker-1".utf8), [], Array("x".utf8), []])
        let answer = try #require(await Self.next(dealer.incoming))
        #expect(answer == [[], Array("x".utf8), []])
    }

    @Test func unroutableSendsAreCountedNotSilentlyLost() async throws {
        let context = try ZMQContext()
        var options = SocketOptions()
        options.routerMandatory = true
        let failures = Counter()
        let router = try SocketLoop(context: context, kind: .router, options: options, bind: ["tcp://127.0.0.1:*"]) { error, _ in
            if error.hostUnreachable { failures.increment() }
        }
        defer { router.close() }
        router.send([Array("nobody".utf8), Array("hello".utf8)])
        for _ in 0..<100 where router.stats.sendFailures == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(router.stats.sendFailures == 1)
        #expect(failures.value == 1)
    }

    @Test func garbageAndHugeFramesFromARawSocketAreRefusedAndServiceContinues() async throws {
        let context = try ZMQContext()
        let router = try SocketLoop(context: context, kind: .router, bind: ["tcp://127.0.0.1:*"])
        let dealer = try SocketLoop(context: context, kind: .dealer, connect: router.boundEndpoints)
        defer {
            dealer.close()
            router.close()
        }
        let garbage: [[[UInt8]]] = [
            [[0xDE, 0xAD]],
            [Array("SWP9".utf8), Array("HELLO".utf8), Array("{}".utf8)],
            [Array("SWP1".utf8), Array("HELLO".utf8), Array("{\"a\":".utf8)],
            [Array("SWP1".utf8), Array("HELLO".utf8), [UInt8](repeating: 0x7B, count: 10 << 20)],
            FrameCodec.encode(WireMessage(.heartbeat)),
        ]
        for message in garbage { dealer.send(message) }
        var outcomes: [String] = []
        for _ in garbage {
            let frames = try #require(await Self.next(router.incoming, within: 10))
            switch FrameCodec.decode(Array(frames.dropFirst())) {
            case .success(let message): outcomes.append(message.command.rawValue)
            case .failure(let error): outcomes.append(error.code)
            }
        }
        #expect(outcomes == ["frame_count", "unsupported_version", "malformed_body", "oversized", "HEARTBEAT"])
    }

    @Test func closeFinishesTheIncomingStream() async throws {
        let context = try ZMQContext()
        let loop = try SocketLoop(context: context, kind: .router, bind: ["tcp://127.0.0.1:*"])
        loop.close()
        var iterator = loop.incoming.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        #expect(loop.send([[1]]) == false)
    }

    @Test func bindingAnInvalidEndpointThrows() throws {
        let context = try ZMQContext()
        #expect(throws: ZMQError.self) { _ = try SocketLoop(context: context, kind: .router, bind: ["tcp://256.1.1.1:1"]) }
    }
}

/// A thread-safe counter for callbacks.
final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
