public import SweepWire

/// CURVE for the coordinator's ROUTER: its secret key and the worker keys it admits.
public struct CoordinatorCurve: Sendable {
    /// The coordinator's secret key (its public key goes to every worker).
    public var secretKey: CurveSecretKey
    /// The worker public keys admitted; everyone else is refused during the handshake.
    public var allowList: CurveAllowList
    /// The ZMQ_ZAP_DOMAIN the ROUTER asks the ZAP handler about.
    public var zapDomain = "sweep"

    /// CURVE with a secret key and an allow-list.
    public init(secretKey: CurveSecretKey, allowList: CurveAllowList) {
        self.secretKey = secretKey
        self.allowList = allowList
    }
}
