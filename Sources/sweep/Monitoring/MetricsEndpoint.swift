import ArgumentParser
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import SweepCore
import SweepWire

/// `sweep coordinator|worker|up --metrics-bind HOST:PORT`: a small HTTP/1.1 server answering
/// `GET /metrics` with the process's figures in Prometheus's text format
/// (docs/operations.md, Monitoring), and 404 to anything else. It reads nothing from the
/// database: each scrape renders one snapshot taken on the coordinator's or worker's actor.
struct MetricsEndpoint: Service {
    /// Where to listen: `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`).
    struct Address: Equatable {
        var host: String
        var port: Int

        init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        init(parsing text: String) throws {
            let hostPart: Substring
            let portPart: Substring
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                    throw ValidationError("--metrics-bind: expected [IPv6]:PORT, got '\(text)'")
                }
                hostPart = text[text.index(after: text.startIndex)..<close]
                portPart = text[text.index(close, offsetBy: 2)...]
            } else {
                guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                    throw ValidationError("--metrics-bind: expected HOST:PORT such as 127.0.0.1:9464, got '\(text)'")
                }
                hostPart = text[..<colon]
                portPart = text[text.index(after: colon)...]
            }
            guard !hostPart.isEmpty else { throw ValidationError("--metrics-bind: the host is missing in '\(text)' (for every interface: 0.0.0.0:PORT)") }
            guard let port = Int(portPart), (1...65535).contains(port) else {
                throw ValidationError("--metrics-bind: the port must be a number from 1 to 65535, got '\(portPart)'")
            }
            self.init(host: String(hostPart), port: port)
        }
    }

    let address: Address
    /// When set, only requests carrying it (`Authorization: Bearer TOKEN`) are answered; the
    /// others get 401.
    var token: BearerToken? = nil
    let logger: Logger
    /// The exposition text of the moment.
    let render: @Sendable () async -> String

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// The listening channel, each connection with an HTTP/1.1 pipeline; a failure to bind
    /// names the address.
    private static func listen(_ address: Address) async throws -> NIOAsyncChannel<Connection, Never> {
        do {
            return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw CommandFailure("--metrics-bind: cannot listen on \(address.host):\(address.port): \(error)")
        }
    }

    /// Binds `address` and lets it go at once: for commands that should fail on a taken port
    /// before they change anything (`sweep up` submits its sweep first).
    static func checkAvailable(_ address: Address) async throws {
        try await listen(address).executeThenClose { _ in }
    }

    /// Binds (a failure ends the coordinator with a clear error), then serves until graceful
    /// shutdown.
    func run() async throws {
        let server = try await Self.listen(address)
        logger.info("serving metrics", metadata: [
            "sweep.metrics.url": "http://\(address.host):\(address.port)/metrics", "sweep.metrics.token": "\(token == nil ? "none" : "required")",
        ])
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await serve(connection) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Graceful shutdown: the listening socket is closed; that is the whole of it.
        } catch where Task.isShuttingDownGracefully || Task.isCancelled {
            // The same, reported by NIO as a closed channel.
        }
    }

    /// Answers the requests of one connection, in order, until it closes.
    private func serve(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                    case .body:
                        continue
                    case .end:
                        guard let request = head else { return }
                        head = nil
                        let (status, body) = await response(to: request)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: status == .ok ? PrometheusText.contentType : "text/plain; charset=utf-8")
                        if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: #"Bearer realm="sweep""#) }
                        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                        if request.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body)))) }
                        try await outbound.write(.end(nil))
                        if !request.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("a metrics connection ended with an error", metadata: ["sweep.error": "\(error)"])
        }
    }

    /// The status and body for a request.
    private func response(to request: HTTPRequestHead) async -> (HTTPResponseStatus, String) {
        if let token, !token.admits(authorization: request.headers.first(name: "Authorization")) {
            return (.unauthorized, "unauthorized: send Authorization: Bearer TOKEN (the token of --metrics-token-file)\n")
        }
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard path == "/metrics" else { return (.notFound, "not found; the metrics are at /metrics\n") }
        guard request.method == .GET || request.method == .HEAD else { return (.methodNotAllowed, "use GET /metrics\n") }
        return (.ok, await render())
    }
}
