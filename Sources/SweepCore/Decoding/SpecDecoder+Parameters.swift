/// Decoding of `parameters`: W&B's distributions, inference of the distribution when it is
/// omitted, nested parameter dictionaries, and every constraint on bounds.
extension SpecDecoder {
    /// Keys a parameter may have.
    static let parameterKeys = ["value", "values", "probabilities", "distribution", "min", "max", "q", "mu", "sigma", "a", "b", "parameters"]
    /// Distributions that grid search can enumerate.
    static let gridKinds: Set<DistributionKind> = [.constant, .categorical, .intUniform, .qUniform]

    mutating func decodeParameters(_ node: YAMLNode, method: SweepSpec.Method?) -> [ParameterSpec] {
        guard let fields = mapping(node, what: "'parameters'", example: "{lr: {min: 0.0001, max: 0.1}}") else { return [] }
        if fields.entries.isEmpty {
            error("'parameters' declares no parameter; add at least one, for example lr: {values: [0.01, 0.1]}", at: fields.location)
            return []
        }
        var result: [ParameterSpec] = []
        decodeParameterMap(fields, prefix: [], method: method, into: &result)
        return result
    }

    private mutating func decodeParameterMap(_ fields: Fields, prefix: [String], method: SweepSpec.Method?, into result: inout [ParameterSpec]) {
        for (key, value) in fields.entries {
            let name = key.text
            if name.isEmpty || name.contains(where: { $0 == "=" || $0.isWhitespace || $0 == "." }) || name.hasPrefix("-") {
                error("parameter name '\(YAMLScalar.truncated(name))' cannot be passed as --name=value; use letters, digits, '_' and '-' (no '=', '.', spaces, or leading '-')", at: key.location)
                continue
            }
            decodeParameter(named: prefix + [name], node: value, keyLocation: key.location, method: method, into: &result)
        }
    }

    private mutating func decodeParameter(named path: [String], node: YAMLNode, keyLocation: SourceLocation, method: SweepSpec.Method?, into result: inout [ParameterSpec]) {
        let dotted = path.joined(separator: ".")
        guard case .mapping(let entries, let location) = node else {
            error("parameter '\(dotted)' must be a mapping such as {value: ...}, {values: [...]} or {min: ..., max: ...}, found \(node.kindDescription)", at: node.location)
            return
        }
        let fields = Fields(entries, at: location)
        reportUnknownKeys(in: fields, allowed: Self.parameterKeys, context: "in parameter '\(dotted)'")

        if let nested = fields["parameters"] {
            for other in fields.entries where other.key.text != "parameters" && Self.parameterKeys.contains(other.key.text) {
                error("parameter '\(dotted)' has nested 'parameters', so it cannot also have '\(other.key.text)'", at: other.key.location)
            }
            guard let nestedFields = mapping(nested, what: "'\(dotted).parameters'", example: "{lr: {values: [0.1, 0.01]}}") else { return }
            if nestedFields.entries.isEmpty {
                error("'\(dotted).parameters' declares no parameter", at: nestedFields.location)
            }
            decodeParameterMap(nestedFields, prefix: path, method: method, into: &result)
            return
        }

        guard let kind = distributionKind(of: fields, name: dotted) else { return }
        // Keys that belong to other distributions are a mistake, not a no-op.
        let applicable = Set(kind.requiredKeys + kind.optionalKeys + ["distribution"])
        for entry in fields.entries where Self.parameterKeys.contains(entry.key.text) && !applicable.contains(entry.key.text) {
            error("key '\(entry.key.text)' does not apply to distribution '\(kind.rawValue)' of parameter '\(dotted)' (it takes \(kind.keysDescription))", at: entry.key.location)
        }
        for key in kind.requiredKeys where !fields.has(key) {
            error("parameter '\(dotted)' with distribution '\(kind.rawValue)' needs '\(key)' (it takes \(kind.keysDescription))", at: location)
        }
        if kind.requiredKeys.contains(where: { !fields.has($0) }) { return }
        if method == .grid, !Self.gridKinds.contains(kind) {
            error("grid search needs a finite set of values, but parameter '\(dotted)' has the continuous distribution '\(kind.rawValue)'; use 'values', int_uniform or q_uniform, or method random/sobol", at: fields.keyLocation("distribution") ?? location)
            return
        }
        guard let distribution = distribution(kind, fields: fields, name: dotted) else { return }
        result.append(ParameterSpec(path: path, distribution: distribution, location: keyLocation))
    }

