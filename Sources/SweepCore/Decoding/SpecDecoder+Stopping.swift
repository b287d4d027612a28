/// Decoding of W&B's `early_terminate` and Sweep's `early_stop`.
extension SpecDecoder {
    /// The settings each policy takes besides `policy` and `metric`.
    static let policyKeys: [EarlyStopSpec.Policy: [String]] = [
        .none: [],
        .median: ["min_steps", "min_trials"],
        .asha: ["min_steps", "reduction_factor", "max_steps"],
        .hyperband: ["min_iter", "max_iter", "eta", "s", "strict"],
        .predict: ["min_steps", "min_completed", "threshold", "horizon", "cost_aware", "forecaster"],
        .threshold: ["min_steps", "value"],
    ]

    mutating func decodeEarlyTerminate(_ node: YAMLNode) -> HyperbandSpec? {
        guard let fields = mapping(node, what: "'early_terminate'", example: "{type: hyperband, min_iter: 3}") else { return nil }
        reportUnknownKeys(in: fields, allowed: ["type", "min_iter", "max_iter", "eta", "s", "strict"], context: "in 'early_terminate'")
        guard let typeNode = fields["type"] else {
            error("'early_terminate' needs 'type: hyperband'", at: fields.location)
            return nil
        }
        guard let type = string(typeNode, what: "'early_terminate.type'") else { return nil }
        guard type == "hyperband" else {
            error("unknown early_terminate type '\(YAMLScalar.truncated(type))'; W&B defines only 'hyperband' (Sweep's other policies go under 'early_stop')", at: typeNode.location)
            return nil
        }
        return decodeHyperband(fields, context: "early_terminate")
    }

    private mutating func decodeHyperband(_ fields: Fields, context: String) -> HyperbandSpec? {
        let minIter = fields["min_iter"].flatMap { integer($0, what: "'\(context).min_iter'", in: 1...Int(Int32.max)) }
        let maxIter = fields["max_iter"].flatMap { integer($0, what: "'\(context).max_iter'", in: 1...Int(Int32.max)) }
        var spec = HyperbandSpec(minIter: minIter, maxIter: maxIter)
        if let etaNode = fields["eta"], let eta = number(etaNode, what: "'\(context).eta'") {
            if eta <= 1 {
                error("'\(context).eta' must be greater than 1 (it is the factor between brackets), found \(ParamValue.canonicalNumber(eta))", at: etaNode.location)
            }
            spec.eta = eta
        }
        if let s = fields["s"].flatMap({ integer($0, what: "'\(context).s'", in: 0...64) }) { spec.s = s }
        if let strict = fields["strict"].flatMap({ boolean($0, what: "'\(context).strict'") }) { spec.strict = strict }
        if !fields.has("min_iter"), !fields.has("max_iter") {
            error("'\(context)' needs 'min_iter' (or 'max_iter' with 's') to place its brackets", at: fields.location)
            return nil
        }
        if fields.has("max_iter"), !fields.has("min_iter"), !fields.has("s") {
            error("'\(context).max_iter' needs 's', the number of brackets below it", at: fields.keyLocation("max_iter")!)
        }
        if let minIter, let maxIter, minIter > maxIter {
            error("'\(context).min_iter' (\(minIter)) is greater than 'max_iter' (\(maxIter))", at: fields.keyLocation("min_iter")!)
        }
        return spec
    }

