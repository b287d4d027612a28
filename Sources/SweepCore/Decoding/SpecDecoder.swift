import Foundation

/// Turns a `YAMLNode` tree into a `SweepSpec`, collecting every problem it can find with its
/// position, the offending value and the accepted forms.
public struct SpecDecoder {
    /// Top-level keys of the W&B format.
    static let wandbKeys = [
        "program", "method", "metric", "parameters", "early_terminate", "run_cap", "command",
        "name", "description", "project", "entity", "controller",
    ]
    /// Top-level keys Sweep adds.
    static let extensionKeys = [
        "seed", "seeds", "kernel", "resources", "retries", "max_steps", "priority", "early_stop", "ladder",
    ]

    /// Everything found so far.
    public internal(set) var diagnostics = Diagnostics()
    let file: String

    /// A decoder for a file named `file` in messages.
    public init(file: String) {
        self.file = file
    }

    /// Decodes a whole sweep; nil when any error was found (see `diagnostics`).
    public mutating func decode(_ root: YAMLNode) -> SweepSpec? {
        guard let fields = mapping(root, what: "a sweep", example: "method: random") else { return nil }
        reportUnknownKeys(in: fields, allowed: Self.wandbKeys + Self.extensionKeys, context: "at the top level of a sweep")

        let method = decodeMethod(fields)
        let metric = fields["metric"].flatMap { decodeMetric($0) }
        var parameters: [ParameterSpec] = []
        if let node = fields["parameters"] {
            parameters = decodeParameters(node, method: method)
        } else if !fields.has("ladder") {
            error("missing required key 'parameters' (a mapping from parameter names to their values or distributions)", at: fields.location)
        }

        var spec = SweepSpec(method: method ?? .random, parameters: parameters, metric: metric)
        spec.name = fields["name"].flatMap { string($0, what: "'name'") }
        spec.description = fields["description"].flatMap { string($0, what: "'description'") }
        spec.project = fields["project"].flatMap { string($0, what: "'project'") }
        spec.entity = fields["entity"].flatMap { string($0, what: "'entity'") }
        if let node = fields["controller"] {
            warning("'controller' is a W&B setting with no meaning here; Sweep's coordinator always controls the sweep", at: node.location)
        }
        spec.program = fields["program"].flatMap { string($0, what: "'program'", nonEmpty: true) }
        spec.runCap = fields["run_cap"].flatMap { integer($0, what: "'run_cap'", in: 1...Int(Int32.max)) }
        spec.seed = fields["seed"].flatMap { integer($0, what: "'seed'", in: 0...Int.max) }.map { UInt64($0) } ?? 0
        spec.seeds = fields["seeds"].flatMap { decodeSeeds($0) } ?? [0]
        spec.maxSteps = fields["max_steps"].flatMap { integer($0, what: "'max_steps'", in: 1...Int(Int32.max)) }
        spec.priority = fields["priority"].flatMap { integer($0, what: "'priority'", in: -1000...1000) } ?? 0
        spec.resources = fields["resources"].flatMap { decodeResources($0) } ?? ResourceSpec()
        spec.retries = fields["retries"].flatMap { decodeRetries($0) } ?? RetryPolicy()
        spec.kernel = fields["kernel"].flatMap { decodeKernel($0) }
        spec.command = fields["command"].flatMap { decodeCommand($0) }
        spec.earlyTerminate = fields["early_terminate"].flatMap { decodeEarlyTerminate($0) }
        spec.earlyStop = fields["early_stop"].flatMap { decodeEarlyStop($0) }
        spec.ladder = fields["ladder"].flatMap { decodeLadder($0, metric: metric, parameters: parameters) }

        checkConsistency(spec, fields: fields)
        return diagnostics.hasErrors ? nil : spec
    }

    private mutating func decodeMethod(_ fields: Fields) -> SweepSpec.Method? {
        guard let node = fields["method"] else {
            error("missing required key 'method' (one of: grid, random, sobol)", at: fields.location)
            return nil
        }
        guard let text = string(node, what: "'method'") else { return nil }
        guard let method = SweepSpec.Method(rawValue: text) else {
            error("unknown method '\(YAMLScalar.truncated(text))'\(KeySuggestion.hint(for: text, among: SweepSpec.Method.allCases.map(\.rawValue))) (expected one of: grid, random, sobol)", at: node.location)
            return nil
        }
        if method == .bayes {
            error("method 'bayes' is not supported yet; use 'random' or 'sobol' (Bayesian search is planned)", at: node.location)
            return nil
        }
        return method
    }

