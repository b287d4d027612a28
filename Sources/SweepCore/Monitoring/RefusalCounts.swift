/// Messages refused as malformed (docs/protocol.md 4.2), in all and by the ERROR code the
/// sender was told: what the coordinator and the worker both count and serve to Prometheus.
public struct RefusalCounts: Sendable, Equatable {
    public private(set) var total = 0
    public private(set) var byCode: [String: Int] = [:]

    public init() {}

    public mutating func count(code: String) {
        total += 1
        byCode[code, default: 0] += 1
    }
}