    /// The declared distribution, or the one W&B infers: value → constant, values →
    /// categorical, integer bounds → int_uniform, other bounds → uniform.
    private mutating func distributionKind(of fields: Fields, name: String) -> DistributionKind? {
        if let node = fields["distribution"] {
            guard let text = string(node, what: "'distribution'") else { return nil }
            guard let kind = DistributionKind(rawValue: text) else {
                let all = DistributionKind.allCases.map(\.rawValue)
                error("unknown distribution '\(YAMLScalar.truncated(text))' for parameter '\(name)'\(KeySuggestion.hint(for: text, among: all)) (expected one of: \(all.joined(separator: ", ")))", at: node.location)
                return nil
            }
            return kind
        }
        if fields.has("value"), fields.has("values") {
            error("parameter '\(name)' has both 'value' and 'values'; use 'value' for a constant or 'values' for a choice", at: fields.keyLocation("values")!)
            return nil
        }
        if fields.has("value") { return .constant }
        if fields.has("values") { return .categorical }
        if fields.has("min") || fields.has("max") {
            guard let minNode = fields["min"], let maxNode = fields["max"] else {
                let missing = fields.has("min") ? "max" : "min"
                error("parameter '\(name)' needs both 'min' and 'max'; '\(missing)' is missing", at: fields.location)
                return nil
            }
            if case .scalar(let low) = minNode, case .scalar(let high) = maxNode,
               case .int = low.value, case .int = high.value {
                return .intUniform
            }
            return .uniform
        }
        if fields.has("mu") || fields.has("sigma") {
            error("parameter '\(name)' has 'mu'/'sigma' but no 'distribution'; name one of normal, q_normal, log_normal, q_log_normal", at: fields.location)
            return nil
        }
        error("parameter '\(name)' needs one of 'value', 'values', 'min' and 'max', 'distribution', or nested 'parameters'", at: fields.location)
        return nil
    }

    private mutating func distribution(_ kind: DistributionKind, fields: Fields, name: String) -> Distribution? {
        switch kind {
        case .constant:
            return paramValue(fields["value"]!).map { .constant($0) }
        case .categorical:
            return categorical(fields, name: name)
        case .intUniform:
            guard let low = integerBound(fields, "min", name: name), let high = integerBound(fields, "max", name: name),
                  ordered(Double(low), Double(high), fields, name: name) else { return nil }
            return .intUniform(min: low, max: high)
        case .uniform, .logUniform, .invLogUniform:
            guard let (low, high) = bounds(fields, name: name, positive: false) else { return nil }
            if kind != .uniform, max(abs(low), abs(high)) > 700 {
                error("'\(kind.rawValue)' takes natural-log bounds, so exp(\(ParamValue.canonicalNumber(max(abs(low), abs(high))))) overflows; did you mean '\(kind.rawValue)_values'?", at: fields.location)
                return nil
            }
            switch kind {
            case .uniform: return .uniform(min: low, max: high)
            case .logUniform: return .logUniform(min: low, max: high)
            default: return .invLogUniform(min: low, max: high)
            }
        case .logUniformValues, .invLogUniformValues:
            guard let (low, high) = bounds(fields, name: name, positive: true) else { return nil }
            return kind == .logUniformValues ? .logUniformValues(min: low, max: high) : .invLogUniformValues(min: low, max: high)
        case .qUniform, .qLogUniform, .qLogUniformValues:
            guard let (low, high) = bounds(fields, name: name, positive: kind == .qLogUniformValues),
                  let q = positive(fields, "q", default: 1, name: name) else { return nil }
            switch kind {
            case .qUniform: return .qUniform(min: low, max: high, q: q)
            case .qLogUniform: return .qLogUniform(min: low, max: high, q: q)
            default: return .qLogUniformValues(min: low, max: high, q: q)
            }
        case .normal, .qNormal, .logNormal, .qLogNormal:
            let mu = fields["mu"].flatMap { number($0, what: "'mu' of parameter '\(name)'") } ?? 0
            guard let sigma = positive(fields, "sigma", default: 1, name: name) else { return nil }
            switch kind {
            case .normal: return .normal(mu: mu, sigma: sigma)
            case .logNormal: return .logNormal(mu: mu, sigma: sigma)
            default:
                guard let q = positive(fields, "q", default: 1, name: name) else { return nil }
                return kind == .qNormal ? .qNormal(mu: mu, sigma: sigma, q: q) : .qLogNormal(mu: mu, sigma: sigma, q: q)
            }
        case .beta, .qBeta:
            guard let a = positive(fields, "a", default: 1, name: name),
                  let b = positive(fields, "b", default: 1, name: name) else { return nil }
            if kind == .beta { return .beta(a: a, b: b) }
            guard let q = positive(fields, "q", default: 1, name: name) else { return nil }
            return .qBeta(a: a, b: b, q: q)
        }
    }

