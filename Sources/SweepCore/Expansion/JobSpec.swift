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
    /// `params` as canonical JSON, built once by expansion and reused by storage.
    public var canonicalParams: String

    private enum CodingKeys: String, CodingKey {
        case index, params, seed, configHash, rung
    }

    /// Creates a job, computing its canonical JSON and configuration hash.
    public init(index: Int, params: ParamValue, seed: Int64, rung: Int? = nil) {
        let canonical = params.canonicalJSON
        self.init(index: index, params: params, seed: seed, rung: rung, canonicalParams: canonical,
                  configHash: SHA256.hexDigest(canonical.utf8))
    }

    /// Creates a job whose canonical JSON and configuration hash are already known.
    public init(index: Int, params: ParamValue, seed: Int64, rung: Int?, canonicalParams: String, configHash: String) {
        self.index = index
        self.params = params
        self.seed = seed
        self.configHash = configHash
        self.rung = rung
        self.canonicalParams = canonicalParams
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        params = try container.decode(ParamValue.self, forKey: .params)
        index = try container.decode(Int.self, forKey: .index)
        seed = try container.decode(Int64.self, forKey: .seed)
        configHash = try container.decode(String.self, forKey: .configHash)
        rung = try container.decodeIfPresent(Int.self, forKey: .rung)
        canonicalParams = params.canonicalJSON
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
