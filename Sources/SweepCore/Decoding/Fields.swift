/// The entries of one YAML mapping, looked up by key, remembering which keys the decoder
/// understood so that the rest can be reported as unknown with a suggestion.
struct Fields {
    let entries: [(key: YAMLScalar, value: YAMLNode)]
    let location: SourceLocation

    init(_ entries: [(key: YAMLScalar, value: YAMLNode)], at location: SourceLocation) {
        self.entries = entries
        self.location = location
    }

    /// The value of `key`, if present.
    subscript(key: String) -> YAMLNode? {
        entries.first { $0.key.text == key }?.value
    }

    /// The position of `key` itself, if present.
    func keyLocation(_ key: String) -> SourceLocation? {
        entries.first { $0.key.text == key }?.key.location
    }

    /// Whether `key` is present.
    func has(_ key: String) -> Bool {
        entries.contains { $0.key.text == key }
    }

    /// The keys present that are not in `allowed`.
    func unknownKeys(allowed: [String]) -> [YAMLScalar] {
        entries.map(\.key).filter { !allowed.contains($0.text) }
    }
}