    private mutating func decodeMetric(_ node: YAMLNode) -> MetricSpec? {
        guard let fields = mapping(node, what: "'metric'", example: "{name: val_loss, goal: minimize}") else { return nil }
        reportUnknownKeys(in: fields, allowed: ["name", "goal", "target"], context: "in 'metric'")
        guard let nameNode = fields["name"] else {
            error("'metric' needs a 'name': the metric your program reports (for example val_loss)", at: fields.location)
            return nil
        }
        guard let name = string(nameNode, what: "'metric.name'", nonEmpty: true) else { return nil }
        var goal = MetricSpec.Goal.minimize
        if let goalNode = fields["goal"], let text = string(goalNode, what: "'metric.goal'") {
            if let parsed = MetricSpec.Goal(rawValue: text) {
                goal = parsed
            } else {
                error("unknown goal '\(YAMLScalar.truncated(text))'\(KeySuggestion.hint(for: text, among: ["minimize", "maximize"])) (expected minimize or maximize)", at: goalNode.location)
            }
        }
        let target = fields["target"].flatMap { number($0, what: "'metric.target'") }
        return MetricSpec(name: name, goal: goal, target: target)
    }

    private mutating func decodeSeeds(_ node: YAMLNode) -> [Int64]? {
        if case .sequence(let items, let location) = node {
            guard !items.isEmpty else {
                error("'seeds' lists no seed; give a count (seeds: 3) or at least one seed", at: location)
                return nil
            }
            var seeds: [Int64] = []
            for item in items {
                guard let seed = integer(item, what: "a seed", in: 0...Int(Int32.max)) else { continue }
                if seeds.contains(Int64(seed)) {
                    error("seed \(seed) is listed twice in 'seeds'; each replicate needs its own seed", at: item.location)
                }
                seeds.append(Int64(seed))
            }
            return seeds
        }
        guard let count = integer(node, what: "'seeds' (a count of replicates or a list of seeds)", in: 1...10_000) else { return nil }
        return (0..<Int64(count)).map { $0 }
    }

    private mutating func decodeResources(_ node: YAMLNode) -> ResourceSpec? {
        guard let fields = mapping(node, what: "'resources'", example: "{slots: 1, gpus: 1}") else { return nil }
        reportUnknownKeys(in: fields, allowed: ["slots", "gpus", "labels"], context: "in 'resources'")
        var resources = ResourceSpec()
        if let slots = fields["slots"].flatMap({ integer($0, what: "'resources.slots'", in: 1...1024) }) { resources.slots = slots }
        if let gpus = fields["gpus"].flatMap({ integer($0, what: "'resources.gpus'", in: 0...64) }) { resources.gpus = gpus }
        if let labelsNode = fields["labels"], let labels = mapping(labelsNode, what: "'resources.labels'", example: "{zone: a}") {
            for (key, value) in labels.entries {
                guard case .scalar(let scalar) = value else {
                    error("a label value must be a plain value, found \(value.kindDescription)", at: value.location)
                    continue
                }
                resources.labels[key.text] = scalar.text
            }
        }
        return resources
    }

    private mutating func decodeRetries(_ node: YAMLNode) -> RetryPolicy? {
        guard let fields = mapping(node, what: "'retries'", example: "{max_attempts: 3, backoff: 10s}") else { return nil }
        reportUnknownKeys(in: fields, allowed: ["max_attempts", "backoff", "max_backoff"], context: "in 'retries'")
        var policy = RetryPolicy()
        if let attempts = fields["max_attempts"].flatMap({ integer($0, what: "'retries.max_attempts'", in: 1...100) }) {
            policy.maxAttempts = attempts
        }
        if let backoff = fields["backoff"].flatMap({ duration($0, what: "'retries.backoff'") }) { policy.backoff = backoff }
        if let maxNode = fields["max_backoff"], let maxBackoff = duration(maxNode, what: "'retries.max_backoff'") {
            if maxBackoff < policy.backoff {
                error("'retries.max_backoff' (\(maxBackoff.shortDescription)) is shorter than 'retries.backoff' (\(policy.backoff.shortDescription))", at: maxNode.location)
            }
            policy.maxBackoff = maxBackoff
        } else if policy.backoff > policy.maxBackoff {
            policy.maxBackoff = policy.backoff
        }
        return policy
    }

