import ArgumentParser
import Foundation
import SweepWire

/// `--metrics-token-file FILE`: a bearer token that every request to the metrics endpoint must
/// carry (`Authorization: Bearer TOKEN`), for an endpoint bound beyond the loopback. Prometheus
/// sends one with `authorization: {credentials_file: FILE}` in its scrape configuration.
struct MetricsTokenOptions: ParsableArguments {
    @Option(name: .long, help: "With --metrics-bind: answer only requests that carry 'Authorization: Bearer TOKEN', TOKEN being the first line of this file (16 to 4096 printable ASCII characters, no spaces; the file readable by its owner alone, chmod 600). Env: SWEEP_METRICS_TOKEN_FILE.")
    var metricsTokenFile: String?

    /// The token, read from the file the option (or SWEEP_METRICS_TOKEN_FILE) names; nil when
    /// neither does. `bindGiven`: whether --metrics-bind is. The option without it is an error
    /// (there is no endpoint to protect); the environment variable alone is then ignored.
    func resolve(bindGiven: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BearerToken? {
        if metricsTokenFile != nil, !bindGiven {
            throw ValidationError("--metrics-token-file needs --metrics-bind: without it there is no metrics endpoint to protect")
        }
        guard bindGiven, let path = metricsTokenFile ?? environment["SWEEP_METRICS_TOKEN_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        let text: String
        do {
            text = try ProtectedFile.read(path, requirement: .ownerOnly, what: "the metrics token")
        } catch {
            throw ValidationError("\(error)")
        }
        do throws(BearerToken.Problem) {
            return try BearerToken(fileText: text)
        } catch {
            throw ValidationError("\(path):\(error.line):\(error.column): the metrics token: \(error.reason)")
        }
    }
}