    private mutating func categorical(_ fields: Fields, name: String) -> Distribution? {
        let node = fields["values"]!
        guard case .sequence(let items, let location) = node else {
            error("'values' of parameter '\(name)' must be a list such as [0.01, 0.1], found \(node.kindDescription)", at: node.location)
            return nil
        }
        guard !items.isEmpty else {
            error("'values' of parameter '\(name)' is empty; list at least one value", at: location)
            return nil
        }
        var values: [ParamValue] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            guard let value = paramValue(item) else { return nil }
            let canonical = value.canonicalJSON
            if let first = seen[canonical] {
                warning("'values' of parameter '\(name)' lists \(YAMLScalar.truncated(value.displayText)) twice (items \(first + 1) and \(index + 1)); the duplicate adds no configuration", at: item.location)
            } else {
                seen[canonical] = index
            }
            values.append(value)
        }
        guard let probabilitiesNode = fields["probabilities"] else { return .categorical(values: values, probabilities: nil) }
        guard case .sequence(let weights, let weightsLocation) = probabilitiesNode else {
            error("'probabilities' of parameter '\(name)' must be a list of numbers, one per value", at: probabilitiesNode.location)
            return nil
        }
        guard weights.count == values.count else {
            error("'probabilities' of parameter '\(name)' has \(weights.count) entries but 'values' has \(values.count); give one probability per value", at: weightsLocation)
            return nil
        }
        var probabilities: [Double] = []
        for weight in weights {
            guard let probability = number(weight, what: "a probability") else { return nil }
            guard probability >= 0, probability <= 1 else {
                error("a probability must lie in [0, 1], found \(ParamValue.canonicalNumber(probability))", at: weight.location)
                return nil
            }
            probabilities.append(probability)
        }
        let total = probabilities.reduce(0, +)
        guard abs(total - 1) < 1e-6 else {
            error("'probabilities' of parameter '\(name)' sum to \(ParamValue.canonicalNumber(total)); they must sum to 1", at: weightsLocation)
            return nil
        }
        return .categorical(values: values, probabilities: probabilities)
    }

    private mutating func integerBound(_ fields: Fields, _ key: String, name: String) -> Int64? {
        let node = fields[key]!
        guard case .scalar(let scalar) = node, case .int(let value) = scalar.value else {
            error("'\(key)' of int_uniform parameter '\(name)' must be an integer, found \(node.kindDescription)", at: node.location)
            return nil
        }
        return value
    }

    private mutating func bounds(_ fields: Fields, name: String, positive: Bool) -> (Double, Double)? {
        let minNode = fields["min"]!, maxNode = fields["max"]!
        guard let low = number(minNode, what: "'min' of parameter '\(name)'"),
              let high = number(maxNode, what: "'max' of parameter '\(name)'") else { return nil }
        if positive {
            for (key, value, node) in [("min", low, minNode), ("max", high, maxNode)] where value <= 0 {
                error("'\(key)' of parameter '\(name)' is \(ParamValue.canonicalNumber(value)), but a log scale needs bounds greater than 0", at: node.location)
                return nil
            }
        }
        guard ordered(low, high, fields, name: name) else { return nil }
        return (low, high)
    }

    private mutating func ordered(_ low: Double, _ high: Double, _ fields: Fields, name: String) -> Bool {
        guard low <= high else {
            error("'min' (\(ParamValue.canonicalNumber(low))) of parameter '\(name)' is greater than 'max' (\(ParamValue.canonicalNumber(high)))", at: fields["min"]!.location)
            return false
        }
        return true
    }

    private mutating func positive(_ fields: Fields, _ key: String, default value: Double, name: String) -> Double? {
        guard let node = fields[key] else { return value }
        guard let number = number(node, what: "'\(key)' of parameter '\(name)'") else { return nil }
        guard number > 0 else {
            error("'\(key)' of parameter '\(name)' must be greater than 0, found \(ParamValue.canonicalNumber(number))", at: node.location)
            return nil
        }
        return number
    }
}
