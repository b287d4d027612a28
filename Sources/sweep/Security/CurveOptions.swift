import ArgumentParser
import Foundation
import SweepCoordinator
import SweepWire

/// The environment, for options that may also come from there.
private func environmentValue(_ name: String) -> String? {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
    return value
}

/// `sweep coordinator`'s CURVE options: with both, the ROUTER is a CURVE server that admits
/// only the allow-list's worker keys.
struct CoordinatorCurveOptions: ParsableArguments {
    @Option(name: .customLong("curve-secret-key"), help: ArgumentHelp(
        "The coordinator's CURVE secret key file (from `sweep keys generate`; mode 0600). Turns CURVE on; needs --curve-allow. Env: SWEEP_CURVE_SECRET_KEY.",
        valueName: "file"))
    var secretKeyFile: String?

    @Option(name: .customLong("curve-allow"), help: ArgumentHelp(
        "The worker public keys admitted, one per line with an optional name after it; '#' starts a comment. Re-read on SIGHUP. Env: SWEEP_CURVE_ALLOW.",
        valueName: "file"))
    var allowListFile: String?

    /// The secret key file, from the option or the environment.
    var secretKeyPath: String? { secretKeyFile ?? environmentValue("SWEEP_CURVE_SECRET_KEY") }
    /// The allow-list file, from the option or the environment.
    var allowListPath: String? { allowListFile ?? environmentValue("SWEEP_CURVE_ALLOW") }

    /// CURVE as configured, or nil when it is off; refuses half a configuration.
    func resolve() throws -> CoordinatorCurve? {
        switch (secretKeyPath, allowListPath) {
        case (nil, nil):
            return nil
        case (.some, nil):
            throw CommandFailure("--curve-secret-key needs --curve-allow (the worker keys to admit): CURVE without an allow-list would admit any key")
        case (nil, .some):
            throw CommandFailure("--curve-allow needs --curve-secret-key (the coordinator's secret key, from `sweep keys generate`)")
        case let (secretPath?, allowPath?):
            do {
                let secretKey = try CurveKeyFile.readSecretKey(secretPath, what: "the coordinator's CURVE secret key")
                let allowList = try CurveAllowList(contentsOf: allowPath)
                return CoordinatorCurve(secretKey: secretKey, allowList: allowList)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
    }
}

/// `sweep worker`'s CURVE options: with both, the DEALER is a CURVE client.
struct WorkerCurveOptions: ParsableArguments {
    @Option(name: .customLong("curve-server-key"), help: ArgumentHelp(
        "The coordinator's CURVE public key file (its NAME.key). Turns CURVE on; needs --curve-secret-key. Env: SWEEP_CURVE_SERVER_KEY.",
        valueName: "file"))
    var serverKeyFile: String?

    @Option(name: .customLong("curve-secret-key"), help: ArgumentHelp(
        "This worker's CURVE secret key file (mode 0600); its public key must be on the coordinator's allow-list. Env: SWEEP_CURVE_SECRET_KEY.",
        valueName: "file"))
    var secretKeyFile: String?

    /// CURVE as configured, or nil when it is off; refuses half a configuration.
    func resolve() throws -> (serverKey: CurveKey, secretKey: CurveSecretKey)? {
        switch (serverKeyFile ?? environmentValue("SWEEP_CURVE_SERVER_KEY"), secretKeyFile ?? environmentValue("SWEEP_CURVE_SECRET_KEY")) {
        case (nil, nil):
            return nil
        case (.some, nil):
            throw CommandFailure("--curve-server-key needs --curve-secret-key (this worker's secret key, from `sweep keys generate`)")
        case (nil, .some):
            throw CommandFailure("--curve-secret-key needs --curve-server-key (the coordinator's public key file)")
        case let (serverPath?, secretPath?):
            do {
                let serverKey = try CurveKeyFile.readPublicKey(serverPath, what: "the coordinator's CURVE public key")
                let secretKey = try CurveKeyFile.readSecretKey(secretPath, what: "this worker's CURVE secret key")
                return (serverKey, secretKey)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
    }
}
