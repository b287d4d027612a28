import Foundation
import SweepCore
import SweepWire
import Synchronization
import Testing

/// Real CURVE handshakes on loopback TCP, with the ZAP handler deciding.
@Suite("CURVE sockets", .timeLimit(.minutes(1)))
struct CurveSocketTests {
    @Test func onlyAllowListedClientsGetThrough() async throws {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let decisions = Mutex<[ZAPAuthority.Decision]>([])
        let zap = try ZAPHandler(
            context: context, allowList: CurveAllowList(entries: [.init(key: allowed.publicKey, name: "allowed", line: 1)]), domain: "sweep"
        ) { decision in decisions.withLock { $0.append(decision) } }
        defer { zap.stop() }

        var routerOptions = SocketOptions()
        routerOptions.curve = .server(secretKey: server.secretKey, zapDomain: "sweep")
        let router = try SocketLoop(context: context, kind: .router, options: routerOptions, bind: ["tcp://127.0.0.1:*"])
        let endpoint = try #require(router.boundEndpoints.first)

        // Three clients in their own contexts, as in separate processes; each hears why its
        // handshakes fail.
        let failures = Mutex<[String: [HandshakeFailure]]>([:])
        func dealer(_ name: String, curve: CurveSecurity?) throws -> (ZMQContext, SocketLoop) {
            let clientContext = try ZMQContext()
            var options = SocketOptions()
            options.identity = Array(name.utf8)
            options.curve = curve
            let loop = try SocketLoop(
                context: clientContext, kind: .dealer, options: options, connect: [endpoint],
                onHandshakeFailure: { failure in failures.withLock { $0[name, default: []].append(failure) } })
            return (clientContext, loop)
        }
        let good = try dealer("good", curve: .client(serverKey: server.publicKey, secretKey: allowed.secretKey))
        let bad = try dealer("bad", curve: .client(serverKey: server.publicKey, secretKey: stranger.secretKey))
        let plain = try dealer("plain", curve: nil)
        defer { for loop in [good.1, bad.1, plain.1, router] { loop.close() } }
        for (name, loop) in [("bad", bad.1), ("plain", plain.1), ("good", good.1)] { loop.send([Array(name.utf8)]) }

        var senders: [String] = []
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            guard let frames = await SocketLoopTests.next(router.incoming, within: 0.5) else { continue }
            senders.append(String(decoding: frames[0], as: UTF8.self))
        }
        #expect(senders == ["good"], "only the allowed client's message arrives")
        let seen = decisions.withLock { $0 }
        #expect(seen.contains { $0.admitted && $0.clientKey == allowed.publicKey && $0.name == "allowed" })
        #expect(seen.contains { !$0.admitted && $0.clientKey == stranger.publicKey && $0.statusCode == 400 })
        #expect(!seen.contains { $0.admitted && $0.clientKey != allowed.publicKey })

        let heard = failures.withLock { $0 }
        #expect(heard["good"] == nil)
        #expect(heard["bad"]?.contains { $0.kind == .authentication(400) } == true, "\(heard)")
        #expect(heard["plain"]?.contains { $0.isSecurityFailure } == true, "\(heard)")

        // A new list takes effect for new connections.
        zap.replaceAllowList(CurveAllowList(entries: [.init(key: stranger.publicKey, name: nil, line: 1)]))
        #expect(zap.allowList.contains(stranger.publicKey))
    }
}
