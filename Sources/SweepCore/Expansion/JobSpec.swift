/// One concrete job of an expanded sweep.
public struct JobSpec: Sendable, Hashable, Codable {
    /// Position in the expansion (0-based).
    public var index: Int
    /// The parameters, as a (possibly nested) object.
    public var params: ParamValue
    /// The replicate seed.
    public var seed: Int64
    /// SHA-256 of the canonical JSON of `params`: equal configurations hash equally whatever
    /// their key order or number formatting. With the sweep and seed it identifies a job.
    public var configHash: String
    /// The ladder rung (0 = smallest), for ladder sweeps.
    public var rung: Int?

    /// Creates a job, computing its configuration hash.
    public init(index: Int, params: ParamValue, seed: Int64, rung: Int? = nil) {
        self.init(index: index, params: params, seed: seed, rung: rung, configHash: ConfigurationHash.of(params))
    }

    /// Creates a job whose configuration hash is already known.
    public init(index: Int, params: ParamValue, seed: Int64, rung: Int?, configHash: String) {
        self.index = index
        self.params = params
        self.seed = seed
        self.configHash = configHash
        self.rung = rung
    }
}

/// The canonical hash of a configuration.
public enum ConfigurationHash {
    /// SHA-256 (hex) of the canonical JSON of `params`.
    public static func of(_ params: ParamValue) -> String {
        SHA256.hexDigest(params.canonicalJSON.utf8)
    }

    /// SHA-256 (hex) of arbitrary bytes, for checksums of files such as migrations.
    public static func digest(of bytes: [UInt8]) -> String {
        SHA256.hexDigest(bytes)
    }
}
