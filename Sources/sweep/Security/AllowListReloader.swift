import Logging
import ServiceLifecycle
import SweepCoordinator
import SweepWire
import UnixSignals

/// Re-reads the coordinator's CURVE allow-list on SIGHUP. A list that cannot be read or
/// parsed is reported and the one in force stays.
struct AllowListReloader: Service {
    let path: String
    let coordinator: Coordinator
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                coordinator.replaceAllowList(try CurveAllowList(contentsOf: path))
            } catch {
                logger.error("allow-list not reloaded, the previous one stays in force: \(error)")
            }
        }
    }
}
