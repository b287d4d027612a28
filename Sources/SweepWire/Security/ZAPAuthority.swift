/// The decisions of a ZAP handler (ZeroMQ RFC 27), as pure functions: a request's frames in,
/// the reply's frames and what was decided out. `ZAPHandler` does the socket work.
public enum ZAPAuthority {
    /// The ZAP version libzmq speaks.
    public static let version = "1.0"

    /// A parsed ZAP request.
    public struct Request: Sendable, Equatable {
        /// The request id to quote in the reply.
        public var requestID: [UInt8]
        /// The server socket's ZMQ_ZAP_DOMAIN.
        public var domain: String
        /// The peer's IP address.
        public var address: String
        /// The server socket's routing id (usually empty).
        public var identity: [UInt8]
        /// "NULL", "PLAIN" or "CURVE".
        public var mechanism: String
        /// The mechanism's credentials: for CURVE, the client's 32-byte public key.
        public var credentials: [[UInt8]]
    }

    /// What was decided about one peer.
    public struct Decision: Sendable, Equatable {
        /// The ZAP status: 200 admitted, 400 refused, 500 the request was malformed.
        public var statusCode: Int
        /// Why, in words.
        public var reason: String
        /// The peer's address, when the request could be read.
        public var address: String
        /// The peer's mechanism, when the request could be read.
        public var mechanism: String
        /// The peer's public key (CURVE).
        public var clientKey: CurveKey?
        /// The allow-list's name for the key, when admitted and named.
        public var name: String?

        /// Whether the peer was admitted.
        public var admitted: Bool { statusCode == 200 }
    }

    /// Parses a request's frames; nil when they are not a ZAP 1.0 request.
    public static func parse(_ frames: [[UInt8]]) -> Request? {
        guard frames.count >= 6, String(decoding: frames[0], as: UTF8.self) == version else { return nil }
        return Request(
            requestID: frames[1], domain: String(decoding: frames[2], as: UTF8.self),
            address: String(decoding: frames[3], as: UTF8.self), identity: frames[4],
            mechanism: String(decoding: frames[5], as: UTF8.self), credentials: Array(frames.dropFirst(6)))
    }

    /// Decides about a request: a CURVE peer whose key is on `allowList` (and, when `domain`
    /// is given, asking for that domain) is admitted; anyone else is refused.
    public static func decide(_ request: Request, allowList: CurveAllowList, domain: String?) -> Decision {
        var decision = Decision(statusCode: 400, reason: "", address: request.address, mechanism: request.mechanism)
        guard request.mechanism == "CURVE" else {
            decision.reason = "mechanism \(request.mechanism) is not CURVE"
            return decision
        }
        guard request.credentials.count == 1, let key = CurveKey(bytes: request.credentials[0]) else {
            decision.statusCode = 500
            decision.reason = "malformed CURVE credentials"
            return decision
        }
        decision.clientKey = key
        if let domain, request.domain != domain {
            decision.reason = "ZAP domain '\(request.domain)' is not '\(domain)'"
            return decision
        }
        guard let entry = allowList.entry(for: key) else {
            decision.reason = "key not on the allow-list"
            return decision
        }
        decision.statusCode = 200
        decision.reason = "OK"
        decision.name = entry.name
        return decision
    }

    /// The reply's frames: version, request id, status code, status text, user id, metadata.
    /// The user id is the allow-list's name for the key, or its Z85 text.
    public static func reply(to request: Request, decision: Decision) -> [[UInt8]] {
        let userID = decision.admitted ? (decision.name ?? decision.clientKey?.z85 ?? "") : ""
        return [Array(version.utf8), request.requestID, Array(String(decision.statusCode).utf8), Array(decision.reason.utf8), Array(userID.utf8), []]
    }

    /// Handles one request's frames: the reply to send (nil when the frames are not a
    /// request one can answer) and the decision.
    public static func handle(_ frames: [[UInt8]], allowList: CurveAllowList, domain: String?) -> (reply: [[UInt8]]?, decision: Decision) {
        guard let request = parse(frames) else {
            let decision = Decision(statusCode: 500, reason: "malformed ZAP request (\(frames.count) frames)", address: "", mechanism: "")
            // A REP socket must answer; quote the request id when there is one.
            let requestID = frames.count > 1 ? frames[1] : []
            return ([Array(version.utf8), requestID, Array("500".utf8), Array(decision.reason.utf8), [], []], decision)
        }
        let decision = decide(request, allowList: allowList, domain: domain)
        return (reply(to: request, decision: decision), decision)
    }
}