    private mutating func decodeKernel(_ node: YAMLNode) -> KernelSpec? {
        var nameNode = node
        var settings: [String: ParamValue] = [:]
        if case .mapping(let entries, let location) = node {
            let fields = Fields(entries, at: location)
            reportUnknownKeys(in: fields, allowed: ["name", "settings"], context: "in 'kernel'")
            guard let named = fields["name"] else {
                error("'kernel' needs a 'name' (for example mlp-train)", at: location)
                return nil
            }
            nameNode = named
            if let settingsNode = fields["settings"], let settingFields = mapping(settingsNode, what: "'kernel.settings'", example: "{dataset: digits}") {
                for (key, value) in settingFields.entries {
                    if let converted = paramValue(value) { settings[key.text] = converted }
                }
            }
        }
        guard let name = string(nameNode, what: "'kernel' (a kernel name, or {name, settings})", nonEmpty: true) else { return nil }
        let valid = name.first.map { $0.isASCII && $0.isLowercase } == true
            && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }
        guard valid else {
            error("kernel name '\(YAMLScalar.truncated(name))' is not valid; kernel names are lowercase letters, digits, '-' and '_' (for example mlp-train)", at: nameNode.location)
            return nil
        }
        return KernelSpec(name: name, settings: settings)
    }

    private mutating func decodeCommand(_ node: YAMLNode) -> CommandTemplate? {
        guard case .sequence(let items, let location) = node else {
            if case .scalar(let scalar) = node {
                let words = scalar.text.split(separator: " ").map { "\"\($0)\"" }.joined(separator: ", ")
                error("'command' must be a list of arguments (Sweep never runs a shell); write it as [\(YAMLScalar.truncated(words))]", at: node.location)
            } else {
                error("'command' must be a list of arguments, found \(node.kindDescription)", at: node.location)
            }
            return nil
        }
        guard !items.isEmpty else {
            error("'command' is empty; list the program and its arguments, for example [\"${env}\", \"${interpreter}\", \"${program}\", \"${args}\"]", at: location)
            return nil
        }
        var arguments: [[CommandTemplate.Segment]] = []
        for item in items {
            guard case .scalar(let scalar) = item else {
                error("each command argument must be a string, found \(item.kindDescription)", at: item.location)
                continue
            }
            let (segments, unknown) = CommandTemplate.parseArgument(scalar.text)
            for name in unknown {
                let known = CommandTemplate.Macro.allCases.map(\.rawValue)
                let hint = KeySuggestion.closest(to: name, among: known).map { "; did you mean '${\($0)}'?" } ?? ""
                error("unknown macro '${\(name)}' in 'command'\(hint) (known: \(known.map { "${\($0)}" }.joined(separator: ", ")))", at: item.location)
            }
            for case .macro(let macro) in segments where macro.isSpliced && segments.count > 1 {
                error("'${\(macro.rawValue)}' expands to several arguments and must be a list item on its own, not part of '\(YAMLScalar.truncated(scalar.text))'", at: item.location)
            }
            arguments.append(segments)
        }
        return CommandTemplate(arguments: arguments)
    }

    private mutating func checkConsistency(_ spec: SweepSpec, fields: Fields) {
        if let kernel = spec.kernel, let kernelLocation = fields.keyLocation("kernel") {
            for key in ["program", "command"] where fields.has(key) {
                error("'kernel' and '\(key)' cannot be used together: a job runs either the built-in kernel '\(kernel.name)' or a command", at: kernelLocation)
            }
        } else if !fields.has("kernel") {
            let command = spec.command ?? .wandbDefault
            if command.uses(.program), spec.program == nil, !fields.has("program") {
                let place = fields.keyLocation("command") ?? fields.location
                let why = spec.command == nil ? "the default command runs ${env} ${interpreter} ${program} ${args}" : "'command' uses ${program}"
                error("missing 'program': \(why); name the training script (program: train.py), or give a 'kernel'", at: place)
            }
        }
        let usesEarlyStopping = spec.earlyStop.map { $0.policy != .none } ?? false || spec.earlyTerminate != nil
        if usesEarlyStopping, spec.metric == nil, spec.earlyStop?.metric == nil {
            let place = fields.keyLocation("early_stop") ?? fields.keyLocation("early_terminate") ?? fields.location
            error("early stopping compares runs on a metric; add 'metric: {name: ..., goal: minimize|maximize}'", at: place)
        }
        if spec.earlyTerminate != nil, spec.earlyStop != nil, let place = fields.keyLocation("early_stop") {
            error("use either 'early_terminate' (W&B hyperband) or 'early_stop', not both", at: place)
        }
        if let earlyStop = spec.earlyStop, earlyStop.policy == .predict, earlyStop.horizon == nil, spec.maxSteps == nil,
           let place = fields.keyLocation("early_stop") {
            error("policy 'predict' needs the step to predict: set 'early_stop.horizon' or 'max_steps'", at: place)
        }
        if spec.method == .grid, let runCap = spec.runCap, runCap <= 0, let place = fields.keyLocation("run_cap") {
            error("'run_cap' must be at least 1", at: place)
        }
        if let methodNode = fields["method"], case .scalar(let methodText) = methodNode,
           methodText.text == "random" || methodText.text == "sobol", !fields.has("run_cap"),
           !spec.parameters.allSatisfy({ !$0.distribution.isSampled }) {
            warning("\(spec.method.rawValue) search without 'run_cap' draws \(Expander.defaultDrawCount) configurations; set run_cap to choose how many",
                    at: methodNode.location)
        }
    }
}
