import Logging
import SweepWire

extension Worker {
    /// Logs every failed handshake with the coordinator, with what to check: without it a
    /// refused worker would wait for WELCOME in silence.
    static func handshakeFailureLogger(curve: Bool, logger: Logger) -> @Sendable (HandshakeFailure) -> Void {
        { failure in
            let advice: String
            switch failure.kind {
            case .authentication:
                advice = "the coordinator refused this worker's CURVE key: put its public key (NAME.key) on the coordinator's --curve-allow list, then send the coordinator SIGHUP"
            case .protocolError where failure.isSecurityFailure:
                advice = curve
                    ? "check --curve-server-key (the coordinator's public key) and that the coordinator runs with CURVE"
                    : "the coordinator probably requires CURVE: start this worker with --curve-server-key and --curve-secret-key"
            case .system where failure.isConnectionDropped && !curve:
                advice = "the coordinator closed the connection during the handshake; if this repeats, it probably requires CURVE: start this worker with --curve-server-key and --curve-secret-key"
            default:
                advice = "libzmq retries"
            }
            logger.error("handshake with the coordinator failed: \(failure); \(advice)")
        }
    }
}