    mutating func decodeEarlyStop(_ node: YAMLNode) -> EarlyStopSpec? {
        guard let fields = mapping(node, what: "'early_stop'", example: "{policy: median, min_steps: 5}") else { return nil }
        guard let policyNode = fields["policy"] else {
            error("'early_stop' needs a 'policy' (one of: \(EarlyStopSpec.Policy.allCases.map(\.rawValue).joined(separator: ", ")))", at: fields.location)
            return nil
        }
        guard let text = string(policyNode, what: "'early_stop.policy'") else { return nil }
        guard let policy = EarlyStopSpec.Policy(rawValue: text) else {
            let all = EarlyStopSpec.Policy.allCases.map(\.rawValue)
            error("unknown early-stopping policy '\(YAMLScalar.truncated(text))'\(KeySuggestion.hint(for: text, among: all)) (expected one of: \(all.joined(separator: ", ")))", at: policyNode.location)
            return nil
        }
        let settings = Self.policyKeys[policy] ?? []
        let allKeys = Set(Self.policyKeys.values.flatMap { $0 })
        for entry in fields.entries where entry.key.text != "policy" && entry.key.text != "metric" && !settings.contains(entry.key.text) {
            if allKeys.contains(entry.key.text) {
                let takes = settings.isEmpty ? "no settings" : settings.joined(separator: ", ")
                error("key '\(entry.key.text)' does not apply to policy '\(policy.rawValue)' (it takes \(takes))", at: entry.key.location)
            } else {
                let allowed = ["policy", "metric"] + settings
                error("unknown key '\(YAMLScalar.truncated(entry.key.text))' in 'early_stop'\(KeySuggestion.hint(for: entry.key.text, among: allowed)) (policy '\(policy.rawValue)' takes: \(allowed.joined(separator: ", ")))", at: entry.key.location)
            }
        }
        var spec = EarlyStopSpec(policy: policy)
        spec.metric = fields["metric"].flatMap { string($0, what: "'early_stop.metric'", nonEmpty: true) }
        if let minSteps = fields["min_steps"].flatMap({ integer($0, what: "'early_stop.min_steps'", in: 0...Int(Int32.max)) }) {
            spec.minSteps = minSteps
        }
        if let minTrials = fields["min_trials"].flatMap({ integer($0, what: "'early_stop.min_trials'", in: 1...100_000) }) {
            spec.minTrials = minTrials
        }
        if let factorNode = fields["reduction_factor"], let factor = number(factorNode, what: "'early_stop.reduction_factor'") {
            if factor <= 1 {
                error("'early_stop.reduction_factor' must be greater than 1, found \(ParamValue.canonicalNumber(factor))", at: factorNode.location)
            }
            spec.reductionFactor = factor
        }
        spec.maxSteps = fields["max_steps"].flatMap { integer($0, what: "'early_stop.max_steps'", in: 1...Int(Int32.max)) }
        if let minCompleted = fields["min_completed"].flatMap({ integer($0, what: "'early_stop.min_completed'", in: 0...100_000) }) {
            spec.minCompleted = minCompleted
        }
        if let thresholdNode = fields["threshold"], let threshold = number(thresholdNode, what: "'early_stop.threshold'") {
            if threshold <= 0 || threshold >= 1 {
                error("'early_stop.threshold' is a probability and must lie strictly between 0 and 1, found \(ParamValue.canonicalNumber(threshold))", at: thresholdNode.location)
            }
            spec.probabilityThreshold = threshold
        }
        spec.horizon = fields["horizon"].flatMap { integer($0, what: "'early_stop.horizon'", in: 1...Int(Int32.max)) }
        if let costAware = fields["cost_aware"].flatMap({ boolean($0, what: "'early_stop.cost_aware'") }) {
            spec.costAware = costAware
        }
        if let node = fields["forecaster"], let name = string(node, what: "'early_stop.forecaster'", nonEmpty: true) {
            let known = ["ensemble", "population", "mixed"]
            if known.contains(name) {
                spec.forecaster = name
            } else {
                error("unknown forecaster '\(YAMLScalar.truncated(name))'\(KeySuggestion.hint(for: name, among: known)) (expected one of: \(known.joined(separator: ", ")))", at: node.location)
            }
        }
        spec.value = fields["value"].flatMap { number($0, what: "'early_stop.value'") }
        if policy == .threshold, !fields.has("value") {
            error("policy 'threshold' needs 'value': runs whose metric is worse than it after min_steps are stopped", at: fields.location)
        }
        if policy == .hyperband {
            spec.hyperband = decodeHyperband(fields, context: "early_stop")
        }
        return spec
    }
}
