import Logging
public import SweepWire

extension Coordinator {
    /// Starts the ZAP handler that admits the allow-list's worker keys, when CURVE is
    /// configured; nil otherwise. Must run before the ROUTER binds: with no handler bound,
    /// libzmq would admit every CURVE client.
    static func startAuthentication(context: ZMQContext, curve: CoordinatorCurve?, logger: Logger) throws -> ZAPHandler? {
        guard let curve else { return nil }
        let handler = try ZAPHandler(context: context, allowList: curve.allowList, domain: curve.zapDomain) { decision in
            Self.log(decision, logger: logger)
        }
        let publicKey = try curve.secretKey.publicKey()
        logger.info("CURVE on: workers must present a key on the allow-list", metadata: [
            "sweep.curve.public_key": "\(publicKey.z85)", "sweep.curve.allowed": "\(curve.allowList.count)",
        ])
        return handler
    }

    /// With CURVE, logs peers refused by libzmq before the ZAP handler is asked (no CURVE,
    /// wrong server key); those the handler refused are logged by `log(_:logger:)`.
    static func handshakeFailureLogger(curve: CoordinatorCurve?, logger: Logger) -> (@Sendable (HandshakeFailure) -> Void)? {
        guard curve != nil else { return nil }
        return { failure in
            if case .authentication = failure.kind { return }
            logger.warning("refused a peer at the handshake: \(failure)")
        }
    }

    /// Every refusal at warning, with the peer's address and key; admissions at info.
    static func log(_ decision: ZAPAuthority.Decision, logger: Logger) {
        var metadata: Logger.Metadata = [
            "sweep.peer.address": "\(decision.address)", "sweep.curve.mechanism": "\(decision.mechanism)",
            "sweep.curve.key": "\(decision.clientKey?.z85 ?? "-")",
        ]
        if decision.admitted {
            if let name = decision.name { metadata["sweep.curve.name"] = "\(name)" }
            logger.info("admitted a worker's CURVE key", metadata: metadata)
        } else {
            metadata["sweep.curve.status"] = "\(decision.statusCode)"
            logger.warning("refused a peer: \(decision.reason)", metadata: metadata)
        }
    }

    /// Admits the keys of `allowList` from now on (on SIGHUP, say); connections already
    /// admitted stay. Does nothing without CURVE.
    public nonisolated func replaceAllowList(_ allowList: CurveAllowList) {
        guard let authentication else {
            logger.warning("an allow-list was given to a coordinator without CURVE; ignored")
            return
        }
        authentication.replaceAllowList(allowList)
        logger.info("allow-list replaced", metadata: ["sweep.curve.allowed": "\(allowList.count)"])
    }
}
