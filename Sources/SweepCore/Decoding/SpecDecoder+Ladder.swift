/// Decoding of Sweep's `ladder:`: size parameters, rungs, budgets, targets and metrics.
extension SpecDecoder {
    static let ladderKeys = ["size", "rungs", "params", "budget", "targets", "metrics", "tasks", "adaptive"]

    mutating func decodeLadder(_ node: YAMLNode, metric: MetricSpec?, parameters: [ParameterSpec]) -> LadderSpec? {
        guard let fields = mapping(node, what: "'ladder'", example: "{size: width, rungs: [16, 32, 64]}") else { return nil }
        reportUnknownKeys(in: fields, allowed: Self.ladderKeys, context: "in 'ladder'")
        guard let sizeNode = fields["size"] else {
            error("'ladder' needs 'size': the parameter (or list of parameters) that sets a rung's model size", at: fields.location)
            return nil
        }
        var sizeParameters: [String] = []
        if case .sequence(let items, let location) = sizeNode {
            sizeParameters = items.compactMap { string($0, what: "a size parameter", nonEmpty: true) }
            if sizeParameters.isEmpty { error("'ladder.size' lists no parameter", at: location) }
        } else if let name = string(sizeNode, what: "'ladder.size'", nonEmpty: true) {
            sizeParameters = [name]
        }
        for name in sizeParameters where parameters.contains(where: { $0.path.first == name }) {
            error("'\(name)' is the ladder's size parameter, so it must not also be listed under 'parameters'", at: sizeNode.location)
        }

        guard let rungsNode = fields["rungs"] else {
            error("'ladder' needs 'rungs': one size per rung, smallest first", at: fields.location)
            return nil
        }
        guard let rungs = sizes(rungsNode, sizeParameters: sizeParameters, what: "'ladder.rungs'") else { return nil }
        if rungs.count < 2 {
            error("'ladder.rungs' has \(rungs.count) rung; a scaling fit needs at least 2 (3 or more recommended)", at: rungsNode.location)
        }
        let targets = fields["targets"].flatMap { sizes($0, sizeParameters: sizeParameters, what: "'ladder.targets'") } ?? []

        var spec = LadderSpec(
            sizeParameters: sizeParameters, rungs: rungs, parameterCounts: nil, budgetParameter: nil,
            budget: nil, targets: targets, metrics: metric.map { [$0.name] } ?? [], maxIntervalWidth: nil)

        if let countsNode = fields["params"] {
            spec.parameterCounts = numbers(countsNode, count: rungs.count, what: "'ladder.params' (the parameter count of each rung)")
        } else if sizeParameters.count == 1 {
            let counts = rungs.compactMap { $0[sizeParameters[0]]?.numberValue }
            if counts.count == rungs.count { spec.parameterCounts = counts }
        }
        if let budgetNode = fields["budget"] {
            decodeBudget(budgetNode, into: &spec, parameters: parameters)
        }
        if let metricsNode = fields["metrics"] {
            if case .sequence(let items, let location) = metricsNode {
                spec.metrics = items.compactMap { string($0, what: "a metric name", nonEmpty: true) }
                if spec.metrics.isEmpty { error("'ladder.metrics' lists no metric", at: location) }
            } else if let name = string(metricsNode, what: "'ladder.metrics'", nonEmpty: true) {
                spec.metrics = [name]
            }
        } else if metric == nil {
            error("'ladder' needs 'metrics' (the metrics to fit), or a top-level 'metric'", at: fields.location)
        }
        if let tasksNode = fields["tasks"], let tasks = mapping(tasksNode, what: "'ladder.tasks'", example: "{val_acc: val_loss}") {
            var decoded: [LadderTask] = []
            for entry in tasks.entries {
                guard let loss = string(entry.value, what: "the loss metric of task '\(YAMLScalar.truncated(entry.key.text))'", nonEmpty: true) else { continue }
                if entry.key.text.isEmpty {
                    error("a task metric name must not be empty", at: entry.key.location)
                } else if entry.key.text == loss {
                    error("task '\(YAMLScalar.truncated(loss))' is predicted through its own values; name the loss metric it follows (for example val_acc: val_loss)", at: entry.value.location)
                } else {
                    decoded.append(LadderTask(metric: entry.key.text, loss: loss))
                }
            }
            if decoded.isEmpty, tasks.entries.isEmpty { error("'ladder.tasks' lists no task", at: tasks.location) }
            spec.tasks = decoded
        }
        if let adaptiveNode = fields["adaptive"], let adaptive = mapping(adaptiveNode, what: "'ladder.adaptive'", example: "{max_interval_width: 0.02}") {
            reportUnknownKeys(in: adaptive, allowed: ["max_interval_width"], context: "in 'ladder.adaptive'")
            if let widthNode = adaptive["max_interval_width"], let width = number(widthNode, what: "'ladder.adaptive.max_interval_width'") {
                if width <= 0 {
                    error("'ladder.adaptive.max_interval_width' must be greater than 0 (a relative width such as 0.02)", at: widthNode.location)
                }
                spec.maxIntervalWidth = width
            }
        }
        return spec
    }

    private mutating func decodeBudget(_ node: YAMLNode, into spec: inout LadderSpec, parameters: [ParameterSpec]) {
        guard let fields = mapping(node, what: "'ladder.budget'", example: "{parameter: steps, per_rung: [1000, 2000]}") else { return }
        reportUnknownKeys(in: fields, allowed: ["parameter", "per_rung", "per_param"], context: "in 'ladder.budget'")
        if let parameterNode = fields["parameter"], let name = string(parameterNode, what: "'ladder.budget.parameter'", nonEmpty: true) {
            if parameters.contains(where: { $0.path.first == name }) || spec.sizeParameters.contains(name) {
                error("'\(name)' receives the ladder's budget, so it must not also be a size parameter or listed under 'parameters'", at: parameterNode.location)
            }
            spec.budgetParameter = name
        } else if !fields.has("parameter") {
            error("'ladder.budget' needs 'parameter': the job parameter that receives each rung's budget (for example steps or tokens)", at: fields.location)
        }
        switch (fields["per_rung"], fields["per_param"]) {
        case (let perRung?, nil):
            if let values = numbers(perRung, count: spec.rungs.count, what: "'ladder.budget.per_rung' (one budget per rung)") {
                spec.budget = .perRung(values)
            }
        case (nil, let perParam?):
            if let factor = number(perParam, what: "'ladder.budget.per_param'") {
                if factor <= 0 {
                    error("'ladder.budget.per_param' must be greater than 0", at: perParam.location)
                } else if spec.parameterCounts == nil {
                    error("'ladder.budget.per_param' needs each rung's parameter count: add 'ladder.params', or use one numeric size parameter", at: perParam.location)
                } else {
                    spec.budget = .perParameter(factor)
                }
            }
        case (.some, .some):
            error("'ladder.budget' takes either 'per_rung' or 'per_param', not both", at: fields.keyLocation("per_param")!)
        case (nil, nil):
            error("'ladder.budget' needs 'per_rung' (a list) or 'per_param' (a multiple of the parameter count)", at: fields.location)
        }
    }

    /// Rungs or targets: plain values with one size parameter, mappings with several.
    private mutating func sizes(_ node: YAMLNode, sizeParameters: [String], what: String) -> [[String: ParamValue]]? {
        guard case .sequence(let items, let location) = node else {
            error("\(what) must be a list, found \(node.kindDescription)", at: node.location)
            return nil
        }
        if items.isEmpty {
            error("\(what) is empty", at: location)
            return nil
        }
        var result: [[String: ParamValue]] = []
        for item in items {
            if sizeParameters.count == 1, case .scalar = item {
                guard let value = paramValue(item), value.numberValue.map({ $0 > 0 }) == true else {
                    error("each entry of \(what) must be a size greater than 0, found \(item.kindDescription)", at: item.location)
                    continue
                }
                result.append([sizeParameters[0]: value])
                continue
            }
            guard case .mapping(let entries, let itemLocation) = item else {
                error("each entry of \(what) must be a mapping of \(sizeParameters.joined(separator: ", ")), found \(item.kindDescription)", at: item.location)
                continue
            }
            var rung: [String: ParamValue] = [:]
            for (key, value) in entries {
                guard sizeParameters.contains(key.text) else {
                    error("'\(key.text)' in \(what) is not a size parameter (ladder.size is \(sizeParameters.joined(separator: ", ")))", at: key.location)
                    continue
                }
                if let converted = paramValue(value) { rung[key.text] = converted }
            }
            for name in sizeParameters where rung[name] == nil {
                error("an entry of \(what) is missing size parameter '\(name)'", at: itemLocation)
            }
            result.append(rung)
        }
        return result
    }

    private mutating func numbers(_ node: YAMLNode, count: Int, what: String) -> [Double]? {
        guard case .sequence(let items, let location) = node else {
            error("\(what) must be a list of numbers, found \(node.kindDescription)", at: node.location)
            return nil
        }
        guard items.count == count else {
            error("\(what) has \(items.count) entries, but the ladder has \(count) rungs", at: location)
            return nil
        }
        var values: [Double] = []
        for item in items {
            guard let value = number(item, what: "an entry of \(what)") else { return nil }
            guard value > 0 else {
                error("each entry of \(what) must be greater than 0, found \(ParamValue.canonicalNumber(value))", at: item.location)
                return nil
            }
            values.append(value)
        }
        return values
    }
}
